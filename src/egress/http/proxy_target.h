// Request targets of a forward proxy (RFC 9112 §3.2): the absolute form
// ("http://host:port/path?q") and, for CONNECT, the authority form
// ("host:port"). Also the host/port grammar shared with `vigie egress check`.
//
// Host rules (what the ACL and the resolver will see):
//   - names are ASCII letters, digits, '-', '_' and '.', lower-cased, at most
//     253 characters (plus one trailing dot), no empty label;
//   - percent-encoded hosts are REJECTED, not decoded: "%65xample.com" must
//     not reach the ACL as one name and the resolver as another;
//   - IPv4 literals are strict dotted quads; a name whose last label is
//     numeric or hex ("2130706433", "0x7f.1", "127.1", "010.0.0.1") is
//     rejected, because resolvers read those as addresses behind the ACL's back;
//   - IPv6 literals are bracketed, without zone id; IPvFuture is rejected;
//   - userinfo ("user@host") is rejected.
//
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ip.h"

namespace vigie::egress::http {

struct Authority {
  std::string host;                  // lower case; IPv6 without brackets
  std::optional<IpAddress> address;  // set when host is an IP literal
  std::optional<uint16_t> port;      // absent when not written (or empty after ':')

  // "host", "host:port", "[v6]:port" (the port only when written).
  std::string ToString() const;
};

// Parses "host", "host:port", "[v6]" or "[v6]:port". With `require_port`
// a missing or empty port is an error (CONNECT). Errors are
// HttpErrc::kBadRequest (core/http/http_error.h) naming the problem.
Result<Authority> ParseAuthority(std::string_view text, bool require_port);

// Validates and lower-cases a host name or IPv4 literal (no brackets), per
// the rules above.
Result<Authority> ParseHost(std::string_view host);

struct ProxyTarget {
  enum class Kind {
    kForward,  // absolute form: the proxy sends origin_form to host:port
    kConnect,  // authority form: the proxy opens a tunnel to host:port
  };
  Kind kind = Kind::kForward;
  std::string scheme;                // "http" or "https"; empty for CONNECT
  std::string host;                  // as Authority::host
  std::optional<IpAddress> address;  // IP-literal host
  uint16_t port = 0;                 // effective port (scheme default when not written)
  bool port_written = false;
  std::string origin_form;  // "/path?query" ("/" when empty); empty for CONNECT

  // The Host header value for the origin: host, with ":port" when written
  // and not the scheme's default, IPv6 bracketed.
  std::string HostHeader() const;
  // What the access log shows: "http://host[:port]/path?q" or "host:port".
  std::string LogUrl() const;
};

// Interprets a request target for a forward proxy:
//   CONNECT    -> authority form with a port ("CONNECT host" is an error);
//   any other  -> absolute form with scheme http or https (others: 501);
//   origin form ("/x") and "*" are not proxy requests -> 400.
// The fragment ("#...") of an absolute URI is dropped.
Result<ProxyTarget> ParseProxyTarget(std::string_view method, std::string_view target);

}  // namespace vigie::egress::http
