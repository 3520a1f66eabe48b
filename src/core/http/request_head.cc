// Incremental request-head parsing. The current line is buffered (bounded by
// the line limits); complete lines are parsed at once, so feeding one byte
// at a time costs the same as feeding the whole head.
#include "core/http/request_head.h"

#include <algorithm>

#include "core/http/http_error.h"

namespace vigie::http {
namespace {

// RFC 9110 tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return true;
  }
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// field-vchar / SP / HTAB (obs-text allowed).
bool IsFieldValueChar(unsigned char c) {
  return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

std::string Quote(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  for (char c : s.substr(0, kMaxShown)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  if (s.size() > kMaxShown) {
    out += "...";
  }
  return out + "\"";
}

}  // namespace

std::optional<std::string_view> RequestHead::Find(std::string_view name) const {
  return FindField(fields, name);
}

size_t RequestHead::Count(std::string_view name) const {
  return CountFields(fields, name);
}

std::string RequestHead::Combined(std::string_view name) const {
  return CombineFields(fields, name);
}

RequestHeadParser::RequestHeadParser(const HeadLimits& limits) : limits_(limits) {}

void RequestHeadParser::Reset() {
  state_ = State::kRequestLine;
  head_ = RequestHead();
  line_.clear();
  total_bytes_ = 0;
  line_number_ = 0;
  leading_empty_lines_ = 0;
  error_.reset();
}

Error RequestHeadParser::Fail(Error error) {
  state_ = State::kFailed;
  error_ = error;
  return error;
}

Result<size_t> RequestHeadParser::Feed(std::string_view data) {
  if (state_ == State::kFailed) {
    return *error_;
  }
  size_t consumed = 0;
  while (state_ != State::kDone && consumed < data.size()) {
    std::string_view rest = data.substr(consumed);
    size_t newline = rest.find('\n');
    size_t take = newline == std::string_view::npos ? rest.size() : newline + 1;
    bool in_request_line = state_ == State::kRequestLine;
    size_t line_limit =
        in_request_line ? limits_.max_request_line_bytes : limits_.max_field_line_bytes;
    size_t line_length = line_.size() + (newline == std::string_view::npos ? take : newline);
    if (line_length > line_limit + 1) {  // +1: the CR of a CRLF
      std::string where = "line " + std::to_string(line_number_ + 1);
      if (in_request_line) {
        return Fail(Error(HttpErrc::kUriTooLong, where + ": request line longer than " +
                                                     std::to_string(line_limit) + " bytes"));
      }
      return Fail(Error(HttpErrc::kHeadersTooLarge, where + ": header line longer than " +
                                                        std::to_string(line_limit) + " bytes"));
    }
    if (total_bytes_ + take > limits_.max_head_bytes) {
      return Fail(
          Error(HttpErrc::kHeadersTooLarge,
                "request head larger than " + std::to_string(limits_.max_head_bytes) + " bytes"));
    }
    total_bytes_ += take;
    consumed += take;
    if (newline == std::string_view::npos) {
      line_.append(rest.data(), take);
      break;
    }
    // A line that arrived whole is parsed where it lies; only one split
    // across feeds is assembled in line_ (whose capacity is kept).
    std::string_view line = rest.substr(0, newline);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    ++line_number_;
    auto processed = ProcessLine(line);
    line_.clear();
    if (!processed) {
      return Fail(processed.error());
    }
  }
  return consumed;
}

// Error messages name the line; they are built only when there is an error.
std::string RequestHeadParser::Where() const {
  return "line " + std::to_string(line_number_);
}

Result<void> RequestHeadParser::ProcessLine(std::string_view line) {
  if (line.find('\r') != std::string_view::npos) {
    return Error(HttpErrc::kBadRequest, Where() + ": bare CR");
  }
  if (state_ == State::kRequestLine) {
    if (line.empty()) {
      if (++leading_empty_lines_ > limits_.max_leading_empty_lines) {
        return Error(HttpErrc::kBadRequest,
                     Where() + ": too many empty lines before the request line");
      }
      return {};
    }
    VIGIE_TRY(ParseRequestLine(line));
    state_ = State::kFields;
    return {};
  }
  if (line.empty()) {
    state_ = State::kDone;
    return {};
  }
  if (line.front() == ' ' || line.front() == '\t') {
    return Error(HttpErrc::kBadRequest, Where() + ": obsolete line folding is not accepted");
  }
  if (head_.fields.size() >= limits_.max_fields) {
    return Error(HttpErrc::kHeadersTooLarge,
                 Where() + ": more than " + std::to_string(limits_.max_fields) + " header fields");
  }
  return ParseField(line);
}

Result<void> RequestHeadParser::ParseRequestLine(std::string_view line) {
  auto where = [&] { return Where() + ": request line " + Quote(line); };
  size_t first = line.find(' ');
  size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return Error(HttpErrc::kBadRequest, where() + ": expected METHOD SP TARGET SP VERSION");
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  std::string_view version = line.substr(second + 1);
  if (!IsToken(method)) {
    return Error(HttpErrc::kBadRequest, where() + ": bad method");
  }
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
      })) {
    return Error(HttpErrc::kBadRequest, where() + ": bad request target");
  }
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !digit(version[5]) ||
      version[6] != '.' || !digit(version[7])) {
    return Error(HttpErrc::kBadRequest, where() + ": bad HTTP version");
  }
  if (version[5] != '1') {
    return Error(HttpErrc::kVersionNotSupported, where() + ": only HTTP/1.x is served");
  }
  head_.fields.reserve(16);  // typical heads: one allocation for the field list
  head_.method = std::string(method);
  head_.target = std::string(target);
  head_.version_minor = version[7] - '0';
  return {};
}

Result<void> RequestHeadParser::ParseField(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return Error(HttpErrc::kBadRequest, Where() + ": header line without a colon");
  }
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) {
    // Covers "Name : value", which RFC 9112 §5.1 says to reject (smuggling).
    return Error(HttpErrc::kBadRequest, Where() + ": bad header name " + Quote(name));
  }
  std::string_view value = line.substr(colon + 1);
  if (!std::all_of(value.begin(), value.end(),
                   [](char c) { return IsFieldValueChar(static_cast<unsigned char>(c)); })) {
    return Error(HttpErrc::kBadRequest,
                 Where() + ": control character in the value of " + Quote(name));
  }
  size_t begin = value.find_first_not_of(" \t");
  size_t end = value.find_last_not_of(" \t");
  value =
      begin == std::string_view::npos ? std::string_view() : value.substr(begin, end - begin + 1);
  head_.fields.push_back(HeaderField{std::string(name), std::string(value)});
  return {};
}

}  // namespace vigie::http
