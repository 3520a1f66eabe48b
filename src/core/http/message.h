// HTTP/1 messages beyond the request head: a streaming chunked-body scanner
// (finds where a chunked body ends while the bytes are relayed unchanged),
// the status line and the response head (RFC 9112 §4-5, §7.1).
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
#include "core/http/fields.h"

namespace vigie::http {

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

// "HTTP/x.y SSS[ reason]" as RFC 9112 §4 writes it.
struct StatusLine {
  int version_major = 1;
  int version_minor = 1;
  int status = 0;           // any three digits, 000-999
  std::string_view reason;  // the rest after "SSS ", any bytes; points into the line
};

// Parses one status line without its line end: "HTTP/" DIGIT "." DIGIT SP
// 3DIGIT, then nothing or SP and a reason phrase. The grammar alone: any
// version and any three-digit status are accepted (a caller such as a health
// check judges them). Errors are HttpErrc::kBadGateway "malformed status line".
Result<StatusLine> ParseStatusLine(std::string_view line);

struct ResponseHead {
  int version_minor = 1;
  int status = 0;
  std::string reason;
  std::vector<HeaderField> fields;
  std::optional<std::string_view> Find(std::string_view name) const;
  std::string Combined(std::string_view name) const;
};

// Where the head ends in `buffer` (offset just past the empty line), or
// nullopt while incomplete. Accepts CRLF and LF line ends.
std::optional<size_t> FindHeadEnd(std::string_view buffer);

// Parses the status line (HTTP/1.x, status 100-599) and the fields of a
// complete head (as delimited by FindHeadEnd). Errors are
// HttpErrc::kBadGateway naming the line: a bare CR, a malformed status line,
// a line that is not a field, a bad field name, a control character.
Result<ResponseHead> ParseResponseHead(std::string_view head);

}  // namespace vigie::http
