// The nftables ruleset for redirect mode: from a parsed EGRESS_DESTINATION,
// the `nft -f` script that installs vigie's own NAT table (DNAT per rule
// with port translation, the fallback, SNAT to EGRESS_SOURCE), and the
// script that removes exactly that table. Upstream egress-router.sh writes
// the same rules into `table ip nat`; vigie keeps to a table of its own so
// that removing it never touches anyone else's rules.
//
// Thread rules: pure functions.
#pragma once

#include <string>

#include "core/error.h"
#include "egress/spec/spec.h"

namespace vigie::egress {

struct NftOptions {
  std::string table = "vigie_egress";         // [A-Za-z][A-Za-z0-9_]*, at most 64 characters
  std::string ingress_interface = "eth0";     // where redirected traffic arrives (upstream: eth0)
  std::string egress_interface = "macvlan0";  // where SNAT applies (upstream: macvlan0)
};

// The install script, applied atomically by `nft -f -`:
//   table ip <t> { chain prerouting {...dstnat...} chain postrouting {...srcnat...} }
//   flush table ip <t>
//   add rule ip <t> prerouting iifname "<in>" tcp dport 8080 dnat to 10.7.8.9:80
//   add rule ip <t> prerouting iifname "<in>" dnat to 10.1.2.3       (fallback)
//   add rule ip <t> postrouting oifname "<out>" snat to <source>
// Declaring then flushing makes it idempotent: a rerun replaces the rules.
// Errors: a bad table or interface name (kInvalidArgument).
Result<std::string> BuildNftInstallScript(const RedirectSpec& spec, const IpAddress& snat_source,
                                          const NftOptions& options = {});

// "table ip <t>\ndelete table ip <t>\n": removes the table whether or not it
// exists (the declaration creates it first), and nothing else.
Result<std::string> BuildNftRemoveScript(const NftOptions& options = {});

}  // namespace vigie::egress
