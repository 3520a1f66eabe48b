// `vigie dns`: run the lying DNS forwarder standalone (from a config file or
// from dnsmasq-style flags), and `vigie dns why NAME` to explain a decision.
// Also the `dns:` ComponentSpec for `vigie serve`.
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
      "Prints 'listening: dns-udp ADDR' / 'dns-tcp ADDR'. SIGHUP re-reads the config and\n"
      "the lists. Listens on 127.0.0.1:5353 unless told otherwise (port 53 needs root).");
  auto config = std::make_shared<std::string>();
  auto flags = std::make_shared<dns::DnsFlags>();
  cmd->add_option("-c,--config", *config, "Config file (its dns:, admin:, log:, runtime: sections)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--listen", flags->listen, "Address to listen on, UDP and TCP. Repeatable");
  cmd->add_option("--upstream", flags->upstreams,
                  "Upstream server IP[:port], tried in order. Repeatable");
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

  cmd->callback([cmd, why, config, flags, &exit_code] {
    if (why->parsed()) {
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
