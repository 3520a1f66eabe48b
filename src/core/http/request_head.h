// A bounded, incremental HTTP/1.x request-head parser (request line and
// header fields, RFC 9112 §2-5), the one every vigie server that reads HTTP/1
// requests uses. Bytes are fed as they arrive; "need more" is not an error.
//
// Thread rules: a parser is used by one connection at a time; no shared state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/http/fields.h"

namespace vigie::http {

struct HeadLimits {
  size_t max_head_bytes = 64 * 1024;          // whole head, terminators included -> 431
  size_t max_request_line_bytes = 16 * 1024;  // -> 414
  size_t max_field_line_bytes = 16 * 1024;    // one header line -> 431
  size_t max_fields = 100;                    // header count -> 431
  size_t max_leading_empty_lines = 8;         // CRLFs tolerated before the request line
};

struct RequestHead {
  std::string method;               // token, case-sensitive ("GET", "CONNECT")
  std::string target;               // request-target as received (1..N visible ASCII)
  int version_minor = 1;            // HTTP/1.<minor>; 0 means HTTP/1.0
  std::vector<HeaderField> fields;  // in received order

  // The value of the first field named `name` (case-insensitive).
  std::optional<std::string_view> Find(std::string_view name) const;
  // How many fields are named `name`.
  size_t Count(std::string_view name) const;
  // All values of `name` joined with ", " (the list-combination rule).
  std::string Combined(std::string_view name) const;
};

// Parses one request head. Accepts CRLF and bare LF line ends; rejects a
// bare CR, obs-fold continuation lines, whitespace between a field name and
// its colon, control characters in values, and request lines that are not
// exactly "METHOD SP TARGET SP HTTP/1.x".
//
// Errors (HttpErrc in core/http/http_error.h, StatusForError): 400 malformed, 414 request line too
// long, 431 head/field line too long or too many fields, 505 a major version
// other than 1. The error context names the line number and the problem.
class RequestHeadParser {
 public:
  explicit RequestHeadParser(const HeadLimits& limits = {});

  // Consumes bytes of `data`. While the head is incomplete every byte is
  // consumed; the call that completes it consumes through the final empty
  // line only, so the return value marks where the body (or the next
  // pipelined request) starts. Once done() or after an error, Feed returns
  // the same outcome without consuming until Reset().
  Result<size_t> Feed(std::string_view data);

  bool done() const { return state_ == State::kDone; }
  // The parsed head; meaningful once done().
  const RequestHead& head() const { return head_; }
  RequestHead TakeHead() { return std::move(head_); }
  // Total bytes of the head consumed so far.
  size_t head_bytes() const { return total_bytes_; }

  // Ready for the next request on the same connection.
  void Reset();

 private:
  enum class State { kRequestLine, kFields, kDone, kFailed };

  std::string Where() const;
  Result<void> ProcessLine(std::string_view line);
  Result<void> ParseRequestLine(std::string_view line);
  Result<void> ParseField(std::string_view line);
  Error Fail(Error error);

  HeadLimits limits_;
  State state_ = State::kRequestLine;
  RequestHead head_;
  std::string line_;  // the current, incomplete line
  size_t total_bytes_ = 0;
  size_t line_number_ = 0;
  size_t leading_empty_lines_ = 0;
  std::optional<Error> error_;
};

}  // namespace vigie::http
