// Chunked scanning, status lines and response heads.
#include "core/http/message.h"

#include <algorithm>
#include <charconv>

#include "core/http/http_error.h"

namespace vigie::http {
namespace {

constexpr size_t kMaxSizeLine = 4096;
constexpr size_t kMaxTrailerBytes = 16 * 1024;
constexpr size_t kMaxSizeDigits = 15;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return {};
  }
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<size_t> ChunkedScanner::Feed(std::string_view data) {
  size_t i = 0;
  while (i < data.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kSizeLine:
      case State::kTrailerLine: {
        size_t nl = data.find('\n', i);
        size_t end = nl == std::string_view::npos ? data.size() : nl;
        line_.append(data.substr(i, end - i));
        if (state_ == State::kTrailerLine) {
          trailer_bytes_ += end - i + 1;
        }
        if (line_.size() > kMaxSizeLine || trailer_bytes_ > kMaxTrailerBytes) {
          return Error(HttpErrc::kBadRequest, "chunked body: line too long");
        }
        if (nl == std::string_view::npos) {
          return data.size();
        }
        i = nl + 1;
        if (line_.empty() || line_.back() != '\r') {
          return Error(HttpErrc::kBadRequest, "chunked body: line without CRLF");
        }
        line_.pop_back();
        if (line_.find('\r') != std::string::npos) {
          return Error(HttpErrc::kBadRequest, "chunked body: bare CR");
        }
        if (state_ == State::kTrailerLine) {
          state_ = line_.empty() ? State::kDone : State::kTrailerLine;
          line_.clear();
          break;
        }
        size_t digits = 0;
        while (digits < line_.size() && IsHex(line_[digits])) {
          ++digits;
        }
        if (digits == 0 || digits > kMaxSizeDigits) {
          return Error(HttpErrc::kBadRequest, "chunked body: bad chunk size");
        }
        std::string_view rest = Trim(std::string_view(line_).substr(digits));
        if (!rest.empty() && rest.front() != ';') {
          return Error(HttpErrc::kBadRequest, "chunked body: bad chunk size");
        }
        uint64_t size = 0;
        std::from_chars(line_.data(), line_.data() + digits, size, 16);
        line_.clear();
        if (size == 0) {
          state_ = State::kTrailerLine;
        } else {
          remaining_ = size;
          state_ = State::kData;
        }
        break;
      }
      case State::kData: {
        uint64_t n = std::min<uint64_t>(remaining_, data.size() - i);
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) {
          state_ = State::kDataEnd;
        }
        break;
      }
      case State::kDataEnd: {
        line_.push_back(data[i++]);
        if (line_.size() == 2) {
          if (line_ != "\r\n") {
            return Error(HttpErrc::kBadRequest, "chunked body: chunk data not followed by CRLF");
          }
          line_.clear();
          state_ = State::kSizeLine;
        }
        break;
      }
      case State::kDone:
        break;
    }
  }
  return i;
}

std::optional<std::string_view> ResponseHead::Find(std::string_view name) const {
  return FindField(fields, name);
}

std::string ResponseHead::Combined(std::string_view name) const {
  return CombineFields(fields, name);
}

Result<StatusLine> ParseStatusLine(std::string_view line) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (line.size() < 12 || !line.starts_with("HTTP/") || !digit(line[5]) || line[6] != '.' ||
      !digit(line[7]) || line[8] != ' ' || !digit(line[9]) || !digit(line[10]) ||
      !digit(line[11]) || (line.size() > 12 && line[12] != ' ')) {
    return Error(HttpErrc::kBadGateway, "malformed status line");
  }
  StatusLine out;
  out.version_major = line[5] - '0';
  out.version_minor = line[7] - '0';
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view();
  return out;
}

std::optional<size_t> FindHeadEnd(std::string_view buffer) {
  // The head ends at the first empty line: "\n\n" or "\n\r\n".
  size_t pos = 0;
  while ((pos = buffer.find('\n', pos)) != std::string_view::npos) {
    if (pos + 1 < buffer.size() && buffer[pos + 1] == '\n') {
      return pos + 2;
    }
    if (pos + 2 < buffer.size() && buffer[pos + 1] == '\r' && buffer[pos + 2] == '\n') {
      return pos + 3;
    }
    ++pos;
  }
  return std::nullopt;
}

Result<ResponseHead> ParseResponseHead(std::string_view head) {
  ResponseHead out;
  out.fields.reserve(16);  // typical responses: one allocation for the field list
  int line_number = 0;
  bool first = true;
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.find('\r') != std::string_view::npos) {
      return Error(HttpErrc::kBadGateway,
                   "response line " + std::to_string(line_number) + ": bare CR");
    }
    if (first) {
      first = false;
      // "HTTP/1.x SSS[ reason]" with a status of 100-599.
      auto status_line = ParseStatusLine(line);
      if (!status_line || status_line->version_major != 1 || status_line->status < 100 ||
          status_line->status > 599) {
        return Error(HttpErrc::kBadGateway, "malformed status line");
      }
      out.version_minor = status_line->version_minor;
      out.status = status_line->status;
      out.reason = std::string(status_line->reason);
      continue;
    }
    if (line.empty()) {
      break;
    }
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      return Error(HttpErrc::kBadGateway,
                   "response line " + std::to_string(line_number) + ": not a header field");
    }
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return Error(HttpErrc::kBadGateway,
                   "response line " + std::to_string(line_number) + ": bad field name");
    }
    std::string_view value = Trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
        })) {
      return Error(HttpErrc::kBadGateway,
                   "response line " + std::to_string(line_number) + ": control character");
    }
    out.fields.emplace_back(HeaderField{std::string(name), std::string(value)});
  }
  if (first) {
    return Error(HttpErrc::kBadGateway, "empty response head");
  }
  return out;
}

}  // namespace vigie::http
