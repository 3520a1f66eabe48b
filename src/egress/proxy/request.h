// What the HTTP proxy decides about one request without I/O: the head
// parser's limits, whether a client may use the proxy, the addresses a name's
// answer leaves to the ACL and to connect, the rule a denial names, and the
// key under which origin connections are reused and pooled.
//
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/request_head.h"
#include "core/ip.h"
#include "egress/acl/acl.h"
#include "egress/http/proxy_target.h"

namespace vigie::egress::proxy {

// The request head parser's limits for a max_header_bytes setting: no
// request line or field line longer than the whole head may be.
vigie::http::HeadLimits RequestHeadLimits(uint64_t max_header_bytes);

// Whether `client_ip` may use the proxy (Squid `src`): every client when
// `allow_clients` is empty; otherwise only one inside a prefix (an address
// that does not parse never is).
bool ClientAllowed(std::span<const Cidr> allow_clients, std::string_view client_ip);

// `::ffff:a.b.c.d` is a.b.c.d to the ACL and to connect (docs/egress.md):
// the addresses unmapped, in order, without duplicates.
std::vector<IpAddress> UniqueUnmapped(const std::vector<IpAddress>& addresses);

// The rule a denial names in X-Squid-Error and its body: the decision's
// rule, and the address when one decided ("line 3: !10.0.0.0/8, address
// 10.0.0.7").
std::string DenialRule(const AclDecision& decision);

// "host:port": an origin connection is reused, and pooled for other clients,
// under the place it goes to.
std::string OriginKey(const http::ProxyTarget& target);

}  // namespace vigie::egress::proxy
