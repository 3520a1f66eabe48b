// What the forward proxy needs from HTTP messages beyond the request head:
// a streaming chunked-body scanner (finds where a chunked body ends while the
// bytes are relayed unchanged), the origin's response head, its body framing
// (RFC 9112 §6.3) and the head rewritten for the client.
//
// Thread rules: pure; a ChunkedScanner belongs to one message at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "egress/http/request_head.h"

namespace vigie::egress::proxy {

// Follows a chunked body (RFC 9112 §7.1) byte by byte without changing it.
// Lines must end in CRLF; a size line (with extensions) is at most 4 KiB,
// the size at most 15 hex digits, trailers at most 16 KiB in total.
class ChunkedScanner {
 public:
  // Consumes bytes of `data` up to the end of the body; returns how many.
  // Errors are HttpErrc::kBadRequest naming the problem.
  Result<size_t> Feed(std::string_view data);
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailerLine, kDone };
  State state_ = State::kSizeLine;
  std::string line_;
  uint64_t remaining_ = 0;
  size_t trailer_bytes_ = 0;
};

struct ResponseHead {
  int version_minor = 1;
  int status = 0;
  std::string reason;
  std::vector<http::HeaderField> fields;
  std::optional<std::string_view> Find(std::string_view name) const;
  std::string Combined(std::string_view name) const;
};

// Where the head ends in `buffer` (offset just past the empty line), or
// nullopt while incomplete. Accepts CRLF and LF line ends.
std::optional<size_t> FindHeadEnd(std::string_view buffer);

// Parses "HTTP/1.x SSS reason" and the fields of a complete head (as
// delimited by FindHeadEnd). Errors are Errc::kInvalidArgument naming the line.
Result<ResponseHead> ParseResponseHead(std::string_view head);

struct ResponseFraming {
  enum class Kind { kNone, kContentLength, kChunked, kUntilClose };
  Kind kind = Kind::kNone;
  uint64_t length = 0;
};

// RFC 9112 §6.3 for a response to `request_method`: no body for HEAD, 1xx,
// 204 and 304; chunked when the last transfer coding is chunked; otherwise
// Content-Length; otherwise until the origin closes. Differing or malformed
// Content-Length values are an error (the proxy answers 502).
Result<ResponseFraming> DetermineResponseFraming(const ResponseHead& head,
                                                 std::string_view request_method);

// Whether the origin connection may carry another request after this
// response: HTTP/1.1 without "close", or HTTP/1.0 with "keep-alive", and a
// body that does not end at close.
bool OriginKeepsAlive(const ResponseHead& head, const ResponseFraming& framing);

struct ClientResponseOptions {
  bool via = true;
  std::string_view via_name = "vigie";
  bool keep_alive = true;  // "Connection: keep-alive" / "close" to the client
};

// The head sent to the client: "HTTP/1.1 <status> <reason>", the origin's
// fields minus hop-by-hop ones and those named by Connection, Via appended,
// the framing field regenerated, and Connection.
std::string BuildClientResponseHead(const ResponseHead& head, const ResponseFraming& framing,
                                    const ClientResponseOptions& options);

}  // namespace vigie::egress::proxy
