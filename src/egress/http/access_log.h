// Squid's native access-log line (logformat `squid`):
//   %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
// e.g. "1795706983.031      0 127.0.0.1 TCP_DENIED/403 3407 CONNECT perdu.com:443 - HIER_NONE/-
// text/html" so existing log tooling (calamaris, squid log parsers, SIEM rules) reads vigie's
// egress log unchanged.
//
// Thread rules: pure function.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigie::egress::http {

struct AccessLogEntry {
  std::chrono::system_clock::time_point time;  // when the transaction ended
  std::chrono::milliseconds elapsed{0};        // %tr
  std::string_view client_address;             // %>a
  std::string_view squid_status;             // %Ss: TCP_MISS, TCP_DENIED, TCP_TUNNEL, NONE_NONE ...
  int http_status = 0;                       // %>Hs, 0 prints "000"
  uint64_t reply_bytes = 0;                  // %<st, head + body sent to the client
  std::string_view method;                   // %rm
  std::string_view url;                      // %ru
  std::string_view user;                     // %[un, empty prints "-"
  std::string_view hierarchy = "HIER_NONE";  // %Sh: HIER_DIRECT or HIER_NONE
  std::string_view server_address;           // %<a, empty prints "-"
  std::string_view content_type;             // %mt, empty prints "-"
};

// One line without the trailing newline. With `strip_query` (Squid's
// strip_query_terms, on by default) everything from '?' in the URL is
// dropped. Blanks and control characters inside fields are percent-encoded
// so a field can never split or forge a line.
std::string FormatSquidAccessLog(const AccessLogEntry& entry, bool strip_query = true);

}  // namespace vigie::egress::http
