// The L7 part of a health check: the request haproxy sends for `option
// httpchk` / `http-check send`, and the verdict on the response status line
// (`http-check expect status`), read with core's ParseStatusLine. Pure
// byte-level functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lb/health/health_check.h"

namespace vigie::lb::health {

struct HttpCheckRequest {
  std::string method = "OPTIONS";
  std::string uri = "/";
  std::string version = "HTTP/1.0";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Bytes to send, as haproxy 2.6 sends them (verified on the wire):
// "GET /healthz HTTP/1.0\r\n\r\n"; with HTTP/1.1, header names lower-cased
// and "connection: close" added:
// "GET /readyz HTTP/1.1\r\nhost: api.local\r\nconnection: close\r\n\r\n".
std::string BuildHttpCheckRequest(const HttpCheckRequest& request);

// Longest status line the evaluator waits for before calling it invalid.
inline constexpr std::size_t kMaxStatusLine = 1024;

// Evaluates what the server answered so far. nullopt = the status line is
// not complete yet (keep reading until the check timeout, then L7TOUT).
// `expect` holds inclusive status ranges; empty means 200-399 pass.
// Results: L7OK with code; L7STS with code and the reason phrase as info;
// L7RSP for anything that is not an HTTP status line.
std::optional<CheckOutcome> EvaluateHttpCheckResponse(
    std::string_view received, const std::vector<std::pair<int, int>>& expect);

}  // namespace vigie::lb::health
