// `vigie lb`: run the TCP load balancer from a haproxy.cfg (like `haproxy
// -f`) or from vigie.yaml, import a haproxy.cfg as the `lb:` section, and
// show why each server is up or down. Also the `lb:` section of `vigie serve`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <signal.h>

#include "cli/commands.h"
#include "core/handover.h"
#include "core/server.h"
#include "core/text.h"
#include "lb/haproxy_cfg/yaml_export.h"
#include "lb/server/lb_component.h"
#include "lb/server/lb_config.h"

namespace vigie::cli {
namespace {

ComponentSpec LbSpec() {
  return ComponentSpec{
      "lb",
      [](const config::Field& f) -> std::shared_ptr<const ComponentConfig> {
        auto cfg = std::make_shared<lb::LbConfig>();
        if (!lb::ParseValue(f, *cfg)) {
          return nullptr;
        }
        return cfg;
      },
      [](ServeContext& ctx) { return lb::MakeLbComponent(ctx, Version(), ReleaseDate()); }};
}

// Prints the reader's diagnostics (ignored, unsupported, ...) with file:line.
// Returns false when there were errors.
bool PrintHaproxyDiagnostics(const std::string& path, bool verbose) {
  lb::LbConfig cfg;
  auto errors = lb::LoadHaproxyFile(path, cfg);
  for (const auto& d : cfg.diagnostics) {
    if (verbose || d.severity != lb::haproxy_cfg::Severity::kError) {
      std::fprintf(stderr, "%s\n", d.ToString().c_str());
    }
  }
  for (const auto& e : errors) {
    std::fprintf(stderr, "%s\n", e.c_str());
  }
  return errors.empty();
}

// Binary upgrade, as `haproxy -x SOCKET -sf PID...`: take the listening
// sockets of the running process over its stats socket (`expose-fd
// listeners`) before starting, and once ready tell the old processes to
// finish (SIGUSR1: stop accepting, drain) or, for --st, to stop (SIGTERM).
struct Takeover {
  std::string socket;               // -x
  std::vector<int> finish_pids;     // -sf / --sf
  std::vector<int> terminate_pids;  // -st / --st
};

bool PrepareTakeover(const Takeover& t, Server& server) {
  if (!t.socket.empty()) {
    auto fds = net::FetchListeners(t.socket);
    if (!fds) {
      std::fprintf(stderr, "vigie lb -x: %s\n", fds.error().ToString().c_str());
      return false;
    }
    std::fprintf(stderr, "vigie lb: took %zu listening sockets over from %s\n", fds->size(),
                 t.socket.c_str());
    net::AdoptInherited(std::move(*fds));
  }
  server.OnReady([t] {
    for (int pid : t.finish_pids) {
      kill(pid, SIGUSR1);
    }
    for (int pid : t.terminate_pids) {
      kill(pid, SIGTERM);
    }
  });
  return true;
}

int RunFromHaproxyCfg(const std::string& file, const std::string& admin, int workers, bool splice,
                      const Takeover& takeover) {
  if (!PrintHaproxyDiagnostics(file, false)) {
    return 1;
  }
  // The same Server `vigie serve` runs, on a config naming the haproxy.cfg:
  // SIGHUP and `vigie reload` re-read the file.
  std::string abs = std::filesystem::absolute(file).string();
  lb::LbConfig probe;
  (void)lb::LoadHaproxyFile(file, probe);
  int threads = workers > 0 ? workers : probe.model.global.nbthread;
  std::string text = "admin:\n  listen: " + YamlQuote(admin) + "\n";
  if (threads > 0) {
    text += "runtime:\n  workers: " + std::to_string(threads) + "\n";
  }
  text += "lb:\n  haproxy_cfg: " + YamlQuote(abs) + "\n";
  text += std::string("  splice: ") + (splice ? "true" : "false") + "\n";
  Server server(ConfigSource{"", text}, {LbSpec()}, Version());
  if (!PrepareTakeover(takeover, server)) {
    return 1;
  }
  return server.Run();
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
  auto file = std::make_shared<std::string>();
  auto yaml = std::make_shared<std::string>();
  auto admin = std::make_shared<std::string>("127.0.0.1:9901");
  auto workers = std::make_shared<int>(0);
  auto check_only = std::make_shared<bool>(false);
  auto splice = std::make_shared<bool>(false);
  cmd->add_option("-f,--file", *file, "haproxy.cfg to serve")->check(CLI::ExistingFile);
  cmd->add_option("-c,--config", *yaml, "vigie.yaml to serve (its lb: section)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--admin", *admin,
                  "Admin endpoint for -f (host:port; /metrics, /lb/status, POST /reload)")
      ->capture_default_str();
  cmd->add_option("-j,--workers", *workers,
                  "Worker threads for -f (default: nbthread, else one per core)");
  cmd->add_flag("--check", *check_only, "With -f: read the file, print diagnostics, exit");
  cmd->add_flag("--splice", *splice, "With -f: zero-copy forwarding with splice(2)");
  auto takeover = std::make_shared<Takeover>();
  cmd->add_option("-x", takeover->socket,
                  "Take the listening sockets over from the process whose stats socket this is");
  cmd->add_option("--sf", takeover->finish_pids,
                  "Once ready, tell these pids to stop accepting and drain (haproxy's -sf)");
  cmd->add_option("--st", takeover->terminate_pids,
                  "Once ready, tell these pids to stop (SIGTERM; haproxy's -st)");

  auto* import = cmd->add_subcommand(
      "import",
      "Print the lb: section of vigie.yaml equivalent to a haproxy.cfg, followed by every\n"
      "directive that was not carried over (as YAML comments, with file:line).");
  auto import_file = std::make_shared<std::string>();
  import->add_option("FILE", *import_file, "haproxy.cfg")->required()->check(CLI::ExistingFile);
  import->callback([import_file, &exit_code] {
    std::ifstream in(*import_file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = lb::haproxy_cfg::ParseHaproxyCfg(text.str(), *import_file);
  std::fputs(lb::haproxy_cfg::ExportVigieYaml(parsed).c_str(), stdout);
  exit_code = parsed.HasErrors() ? 1 : 0;
});

auto* status = cmd->add_subcommand(
    "status",
    "Show each backend and server: state, for how long, the last health check (status,\n"
    "reason, duration) and why a server is down, drained or in maintenance.");
auto status_admin = std::make_shared<std::string>("127.0.0.1:9901");
status->add_option("--admin", *status_admin, "Admin endpoint of the running vigie")
    ->capture_default_str();
status->callback([status_admin, &exit_code] {
  auto target = ParseAddress(*status_admin);
  if (!target) {
    std::fprintf(stderr, "--admin: %s\n", target.error().ToString().c_str());
    exit_code = 2;
    return;
  }
  auto reply = CallAdmin(*target, "GET", "/lb/status", std::chrono::seconds(10));
  if (!reply) {
    std::fprintf(stderr, "vigie lb status: %s\n", reply.error().ToString().c_str());
    exit_code = 2;
    return;
  }
  std::fputs(reply->body.c_str(), reply->status == 200 ? stdout : stderr);
  exit_code = reply->status == 200 ? 0 : 1;
});

cmd->callback([cmd, file, yaml, admin, workers, check_only, splice, takeover, &exit_code] {
  if (!cmd->get_subcommands().empty()) {
    return;
  }
  if (!file->empty() && *check_only) {
    exit_code = PrintHaproxyDiagnostics(*file, true) ? 0 : 1;
    if (exit_code == 0) {
      std::printf("Configuration file is valid\n");
    }
    return;
  }
  if (!file->empty()) {
    exit_code = RunFromHaproxyCfg(*file, *admin, *workers, *splice, *takeover);
    return;
  }
  if (!yaml->empty()) {
    Server server(ConfigSource{*yaml, ""}, {LbSpec()}, Version());
    exit_code = PrepareTakeover(*takeover, server) ? server.Run() : 1;
    return;
  }
  std::fprintf(stderr, "vigie lb: give -f haproxy.cfg or -c vigie.yaml (see --help)\n");
  exit_code = 2;
});
}  // namespace vigie::cli

void AddLbSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(LbSpec());
}

}  // namespace vigie::cli
