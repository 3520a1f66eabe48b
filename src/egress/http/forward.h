// What the forward proxy does to a parsed request before sending it on:
// hop-by-hop field removal (RFC 9110 §7.6.1), the origin-form rewrite, Host
// replacement, and Via / X-Forwarded-For insertion in Squid's manner. Body
// framing is core's (core/http/framing.h).
//
// Thread rules: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/http/framing.h"
#include "core/http/request_head.h"
#include "egress/http/proxy_target.h"

namespace vigie::egress::http {

// Squid's `forwarded_for` setting.
enum class ForwardedFor {
  kOn,           // append the client address to X-Forwarded-For (Squid default)
  kOff,          // append "unknown"
  kTransparent,  // pass the received header unchanged
  kTruncate,     // replace with the client address alone
  kDelete,       // remove the header
};

struct ForwardOptions {
  bool via = true;                 // Squid `via on`: add "Via: 1.x <via_name>"
  std::string via_name = "vigie";  // received-by pseudonym
  ForwardedFor forwarded_for = ForwardedFor::kOn;
  bool close_origin_connection = false;  // send "Connection: close" to the origin
};

// True for the fields a proxy never forwards: Connection, Keep-Alive,
// Proxy-Connection, Proxy-Authorization, Proxy-Authenticate, TE, Trailer,
// Transfer-Encoding, Upgrade.
bool IsHopByHopField(std::string_view name);

// The lower-cased field names listed in the Connection (and, for old
// clients, Proxy-Connection) fields.
std::vector<std::string> ConnectionOptions(const vigie::http::RequestHead& head);

// Whether the client connection stays open after this request: HTTP/1.1
// unless "close" is listed; HTTP/1.0 only with "keep-alive" listed in
// Connection or Proxy-Connection.
bool ClientKeepsAlive(const vigie::http::RequestHead& head);

// Serializes the request head for the origin server:
//   "<METHOD> <origin-form> HTTP/1.1", then "Host: <target.HostHeader()>",
//   then the received fields in order minus the hop-by-hop ones, the ones
//   named by Connection, and Host and Content-Length (regenerated below);
//   then Via, X-Forwarded-For (per options), the framing field
//   ("Content-Length: N" or "Transfer-Encoding: chunked", regenerated from
//   `framing`), and "Connection: close" when asked; then the empty line.
// `client_address` is the textual client IP. Errors: a CONNECT target
// (tunnels have no origin request) -> 400.
Result<std::string> BuildOriginRequest(const vigie::http::RequestHead& head,
                                       const ProxyTarget& target,
                                       const vigie::http::BodyFraming& framing,
                                       const ForwardOptions& options,
                                       std::string_view client_address);

}  // namespace vigie::egress::http
