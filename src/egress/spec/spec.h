// The drop-in environment of OpenShift's egress images, parsed into typed
// specs: the router init container (EGRESS_SOURCE, EGRESS_GATEWAY,
// EGRESS_ROUTER_MODE, EGRESS_DESTINATION), the HTTP proxy
// (EGRESS_HTTP_PROXY_DESTINATION) and the DNS proxy
// (EGRESS_DNS_PROXY_DESTINATION). Grammar, validation order and error
// messages are those of upstream egress-router.sh, egress-http-proxy.sh and
// egress-dns-proxy.sh; the deliberate deviations are listed in
// docs/egress.md ("Deviations from upstream").
//
// Thread rules: pure functions over values; no getenv, no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ip.h"

namespace vigie::egress {

// The process environment, passed in so that parsing stays hermetic.
using Environment = std::map<std::string, std::string, std::less<>>;

// Exit codes of the upstream scripts: every validation failure exits 1.
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfigError = 1;

// A value larger than this is refused (Linux caps one environment string at
// 128 KiB anyway); the error code is Errc::kLimitExceeded.
inline constexpr size_t kMaxEnvValueBytes = 1 << 20;

// Where a parse error sits, for callers that want to print "VAR:line:"
// before the upstream message. line is 0 when the error is about the whole
// variable (unset, empty, too large).
struct ErrorLocation {
  std::string variable;
  int line = 0;
};

// Every error below is Errc::kInvalidArgument (or kLimitExceeded for size)
// whose context is exactly the upstream message, e.g.
// "EGRESS_DESTINATION value 'invalid' is invalid"; Error::ToString() returns
// it unchanged. When `where` is not null it receives the place.

// ---------------------------------------------------------------------------
// Router (init container).

enum class RouterMode {
  kInit,       // network + NAT, then exit
  kLegacy,     // network + NAT, then wait for SIGTERM (default when unset or empty)
  kHttpProxy,  // network only, no NAT
  kDnsProxy,   // network only, no NAT
  kUnitTest,   // print the NAT rules only
};

// "init", "legacy", "http-proxy", "dns-proxy", "unit-test".
std::string_view RouterModeName(RouterMode mode);

// An empty `text` is kLegacy (bash `${EGRESS_ROUTER_MODE:=legacy}`).
// Error: "Unrecognized EGRESS_ROUTER_MODE '<text>'".
Result<RouterMode> ParseRouterMode(std::string_view text);

// True for the modes that read EGRESS_DESTINATION and install NAT rules
// (init, legacy, unit-test).
bool ModeUsesDestination(RouterMode mode);

enum class Protocol { kTcp, kUdp };
std::string_view ProtocolName(Protocol protocol);  // "tcp" / "udp"

// "<localport> <proto> <ip> [<destport>]".
struct RedirectRule {
  int line = 0;      // 1-based line in EGRESS_DESTINATION
  std::string text;  // the line as read (trimmed)
  Protocol protocol = Protocol::kTcp;
  uint16_t local_port = 0;   // 1..65535, unique across tcp and udp
  IpAddress destination;     // always IPv4
  uint16_t remote_port = 0;  // == local_port when not written
  bool remote_port_written = false;
};

// A lone "<ip>": every other TCP/UDP port goes there, port unchanged.
struct FallbackRule {
  int line = 0;
  std::string text;
  IpAddress destination;  // always IPv4
};

struct RedirectSpec {
  std::vector<RedirectRule> rules;       // in input order
  std::optional<FallbackRule> fallback;  // the last non-comment line, if an IP
};

// Parses EGRESS_DESTINATION. Errors, first one wins, in upstream order:
//   "EGRESS_DESTINATION unspecified"                      (empty value)
//   "EGRESS_DESTINATION fallback IP must be the last line" (any line after it)
//   "EGRESS_DESTINATION value '<line>' is invalid"
//   "Invalid port: <N>, must be in the range 1 to 65535"  (destport first)
//   "EGRESS_DESTINATION localport <N> is already used, must be unique for each destination"
Result<RedirectSpec> ParseEgressDestination(std::string_view value, ErrorLocation* where = nullptr);

struct RouterSpec {
  RouterMode mode = RouterMode::kLegacy;
  IpAddress source;               // the bare EGRESS_SOURCE address (SNAT target)
  int source_prefix_length = 32;  // from "a.b.c.d/N", else 32
  IpAddress gateway;
  bool debug = false;                    // EGRESS_ROUTER_DEBUG non-empty
  std::optional<RedirectSpec> redirect;  // set iff ModeUsesDestination(mode)
};

// Parses the init container's environment, checking in upstream order:
//   "EGRESS_SOURCE unspecified or invalid"   (IPv4, optional "/N", N <= 32)
//   "EGRESS_GATEWAY unspecified or invalid"  (IPv4, no prefix)
//   "Unrecognized EGRESS_ROUTER_MODE '<mode>'"
//   then ParseEgressDestination for init, legacy and unit-test.
Result<RouterSpec> ParseRouterEnvironment(const Environment& env, ErrorLocation* where = nullptr);

// ---------------------------------------------------------------------------
// HTTP proxy destination ACL.

enum class AclAction { kAllow, kDeny };
std::string_view AclActionName(AclAction action);  // "allow" / "deny"

enum class ProxyRuleKind {
  kAddress,  // IP or CIDR: Squid `dst`, matched against resolved addresses
  kDomain,   // "*.d": Squid `dstdomain .d`, d itself and every name below it
  kHost,     // "name": Squid `dstdomain name`, that name only
};

struct ProxyRule {
  int line = 0;      // 1-based line in EGRESS_HTTP_PROXY_DESTINATION
  int number = 0;    // N of upstream's "destN" (counts non-skipped lines, "*" included)
  std::string text;  // the line as read, "!" included
  AclAction action = AclAction::kAllow;
  ProxyRuleKind kind = ProxyRuleKind::kHost;
  std::string
      token;  // what upstream writes in squid.conf: "10.0.0.0/8", ".example.com", "example.com"
  std::string name;  // kDomain/kHost: lower case, no "*." and no trailing dot
  Cidr prefix;       // kAddress: host bits cleared, ::ffff:a.b.c.d/N>=96 folded to IPv4
};

// The final "*" line.
struct WildcardRule {
  int line = 0;
  int number = 0;
  std::string text;
};

struct HttpProxySpec {
  std::vector<ProxyRule> rules;          // in file order
  std::optional<WildcardRule> wildcard;  // present: unmatched requests are allowed
  AclAction default_action() const { return wildcard ? AclAction::kAllow : AclAction::kDeny; }
};

// Parses EGRESS_HTTP_PROXY_DESTINATION. Errors, first one wins:
//   "No EGRESS_HTTP_PROXY_DESTINATION specified"  (empty value)
//   "Wildcard must be last rule, if present"
//   "Bad destination '<line without its leading !>'"
Result<HttpProxySpec> ParseHttpProxyDestination(std::string_view value,
                                                ErrorLocation* where = nullptr);
// Reads EGRESS_HTTP_PROXY_DESTINATION from `env` (unset counts as empty).
Result<HttpProxySpec> ParseHttpProxyEnvironment(const Environment& env,
                                                ErrorLocation* where = nullptr);

// ---------------------------------------------------------------------------
// DNS proxy (a TCP forwarder whose targets may be DNS names).

struct DnsProxyRule {
  int line = 0;
  int number = 0;  // N of upstream's feN/beN
  std::string text;
  uint16_t port = 0;                 // local port, unique
  std::string target;                // as written: an IPv4 address or a dotted name
  std::optional<IpAddress> address;  // set when target is an IPv4 address
  uint16_t target_port = 0;          // == port when not written
};

struct DnsProxySpec {
  std::vector<DnsProxyRule> rules;
  bool debug = false;  // EGRESS_DNS_PROXY_DEBUG non-empty (environment parse only)
};

// Parses EGRESS_DNS_PROXY_DESTINATION. Errors, first one wins:
//   "Must specify EGRESS_DNS_PROXY_DESTINATION"  (empty value)
//   "Bad destination '<line>'"
//   "Invalid port: <N>, must be in the range 1 to 65535"  (port, then targetport)
//   "Proxy port <N> already used, must be unique for each destination"
Result<DnsProxySpec> ParseDnsProxyDestination(std::string_view value,
                                              ErrorLocation* where = nullptr);
Result<DnsProxySpec> ParseDnsProxyEnvironment(const Environment& env,
                                              ErrorLocation* where = nullptr);

}  // namespace vigie::egress
