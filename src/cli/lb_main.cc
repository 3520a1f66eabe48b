// `vigie lb`: serve a haproxy.cfg (like `haproxy -f`) or the lb: section of a
// vigie.yaml, check or import a haproxy.cfg, show why each server is up or
// down. The work is in lb/server/cli.h; this file parses and sets the exit code.
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/instances.h"
#include "core/handover.h"
#include "lb/server/cli.h"
#include "lb/server/component.h"

namespace vigie::cli {
namespace {

// Binary upgrade, as `haproxy -x SOCKET -sf PID...`: take the listening
// sockets of the running process over its stats socket before starting;
// once ready, tell the old processes to drain (SIGUSR1) or stop (SIGTERM).
int ServeWithTakeover(const ConfigSource& source, const net::Takeover& t) {
  auto taken = net::TakeOverListeners(t);
  if (!taken) {
    std::fprintf(stderr, "vigie lb -x: %s\n", taken.error().ToString().c_str());
    return 1;
  }
  if (!t.socket.empty()) {
    std::fprintf(stderr, "vigie lb: took %zu listening sockets over from %s\n", *taken,
                 t.socket.c_str());
  }
  return Serve(
      source, {lb::LbComponentSpec(Version(), ReleaseDate())}, [t] { net::ReleasePredecessors(t); },
      "lb");
}

}  // namespace

void RegisterLb(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "lb",
      "TCP load balancer for the Kubernetes API (haproxy's job).\n"
      "  vigie lb -f haproxy.cfg        serve an existing haproxy.cfg (like haproxy -f)\n"
      "  vigie lb -f haproxy.cfg --check  only read it and print every diagnostic\n"
      "  vigie lb -c vigie.yaml         serve the lb: section of a vigie.yaml\n"
      "  vigie lb import haproxy.cfg    print the equivalent lb: section of vigie.yaml\n"
      "  vigie lb status                why each server is up or down (from the admin endpoint)\n"
      "Directives that do not apply are printed as 'file:line: ignored: ...', those vigie\n"
      "does not implement as 'unsupported'. SIGHUP or `vigie reload --admin ADDR` re-reads\n"
      "the file and keeps the listening sockets. Binary upgrade, as haproxy:\n"
      "  vigie lb -f haproxy.cfg -x /run/haproxy.sock -sf $(pidof vigie)\n"
      "takes the listening sockets over from the running process (its stats socket needs\n"
      "'expose-fd listeners' and 'level admin'), then tells it to drain and exit.");
  struct Flags {
    ServeFlags serve;
    std::string file;
    bool check_only = false;
    bool splice = false;
    net::Takeover takeover;
  };
  auto f = std::make_shared<Flags>();
  const ServeFlagsSpec spec{.config_help = "vigie.yaml to serve (its lb: section)"};
  CLI::Option* config = AddServeFlags(*cmd, f->serve, spec);
  cmd->add_option("-f,--file", f->file, "haproxy.cfg to serve")
      ->check(CLI::ExistingFile)
      ->excludes(config);
  cmd->add_flag("--check", f->check_only, "With -f: read the file, print diagnostics, exit");
  cmd->add_flag("--splice", f->splice, "With -f: zero-copy forwarding with splice(2)");
  cmd->add_option("-x", f->takeover.socket,
                  "Take the listening sockets over from the process whose stats socket this is");
  cmd->add_option("--sf", f->takeover.finish_pids,
                  "Once ready, tell these pids to stop accepting and drain (haproxy's -sf)");
  cmd->add_option("--st", f->takeover.terminate_pids,
                  "Once ready, tell these pids to stop (SIGTERM; haproxy's -st)");

  auto* import = cmd->add_subcommand(
      "import",
      "Print the lb: section of vigie.yaml equivalent to a haproxy.cfg, followed by every\n"
      "directive that was not carried over (as YAML comments, with file:line).");
  auto import_file = std::make_shared<std::string>();
  import->add_option("FILE", *import_file, "haproxy.cfg")->required()->check(CLI::ExistingFile);
  import->callback([import_file, &exit_code] { exit_code = lb::ImportHaproxyFile(*import_file);
});

auto* status = cmd->add_subcommand(
    "status",
    "Show each backend and server: state, for how long, the last health check (status,\n"
    "reason, duration) and why a server is down, drained or in maintenance.");
auto status_admin = std::make_shared<std::string>();
status->add_option("--admin", *status_admin,
                   "Admin endpoint of the running vigie (default: the one `vigie lb` running "
                   "here, else vigie serve's 127.0.0.1:9901)");
status->callback([status_admin, &exit_code] {
  auto admin = AdminOrFind(*status_admin, "lb", "vigie lb status");
  exit_code = admin ? PrintAdminGet(*admin, "/lb/status", "vigie lb status") : 2;
});

cmd->callback([cmd, f, spec, &exit_code] {
  if (!cmd->get_subcommands().empty()) {
    return;
  }
  if (f->file.empty() && f->serve.config.empty()) {
    std::fprintf(stderr, "vigie lb: give -f haproxy.cfg or -c vigie.yaml (see --help)\n");
    exit_code = 2;
    return;
  }
  if (!f->file.empty() && f->check_only) {
    exit_code = lb::CheckHaproxyFile(f->file);
    return;
  }
  if (!f->file.empty() && !lb::PrintHaproxyDiagnostics(f->file, false)) {
    exit_code = 1;
    return;
  }
  config::Overlay overlay;
  if (!f->file.empty()) {
    overlay = lb::HaproxyFileOverlay(f->file, f->splice, f->serve.workers >= 0);
  }
  exit_code = ServeWithTakeover(ServeSource(f->serve, spec, overlay), f->takeover);
});
}  // namespace vigie::cli

void AddLbSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(lb::LbComponentSpec(Version(), ReleaseDate()));
}

}  // namespace vigie::cli
