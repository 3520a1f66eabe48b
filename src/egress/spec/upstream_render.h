// The configuration text the upstream scripts would generate from a parsed
// spec, byte for byte: egress-router.sh's nft rules, egress-http-proxy.sh's
// squid ACL section, egress-dns-proxy.sh's haproxy frontends/backends. Used
// by `vigie import egress` to show what an environment means in upstream
// terms, and by the conformance tests that replay the upstream vectors.
//
// Thread rules: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "egress/spec/spec.h"

namespace vigie::egress {

// The `unit-test` output of egress-router.sh: one
// `add rule ip nat prerouting iifname "eth0" ...` line per rule, the
// fallback, then the SNAT rule to `snat_source`. Ports print in decimal.
std::string RenderUpstreamNftRules(const RedirectSpec& spec, const IpAddress& snat_source);

// The `unit-test` output of egress-http-proxy.sh: for each rule a blank
// line, `acl destN dst|dstdomain TOKEN` and `http_access allow|deny destN`;
// then a blank line and `http_access allow all` (with "*") or
// `http_access deny all`.
std::string RenderUpstreamSquidAcl(const HttpProxySpec& spec);

// The frontend/backend sections of egress-dns-proxy.sh (without its fixed
// global/defaults/resolvers sections). `server_count` gives the number of A
// records a name resolves to (upstream asks dig); above 1 the backend uses
// `server-template dest <count>`.
std::string RenderUpstreamHaproxyProxies(const DnsProxySpec& spec,
                                         const std::function<int(std::string_view)>& server_count);

}  // namespace vigie::egress
