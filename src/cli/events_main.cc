// `vigie events`: the Riemann-compatible event server on its own, with
// Riemann's defaults (TCP+UDP 127.0.0.1:5555, WebSocket/HTTP 127.0.0.1:5556,
// ttl 60 s, expiry every 5 s), and the `events:` section of `vigie serve`.
#include <algorithm>

#include "cli/commands.h"
#include "cli/flags.h"
#include "events/server/component.h"

namespace vigie::cli {

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
  struct Flags {
    ServeFlags serve;
    struct Value {
      std::string key;    // under events:
      std::string flag;   // --key, dashes for underscores
      std::string value;  // empty: not given
    };
    std::vector<Value> values;
  };
  auto f = std::make_shared<Flags>();
  const ServeFlagsSpec spec{
      .config_help =
          "vigie.yaml with an `events:` section (and admin, log, runtime; no other "
          "component sections)",
      // Not 9901: `vigie events` runs beside a `vigie serve` or `vigie lb`.
      .admin_default = "127.0.0.1:0"};
  CLI::Option* config = AddServeFlags(*cmd, f->serve, spec);
  // Each flag is the events: key of the same name (dashes for underscores),
  // read by the events section's own parser; flags and -c exclude each other
  // so that one of them is the whole truth.
  static constexpr std::pair<const char*, const char*> kFlags[] = {
      {"tcp", "Riemann TCP listen address, or off (127.0.0.1:5555)"},
      {"udp", "Riemann UDP listen address, or off (the TCP address)"},
      {"http", "WebSocket/SSE/HTTP listen address, or off (127.0.0.1:5556)"},
      {"carbon", "carbon plaintext listen address (off)"},
      {"statsd", "statsd UDP listen address (off)"},
      {"snapshot", "index snapshot file (saved on exit, loaded at start)"},
      {"ttl", "default event TTL (60s)"},
      {"expire_interval", "reaper interval (5s)"},
  };
  f->values.resize(std::size(kFlags));
  for (size_t i = 0; i < std::size(kFlags); ++i) {
    auto& v = f->values[i];
    v.key = kFlags[i].first;
    v.flag = "--" + v.key;
    std::replace(v.flag.begin(), v.flag.end(), '_', '-');
    cmd->add_option(v.flag, v.value, kFlags[i].second)->excludes(config);
  }
  cmd->callback([f, spec, &exit_code] {
    config::Overlay overlay;
    overlay.SetMap("events", "vigie events");
    std::string tcp;
    bool udp_given = false;
    for (const auto& v : f->values) {
      if (!v.value.empty()) {
        overlay.Set("events." + v.key, v.value, v.flag);
      }
      tcp = v.key == "tcp" ? v.value : tcp;
      udp_given = udp_given || (v.key == "udp" && !v.value.empty());
    }
    // Riemann's UDP server shares the TCP address unless told otherwise.
    if (!tcp.empty() && !udp_given) {
      overlay.Set("events.udp", tcp, "--tcp");
    }
    std::vector<ComponentSpec> specs;
    AddEventsSpec(specs);
    exit_code =
        Serve(ServeSource(f->serve, spec, f->serve.config.empty() ? overlay : config::Overlay{}),
              specs, {}, "events");
  });
}

void AddEventsSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(events::EventsComponentSpec());
}

}  // namespace vigie::cli
