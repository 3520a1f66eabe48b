// `vigie egress check TARGET`: whether the HTTP proxy's ACL allows TARGET,
// and the rule that decided (egress/cli.h).
#include <cstdio>

#include "cli/commands.h"
#include "core/server.h"
#include "egress/acl/check_target.h"
#include "egress/cli.h"
#include "egress/egress.h"

namespace vigie::cli {
namespace {

struct CheckFlags {
  egress::CheckOptions options;
  std::string config;
};

int RunCheck(const CheckFlags& f) {
  if (f.config.empty()) {
    return egress::CheckAcl(f.options, nullptr);
  }
  config::Diagnostics diag(f.config);
  auto loaded = LoadServeConfig(ConfigSource{.path = f.config}, AllComponents(), diag);
  if (!loaded) {
    std::fputs(diag.ToString().c_str(), stderr);
    return egress::kCheckExitError;
  }
  auto it = loaded->components.find("egress");
  const auto* section = it == loaded->components.end()
                            ? nullptr
                            : dynamic_cast<const egress::EgressConfig*>(it->second.get());
  if (section == nullptr || !section->http_proxy) {
    std::fprintf(stderr, "%s: no egress.http_proxy section\n", f.config.c_str());
    return egress::kCheckExitError;
  }
  return egress::CheckAcl(f.options, &*section->http_proxy);
}

}  // namespace

void RegisterEgressCheck(CLI::App* egress_cmd, int& exit_code) {
  auto* check = egress_cmd->add_subcommand(
      "check",
      "Print whether the HTTP proxy ACL allows TARGET, and the rule that decided:\n"
      "  vigie egress check http://perdu.com/  ->  deny http://perdu.com/ (line 1: !perdu.com)\n"
      "Reads EGRESS_HTTP_PROXY_DESTINATION (or --destination-file), or -c vigie.yaml.\n"
      "Names are resolved as the proxy would (--hosts-file, --nameserver, or the system\n"
      "resolver) when an address rule needs them. Exit status: 0 allow, 1 deny, 2 error.");
  auto f = std::make_shared<CheckFlags>();
  auto& o = f->options;
  check->add_option("TARGET", o.target, "URL or host[:port], [v6]:port, address")->required();
  check->add_option("-c,--config", f->config, "vigie.yaml with an egress.http_proxy section");
  check->add_option("--destination-file", o.destination_file, "ACL file (instead of the env)");
  check->add_option("--hosts-file", o.hosts_file, "Resolve names from this hosts file only");
  check->add_option("--nameserver", o.nameservers, "Ask this DNS server (repeatable)");
  check->add_flag("--no-resolve", o.no_resolve,
                  "Do not resolve names: address rules then match nothing (as in Squid)");
  check->callback([f, &exit_code] { exit_code = RunCheck(*f); });
}

}  // namespace vigie::cli
