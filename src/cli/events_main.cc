// `vigie events`: the Riemann-compatible event server on its own, with
// Riemann's defaults (TCP+UDP 127.0.0.1:5555, WebSocket/HTTP 127.0.0.1:5556,
// ttl 60 s, expiry every 5 s), and the `events:` section of `vigie serve`.
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "core/server.h"
#include "core/text.h"
#include "events/server/component.h"

namespace vigie::cli {
namespace {

struct EventsFlags {
  std::string config;
  std::string tcp, udp, http, carbon, statsd, admin = "127.0.0.1:0", snapshot;
  std::string ttl, expire_interval;
  int workers = 0;
};

// The config `vigie events` runs: the file's text, or one built from the
// flags (flags are only allowed without -c, so there is one source of truth).
std::string BuildConfig(const EventsFlags& f) {
  std::ostringstream y;
  y << "admin:\n  listen: " << YamlQuote(f.admin) << "\n";
  y << "runtime:\n  workers: " << f.workers << "\n";
  y << "events:\n";
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) {
      y << "  " << key << ": " << YamlQuote(v) << "\n";
    }
  };
  put("tcp", f.tcp);
  // Riemann's UDP server shares the TCP address unless told otherwise.
  put("udp", f.udp.empty() ? f.tcp : f.udp);
  put("http", f.http);
  put("carbon", f.carbon);
  put("statsd", f.statsd);
  put("snapshot", f.snapshot);
  put("ttl", f.ttl);
  put("expire_interval", f.expire_interval);
  return y.str();
}

}  // namespace

void RegisterEvents(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "events",
      "Run the Riemann-compatible event server alone, with Riemann's defaults:\n"
      "Riemann protocol on TCP and UDP 127.0.0.1:5555, WebSocket/SSE/HTTP on 127.0.0.1:5556\n"
      "(/index?subscribe=true&query=..., POST /events), default ttl 60s, expiry every 5s.\n"
      "With -c FILE, runs the `events:` section (and admin/log/runtime) of that vigie.yaml.\n"
      "Examples:\n"
      "  vigie events\n"
      "  vigie events --tcp 0.0.0.0:5555 --udp off --carbon 127.0.0.1:2003\n"
      "  riemann-client send -h web1 -S http -i 3 127.0.0.1 5555\n"
      "  riemann-client query 'host = \"web1\"' 127.0.0.1 5555");
  auto f = std::make_shared<EventsFlags>();
  auto* config = cmd->add_option("-c,--config", f->config,
                                 "vigie.yaml with an `events:` section (and admin, log, runtime; "
                                 "no other component sections)")
                     ->check(CLI::ExistingFile);
  std::vector<CLI::Option*> flags = {
      cmd->add_option("--tcp", f->tcp, "Riemann TCP listen address, or off (127.0.0.1:5555)"),
      cmd->add_option("--udp", f->udp, "Riemann UDP listen address, or off (127.0.0.1:5555)"),
      cmd->add_option("--http", f->http,
                      "WebSocket/SSE/HTTP listen address, or off (127.0.0.1:5556)"),
      cmd->add_option("--carbon", f->carbon, "carbon plaintext listen address (off)"),
      cmd->add_option("--statsd", f->statsd, "statsd UDP listen address (off)"),
      cmd->add_option("--admin", f->admin, "admin endpoint (/metrics) address (127.0.0.1:0)"),
      cmd->add_option("--snapshot", f->snapshot,
                      "index snapshot file (saved on exit, loaded "
                      "at start)"),
      cmd->add_option("--ttl", f->ttl, "default event TTL (60s)"),
      cmd->add_option("--expire-interval", f->expire_interval, "reaper interval (5s)"),
      cmd->add_option("--workers", f->workers, "worker threads (0: one per core)"),
  };
  for (auto* o : flags) {
    o->excludes(config);
  }
  cmd->callback([f, &exit_code] {
    std::vector<ComponentSpec> specs;
    AddEventsSpec(specs);
    ConfigSource source;
    if (!f->config.empty()) {
      source.path = f->config;
    } else {
      source.embedded_text = BuildConfig(*f);
    }
    Server server(source, specs, Version());
    exit_code = server.Run();
  });
}

void AddEventsSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(events::EventsComponentSpec());
}

}  // namespace vigie::cli
