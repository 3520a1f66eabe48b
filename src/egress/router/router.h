// Redirect mode, kernel engine: what egress-router.sh does in `init` and
// `legacy` mode, natively — put EGRESS_SOURCE on the egress interface and
// route through EGRESS_GATEWAY (ip), then install the NAT table (nft) built
// by egress/nft/ruleset.h; in legacy mode, wait for SIGTERM and remove
// exactly that table.
//
// Thread rules: blocking, for the `vigie egress` command's main thread.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "egress/nft/ruleset.h"
#include "egress/spec/spec.h"

namespace vigie::egress::router {

struct RouterOptions {
  NftOptions nft;             // table and interface names (upstream: eth0 / macvlan0)
  bool setup_network = true;  // address + routes on nft.egress_interface
  // Found in the system directories (core/command.h), never on $PATH; each
  // run has a deadline.
  std::string ip_binary = "ip";
  std::string nft_binary = "nft";
};

// The `ip` commands upstream's setup_network runs, skipped when the route to
// the gateway already leaves through the egress interface (a restarted pod).
Result<void> SetUpNetwork(const RouterSpec& spec, const RouterOptions& options);

// Installs the NAT table (one `nft -f -` transaction; a rerun replaces it).
Result<void> InstallRules(const RouterSpec& spec, const RouterOptions& options);
// Removes the table and nothing else.
Result<void> RemoveRules(const RouterOptions& options);

// init: network + rules, return. legacy: the same, then block until SIGTERM
// or SIGINT and remove the rules. Returns the process exit code; errors are
// printed to stderr.
int RunRouterMode(const RouterSpec& spec, const RouterOptions& options);

}  // namespace vigie::egress::router
