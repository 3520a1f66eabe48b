// Responses the forward proxy writes itself: the 403 denial (with Squid's
// `X-Squid-Error: ERR_ACCESS_DENIED 0`, so clients and scripts that look for
// it keep working) and the error answers for bad request heads.
//
// Thread rules: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace vigie::egress::http {

struct DenialInfo {
  std::string_view url;  // ProxyTarget::LogUrl(), or the raw target
  std::string_view
      rule;  // who decided: "line 3: !10.42.253.0/24" or "default deny (no rule matched)"
  bool keep_alive = true;  // Squid keeps the client connection open after a 403
  std::string_view server = "vigie";
};

// "HTTP/1.1 403 Forbidden" with Server, X-Squid-Error: ERR_ACCESS_DENIED 0,
// Content-Type: text/plain; charset=utf-8, Cache-Control: no-store,
// Content-Length, Connection; and a short body:
//   Access denied.
//   The egress policy does not allow <url>.
//   Rule: <rule>
// Control characters in url/rule are replaced by '?' (no header or log injection).
std::string BuildDenialResponse(const DenialInfo& info);

// An error answer: "HTTP/1.1 <status> <reason>", X-Squid-Error with the
// matching Squid error name (ERR_INVALID_REQ for 400, ERR_TOO_BIG for
// 414/431, ERR_UNSUP_REQ for 501, ERR_UNSUP_HTTPVERSION for 505,
// ERR_CONNECT_FAIL for 502/503, ERR_READ_TIMEOUT for 504), a text body
// "<reason>: <detail>\n", and "Connection: close".
std::string BuildErrorResponse(int status, std::string_view detail,
                               std::string_view server = "vigie");

// "HTTP/1.1 200 Connection established\r\n\r\n", the answer to an allowed
// CONNECT once the upstream connection is up.
std::string_view ConnectEstablishedResponse();

}  // namespace vigie::egress::http
