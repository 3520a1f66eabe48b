// `vigie dns`: run the lying DNS forwarder standalone (from a config file or
// from dnsmasq-style flags), and `vigie dns why NAME` to explain a decision.
// Also the `dns:` ComponentSpec for `vigie serve`.
#include <cctype>
#include <cstdio>

#include "cli/commands.h"
#include "core/admin.h"
#include "core/server.h"
#include "dns/server/dns_server.h"

namespace vigie::cli {
namespace {

// The other components' sections are ignored (not started, not checked) so
// `vigie dns -c vigie.yaml` runs only the dns part of a full config.
std::vector<ComponentSpec> DnsOnlySpecs() {
  std::vector<ComponentSpec> specs = AllComponents();
  for (auto& s : specs) {
    if (s.name != "dns") {
      s.parse = [](const config::Field&) -> std::shared_ptr<const ComponentConfig> {
        return nullptr;
      };
    }
  }
  return specs;
}

struct WhyOptions {
  std::string name;
  std::string config;
  std::string admin;
  dns::DnsFlags flags;
};

int RunWhy(const WhyOptions& o) {
  if (!o.admin.empty()) {
    auto address = ParseAddress(o.admin, AddressOptions{.allow_any_host = false});
    if (!address) {
      std::fprintf(stderr, "--admin: %s\n", address.error().ToString().c_str());
      return 2;
    }
    std::string target = "/dns/why?name=";
    for (char c : o.name) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') {
        target += c;
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
        target += hex;
      }
    }
    auto res = CallAdmin(*address, "GET", target, std::chrono::milliseconds(5000));
    if (!res) {
      std::fprintf(stderr, "%s: %s\n", o.admin.c_str(), res.error().ToString().c_str());
      return 2;
    }
    std::fputs(res->body.c_str(), stdout);
    return res->status == 200 ? 0 : 2;
  }
  ConfigSource source;
  if (!o.config.empty()) {
    source.path = o.config;
  } else {
    dns::DnsFlags flags = o.flags;
    if (flags.upstreams.empty()) {
      flags.upstreams = {"127.0.0.1:53"};  // not contacted: `why` only reads lists
    }
    source.embedded_text = dns::FlagsToYaml(flags);
  }
  config::Diagnostics diag(o.config.empty() ? "<flags>" : o.config);
  auto loaded = LoadServeConfig(source, DnsOnlySpecs(), diag);
  if (!loaded) {
    std::fputs(diag.ToString().c_str(), stderr);
    return 2;
  }
  auto it = loaded->components.find("dns");
  if (it == loaded->components.end()) {
    std::fprintf(stderr, "%s: no dns: section\n", o.config.c_str());
    return 2;
  }
  auto answer = dns::ExplainOffline(static_cast<const dns::DnsConfig&>(*it->second), o.name);
  std::fputs(answer.text.c_str(), stdout);
  return 0;
}

struct TopOptions {
  size_t n = 20;
  std::string config;
  std::string admin;
  bool json = false;
};

// Reads `"key":` followed by a JSON string or number at or after `*pos`
// in /dns/top's reply (a fixed shape we produce ourselves).
std::string JsonField(const std::string& body, const std::string& key, size_t* pos) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = body.find(needle, *pos);
  if (at == std::string::npos) {
    *pos = std::string::npos;
    return {};
  }
  size_t i = at + needle.size();
  std::string out;
  if (i < body.size() && body[i] == '"') {
    for (++i; i < body.size() && body[i] != '"'; ++i) {
      if (body[i] == '\\' && i + 1 < body.size()) {
        ++i;
      }
      out += body[i];
    }
  } else {
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      out += body[i++];
    }
  }
  *pos = i;
  return out;
}

int RunTop(const TopOptions& o) {
  std::string admin_text = o.admin;
  Address address;
  if (admin_text.empty() && !o.config.empty()) {
    config::Diagnostics diag(o.config);
    auto loaded = LoadServeConfig(ConfigSource{o.config, {}}, DnsOnlySpecs(), diag);
    if (!loaded) {
      std::fputs(diag.ToString().c_str(), stderr);
      return 2;
    }
    address = loaded->core.admin.listen;
  } else {
    auto parsed = ParseAddress(admin_text.empty() ? "127.0.0.1:9901" : admin_text,
                               AddressOptions{.allow_unix = true, .allow_any_host = false});
    if (!parsed) {
      std::fprintf(stderr, "--admin: %s\n", parsed.error().ToString().c_str());
      return 2;
    }
    address = *parsed;
  }
  auto res = CallAdmin(address, "GET", "/dns/top?n=" + std::to_string(o.n),
                       std::chrono::milliseconds(5000));
  if (!res) {
    std::fprintf(stderr, "%s: %s\n", address.ToString().c_str(), res.error().ToString().c_str());
    return 2;
  }
  if (res->status != 200 || o.json) {
    std::fputs(res->body.c_str(), res->status == 200 ? stdout : stderr);
    return res->status == 200 ? 0 : 2;
  }
  size_t pos = 0;
  const std::string total = JsonField(res->body, "total", &pos);
  std::printf("%10s %10s  %s   (%s blocked queries since start)\n", "count", "±error", "name",
              total.c_str());
  for (;;) {
    const std::string name = JsonField(res->body, "name", &pos);
    if (pos == std::string::npos) {
      break;
    }
    const std::string count = JsonField(res->body, "count", &pos);
    const std::string error = JsonField(res->body, "error", &pos);
    std::printf("%10s %10s  %s\n", count.c_str(), error.c_str(), name.c_str());
  }
  return 0;
}

void AddListFlags(CLI::App* cmd, dns::DnsFlags& f) {
  cmd->add_option("--block", f.block,
                  "Block list: a file or an http:// URL (hosts, domains, adblock, unbound or\n"
                  "dnsmasq syntax, detected per line). Repeatable");
  cmd->add_option("--allow", f.allow, "Allow list (beats every block list). Repeatable");
}

}  // namespace

void RegisterDns(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "dns",
      "Run the lying DNS forwarder: a caching forwarder that answers locally for names on\n"
      "block lists (files or http:// URLs, re-downloaded on a schedule).\n"
      "  vigie dns -c vigie.yaml                 (runs the file's dns: section)\n"
      "  vigie dns --upstream 192.168.1.1 --block http://example.org/hosts --block my.txt\n"
      "  vigie dns why ads.example.com -c vigie.yaml   (which list and line blocks it)\n"
      "  vigie dns top -n 20                     (most blocked names, from the running one)\n"
      "Prints 'listening: dns-udp ADDR' / 'dns-tcp ADDR'. SIGHUP re-reads the config and\n"
      "the lists. Listens on 127.0.0.1:5353 unless told otherwise (port 53 needs root).");
  auto config = std::make_shared<std::string>();
  auto flags = std::make_shared<dns::DnsFlags>();
  cmd->add_option("-c,--config", *config, "Config file (its dns:, admin:, log:, runtime: sections)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--listen", flags->listen, "Address to listen on, UDP and TCP. Repeatable");
  cmd->add_option("--upstream", flags->upstreams,
                  "Upstream server IP[:port], or tls://IP[:port][#name] for DNS over TLS\n"
                  "(certificate checked against the system store), tried in order. Repeatable");
  AddListFlags(cmd, *flags);
  cmd->add_option("--block-mode", flags->block_mode,
                  "nxdomain (default), null (0.0.0.0 / ::), refused, nodata, or an IP address");
  cmd->add_option("--refresh", flags->refresh, "How often lists are re-read (default 24h)");
  cmd->add_option("--state-dir", flags->state_dir,
                  "Where the last good copy of each URL list is kept");
  cmd->add_option("--admin", flags->admin, "Admin endpoint (default 127.0.0.1:9901)");

  auto why = cmd->add_subcommand(
      "why",
      "Explain the decision for NAME: blocked / allowed / local / forwarded, with the list,\n"
      "line number and rule. Offline from the config (or --block/--allow flags), or asking\n"
      "a running instance with --admin ADDR.");
  auto wo = std::make_shared<WhyOptions>();
  why->add_option("name", wo->name, "Domain name")->required();
  why->add_option("-c,--config", wo->config, "Config file whose dns: lists are loaded")
      ->check(CLI::ExistingFile);
  why->add_option("--admin", wo->admin, "Ask the running vigie at this admin address instead");
  AddListFlags(why, wo->flags);
  why->callback([wo, &exit_code] { exit_code = RunWhy(*wo); });

  auto top = cmd->add_subcommand(
      "top",
      "The most blocked names since the running instance started (a Space-Saving summary:\n"
      "a count may overestimate by its ±error, never underestimate), asked from its admin\n"
      "endpoint (/dns/top).\n"
      "  vigie dns top -n 20 --admin 127.0.0.1:9901\n"
      "  vigie dns top -c /etc/vigie/vigie.yaml     (the admin address of that config)");
  auto to = std::make_shared<TopOptions>();
  top->add_option("-n", to->n, "How many names (default 20)")->check(CLI::Range(1, 10000));
  top->add_option("-c,--config", to->config, "Config file whose admin: address is asked")
      ->check(CLI::ExistingFile);
  top->add_option("--admin", to->admin, "Admin address (default 127.0.0.1:9901)");
  top->add_flag("--json", to->json, "Print the JSON reply as is");
  top->callback([to, &exit_code] { exit_code = RunTop(*to); });

  cmd->callback([cmd, why, top, config, flags, &exit_code] {
    if (why->parsed() || top->parsed()) {
      return;
    }
    ConfigSource source;
    if (!config->empty()) {
      if (!flags->upstreams.empty() || !flags->block.empty() || !flags->listen.empty()) {
        std::fputs("vigie dns: give either -c FILE or flags, not both\n", stderr);
        exit_code = 2;
        return;
      }
      source.path = *config;
    } else if (!flags->upstreams.empty()) {
      source.embedded_text = dns::FlagsToYaml(*flags);
    } else {
      std::fputs(cmd->help().c_str(), stderr);
      std::fputs("\nvigie dns: give -c FILE, or at least --upstream ADDR\n", stderr);
      exit_code = 2;
      return;
    }
    Server server(source, DnsOnlySpecs(), Version());
    exit_code = server.Run();
  });
}

void AddDnsSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(dns::DnsComponentSpec());
}

}  // namespace vigie::cli
