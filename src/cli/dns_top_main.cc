// `vigie dns top`: the most blocked names of a running vigie, from its admin
// endpoint (/dns/top), as a table.
#include <cstdio>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/instances.h"
#include "core/server.h"
#include "dns/server/cli.h"

namespace vigie::cli {
namespace {

struct TopOptions {
  size_t n = 20;
  std::string config;
  std::string admin;
  bool json = false;
};

int RunTop(const TopOptions& o) {
  std::string admin = o.admin;
  if (admin.empty() && o.config.empty()) {
    auto found = AdminOrFind({}, "dns", "vigie dns top");
    if (!found) {
      return 2;
    }
    admin = *found;
  }
  if (o.admin.empty() && !o.config.empty()) {
    config::Diagnostics diag(o.config);
    auto loaded = LoadServeConfig(ConfigSource{.path = o.config}, OnlySpecs("dns"), diag);
    if (!loaded) {
      std::fputs(diag.ToString().c_str(), stderr);
      return 2;
    }
    admin = loaded->core.admin.listen.ToString();
  }
  auto res = AskAdmin(admin, "/dns/top?n=" + std::to_string(o.n), "vigie dns top");
  if (!res) {
    return 2;
  }
  if (res->status != 200 || o.json) {
    std::fputs(res->body.c_str(), res->status == 200 ? stdout : stderr);
    return res->status == 200 ? 0 : 2;
  }
  auto table = dns::FormatTop(res->body);
  if (!table) {
    std::fprintf(stderr, "%s: %s\n", admin.c_str(), table.error().ToString().c_str());
    return 2;
  }
  std::fputs(table->c_str(), stdout);
  return 0;
}

}  // namespace

void RegisterDnsTop(CLI::App* cmd, int& exit_code) {
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
  top->add_option("--admin", to->admin,
                  "Admin address (default: the one `vigie dns` running here, else vigie "
                  "serve's 127.0.0.1:9901)");
  top->add_flag("--json", to->json, "Print the JSON reply as is");
  top->callback([to, &exit_code] { exit_code = RunTop(*to); });
}

}  // namespace vigie::cli
