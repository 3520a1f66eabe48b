// `vigie egress check TARGET`: turns the operator's TARGET (a URL or
// host[:port]) into what the ACL decides on, and the decision into the
// line the command prints and its exit code (0 allow, 1 deny, 2 error).
//
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ip.h"
#include "egress/acl/acl.h"

namespace vigie::egress {

inline constexpr int kCheckExitAllow = 0;
inline constexpr int kCheckExitDeny = 1;
inline constexpr int kCheckExitError = 2;

struct CheckTarget {
  std::string host;                  // as the proxy would see it (lower case, IPv6 unbracketed)
  std::optional<IpAddress> address;  // IP-literal host
  std::optional<uint16_t> port;      // written or implied by the URL scheme
  std::string display;               // "http://perdu.com/", "perdu.com:443", "[::1]:8080"
};

// Accepts "http://host[:port][/...]", "https://...", "host", "host:port",
// "[v6]", "[v6]:port" and a bare IPv6 address ("fe80::1"). Host rules are
// the proxy's (egress/http/proxy_target.h): percent-encoded, numeric-alias
// and userinfo hosts are errors. Errors are for exit code 2.
Result<CheckTarget> ParseCheckTarget(std::string_view text);

// "allow http://free.fr/ (line 4: *)",
// "deny perdu.com:443 (line 2: !*.perdu.com)",
// "deny intranet.example:80 (line 3: !10.42.253.0/24, address 10.42.253.7)".
std::string FormatCheckResult(const CheckTarget& target, const AclDecision& decision);

// kCheckExitAllow or kCheckExitDeny.
int CheckExitCode(const AclDecision& decision);

}  // namespace vigie::egress
