// Message body framing (RFC 9112 §6): the one place that reads
// Content-Length and Transfer-Encoding to decide where a request or a
// response body ends, and whether a connection can carry another response.
//
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/http/message.h"
#include "core/http/request_head.h"

namespace vigie::http {

// How a request body is delimited.
struct BodyFraming {
  enum class Kind {
    kNone,           // no body
    kContentLength,  // exactly `length` bytes
    kChunked,        // chunked transfer coding (ChunkedScanner finds its end)
  };
  Kind kind = Kind::kNone;
  uint64_t length = 0;
};

// Decides how the request body is delimited, refusing what could be read two
// ways by two parsers (request smuggling):
//   - Transfer-Encoding together with Content-Length         -> 400
//   - Transfer-Encoding in an HTTP/1.0 request                 -> 400
//   - Transfer-Encoding other than exactly "chunked"
//     (case-insensitive; "gzip, chunked", "chunked, chunked")  -> 501
//   - Content-Length not 1*DIGIT (max 18 digits), or several
//     differing values (identical repeats are merged)         -> 400
// No Content-Length and no Transfer-Encoding, or a length of 0, means no
// body. Errors are HttpErrc (the status in the value).
Result<BodyFraming> DetermineRequestBodyFraming(const RequestHead& head);

// How a response body is delimited.
struct ResponseFraming {
  enum class Kind { kNone, kContentLength, kChunked, kUntilClose };
  Kind kind = Kind::kNone;
  uint64_t length = 0;
};

// RFC 9112 §6.3 for a response to `request_method`: no body for HEAD, 1xx,
// 204 and 304; chunked when the last transfer coding is chunked (other
// codings: until close), Transfer-Encoding winning over Content-Length;
// otherwise Content-Length (identical repeats merged, an empty value
// ignored); otherwise until the server closes. Differing or malformed
// Content-Length values are HttpErrc::kBadGateway.
Result<ResponseFraming> DetermineResponseFraming(const ResponseHead& head,
                                                 std::string_view request_method);

// Whether the connection may carry another request after this response:
// HTTP/1.1 without "close", or HTTP/1.0 with "keep-alive", and a body that
// does not end at close.
bool ResponseKeepsAlive(const ResponseHead& head, const ResponseFraming& framing);

}  // namespace vigie::http
