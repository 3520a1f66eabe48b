// `vigie dns why NAME`: which list and line decide NAME, offline from a
// config or the list flags, or asked from a running vigie (--admin).
#include <cstdio>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/server.h"
#include "core/text.h"
#include "dns/server/cli.h"

namespace vigie::cli {
namespace {

struct WhyOptions {
  std::string name;
  std::string config;
  std::string admin;
  dns::DnsFlags flags;
};

int RunWhy(const WhyOptions& o) {
  if (!o.admin.empty()) {
    auto res = AskAdmin(o.admin, "/dns/why?name=" + PercentEncode(o.name), "vigie dns why");
    if (!res) {
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
    source.overlay = dns::FlagsOverlay(flags);
  }
  config::Diagnostics diag(o.config.empty() ? "<flags>" : o.config);
  auto loaded = LoadServeConfig(source, OnlySpecs("dns"), diag);
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

}  // namespace

void RegisterDnsWhy(CLI::App* cmd, int& exit_code) {
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
  AddDnsListFlags(why, wo->flags);
  why->callback([wo, &exit_code] { exit_code = RunWhy(*wo); });
}

}  // namespace vigie::cli
