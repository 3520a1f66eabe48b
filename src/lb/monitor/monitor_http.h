// haproxy's `monitor-uri` on an HTTP frontend without a backend (kubespray's
// `frontend healthz`): haproxy answers the request itself, 200 for the
// monitor URI and 503 for any other, 400 for what is not an HTTP/1.x
// request head. The replies are byte-for-byte haproxy 2.6.12's (verified).
// The request head is read by core/http's parser, the one vigie has.
// Pure and bounded: the caller feeds what it read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vigie::lb::monitor {

// A request head longer than this is refused (400).
inline constexpr std::size_t kMaxRequestHead = 8 * 1024;

struct Reply {
  std::string bytes;         // the whole response
  bool close = false;        // close the connection after it
  std::size_t consumed = 0;  // request bytes answered (the head; bodies are not read)
};

// Answers the first request in `received`, or nullopt while its head is
// incomplete (and under kMaxRequestHead).
std::optional<Reply> Answer(std::string_view received, std::string_view monitor_uri);

}  // namespace vigie::lb::monitor
