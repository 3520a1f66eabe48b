// What keeps a web page the operator happens to open from reaching vigie's
// admin endpoint or the events HTTP port through the operator's browser:
//
// - DNS rebinding: a page from evil.example re-points its own name at
//   127.0.0.1 and reads the admin endpoint as same-origin. Its requests
//   carry `Host: evil.example`, so only loopback names, IP literals (a
//   rebinding attack needs a name) and names the operator configured pass.
// - Cross-site writes: a page may POST to any address with a form or
//   fetch(..., {mode: "no-cors"}); browsers send `Origin` and
//   `Sec-Fetch-Site` with it. A state-changing request whose Origin is not
//   allowed, or whose Sec-Fetch-Site is "cross-site" or "same-site", is
//   refused. Clients that are not browsers (curl, `vigie reload`) send
//   neither and pass.
// - WebSocket and SSE reads: browsers let any page open them; only allowed
//   origins may.
//
// Allowed origins are the loopback ones (http or https, any port, so
// riemann-dash on localhost keeps working) plus the configured list.
//
// Thread rules: pure functions over values.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigie::http {

struct BrowserPolicy {
  std::vector<std::string> allowed_hosts;    // extra Host names (no port), case-insensitive
  std::vector<std::string> allowed_origins;  // extra origins, "https://dash.example:8443"
};

// Whether `host` (a Host header value, with or without port) names this
// server as only the operator could: a loopback name ("localhost",
// "*.localhost"), an IP literal ("127.0.0.1:9901", "[::1]:9901",
// "10.0.0.5"), or one of policy.allowed_hosts. An absent or empty Host
// (HTTP/1.0 clients) passes; a malformed one does not.
bool HostAllowed(std::optional<std::string_view> host, const BrowserPolicy& policy);

// Whether `origin` (an Origin header value) is a loopback origin
// ("http://localhost:4567", "http://127.0.0.1", "https://[::1]:8443") or is
// listed in policy.allowed_origins (compared case-insensitively, a trailing
// '/' ignored). "null" (sandboxed pages, file://) is not allowed.
bool OriginAllowed(std::string_view origin, const BrowserPolicy& policy);

// The reason to refuse a request with 403, or nullopt to serve it.
// `state_changing`: anything but GET, HEAD and OPTIONS, and every WebSocket
// or SSE subscription (a read that a page must not get either).
std::optional<std::string> RefuseFromBrowser(std::optional<std::string_view> host,
                                             std::optional<std::string_view> origin,
                                             std::optional<std::string_view> sec_fetch_site,
                                             bool state_changing, const BrowserPolicy& policy);

}  // namespace vigie::http
