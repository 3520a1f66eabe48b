// Chunked scanning, response heads and their framing for the forward proxy.
#include "egress/proxy/message.h"

#include <algorithm>
#include <charconv>

#include "egress/http/forward.h"
#include "egress/http/http_error.h"

namespace vigie::egress::proxy {
namespace {

using http::EqualsIgnoreCase;
using http::HttpErrc;

constexpr size_t kMaxSizeLine = 4096;
constexpr size_t kMaxTrailerBytes = 16 * 1024;
constexpr size_t kMaxSizeDigits = 15;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos)
    return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> SplitList(std::string_view value) {
  std::vector<std::string_view> items;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty())
      items.push_back(item);
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

bool ListHas(std::string_view list, std::string_view token) {
  auto items = SplitList(list);
  return std::any_of(items.begin(), items.end(),
                     [&](std::string_view i) { return EqualsIgnoreCase(i, token); });
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
        if (state_ == State::kTrailerLine)
          trailer_bytes_ += end - i + 1;
        if (line_.size() > kMaxSizeLine || trailer_bytes_ > kMaxTrailerBytes)
          return Error(HttpErrc::kBadRequest, "chunked body: line too long");
        if (nl == std::string_view::npos)
          return data.size();
        i = nl + 1;
        if (line_.empty() || line_.back() != '\r')
          return Error(HttpErrc::kBadRequest, "chunked body: line without CRLF");
        line_.pop_back();
        if (line_.find('\r') != std::string::npos)
          return Error(HttpErrc::kBadRequest, "chunked body: bare CR");
        if (state_ == State::kTrailerLine) {
          state_ = line_.empty() ? State::kDone : State::kTrailerLine;
          line_.clear();
          break;
        }
        size_t digits = 0;
        while (digits < line_.size() && IsHex(line_[digits]))
          ++digits;
        if (digits == 0 || digits > kMaxSizeDigits)
          return Error(HttpErrc::kBadRequest, "chunked body: bad chunk size");
        std::string_view rest = Trim(std::string_view(line_).substr(digits));
        if (!rest.empty() && rest.front() != ';')
          return Error(HttpErrc::kBadRequest, "chunked body: bad chunk size");
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
        if (remaining_ == 0)
          state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd: {
        line_.push_back(data[i++]);
        if (line_.size() == 2) {
          if (line_ != "\r\n")
            return Error(HttpErrc::kBadRequest, "chunked body: chunk data not followed by CRLF");
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
  for (const auto& f : fields) {
    if (EqualsIgnoreCase(f.name, name))
      return f.value;
  }
  return std::nullopt;
}

std::string ResponseHead::Combined(std::string_view name) const {
  std::string out;
  for (const auto& f : fields) {
    if (EqualsIgnoreCase(f.name, name)) {
      if (!out.empty())
        out += ", ";
      out += f.value;
    }
  }
  return out;
}

std::optional<size_t> FindHeadEnd(std::string_view buffer) {
  // The head ends at the first empty line: "\n\n" or "\n\r\n".
  size_t pos = 0;
  while ((pos = buffer.find('\n', pos)) != std::string_view::npos) {
    if (pos + 1 < buffer.size() && buffer[pos + 1] == '\n')
      return pos + 2;
    if (pos + 2 < buffer.size() && buffer[pos + 1] == '\r' && buffer[pos + 2] == '\n')
      return pos + 3;
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
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos)
      return Error(Errc::kInvalidArgument,
                   "response line " + std::to_string(line_number) + ": bare CR");
    if (first) {
      first = false;
      // "HTTP/1.x SSS[ reason]"
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' ||
          line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
          line[11] < '0' || line[11] > '9' || (line.size() > 12 && line[12] != ' ')) {
        return Error(Errc::kInvalidArgument, "malformed status line");
      }
      out.version_minor = line[7] - '0';
      out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
      out.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
      continue;
    }
    if (line.empty())
      break;
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
      return Error(Errc::kInvalidArgument,
                   "response line " + std::to_string(line_number) + ": not a header field");
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar))
      return Error(Errc::kInvalidArgument,
                   "response line " + std::to_string(line_number) + ": bad field name");
    std::string_view value = Trim(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
        })) {
      return Error(Errc::kInvalidArgument,
                   "response line " + std::to_string(line_number) + ": control character");
    }
    out.fields.emplace_back(http::HeaderField{std::string(name), std::string(value)});
  }
  if (first)
    return Error(Errc::kInvalidArgument, "empty response head");
  return out;
}

Result<ResponseFraming> DetermineResponseFraming(const ResponseHead& head,
                                                 std::string_view request_method) {
  if (request_method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304)
    return ResponseFraming{};
  std::string te = head.Combined("Transfer-Encoding");
  if (!te.empty()) {
    auto codings = SplitList(te);
    if (!codings.empty() && EqualsIgnoreCase(codings.back(), "chunked"))
      return ResponseFraming{ResponseFraming::Kind::kChunked, 0};
    return ResponseFraming{ResponseFraming::Kind::kUntilClose, 0};
  }
  std::optional<uint64_t> length;
  for (const auto& f : head.fields) {
    if (!EqualsIgnoreCase(f.name, "Content-Length"))
      continue;
    for (std::string_view item : SplitList(f.value)) {
      uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec != std::errc() || ptr != item.data() + item.size() || item.size() > 18)
        return Error(Errc::kInvalidArgument, "malformed Content-Length in response");
      if (length && *length != v)
        return Error(Errc::kInvalidArgument, "differing Content-Length values in response");
      length = v;
    }
  }
  if (length)
    return ResponseFraming{ResponseFraming::Kind::kContentLength, *length};
  return ResponseFraming{ResponseFraming::Kind::kUntilClose, 0};
}

bool OriginKeepsAlive(const ResponseHead& head, const ResponseFraming& framing) {
  if (framing.kind == ResponseFraming::Kind::kUntilClose)
    return false;
  std::string connection = head.Combined("Connection");
  if (ListHas(connection, "close"))
    return false;
  return head.version_minor >= 1 || ListHas(connection, "keep-alive");
}

std::string BuildClientResponseHead(const ResponseHead& head, const ResponseFraming& framing,
                                    const ClientResponseOptions& options) {
  const std::string connection = head.Combined("Connection");
  std::vector<std::string_view> named = SplitList(connection);
  std::string out;
  out.reserve(512);
  out += "HTTP/1.1 ";
  out += std::to_string(head.status);
  out += ' ';
  out += head.reason;
  out += "\r\n";
  for (const auto& f : head.fields) {
    bool by_connection = std::any_of(named.begin(), named.end(), [&](std::string_view n) {
      return EqualsIgnoreCase(n, f.name);
    });
    if (by_connection || http::IsHopByHopField(f.name) || EqualsIgnoreCase(f.name, "Via") ||
        EqualsIgnoreCase(f.name, "Content-Length")) {
      continue;
    }
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  std::string via = head.Combined("Via");
  if (options.via) {
    if (!via.empty())
      via += ", ";
    via.append("1.").append(std::to_string(head.version_minor)).append(" ");
    via.append(options.via_name);
  }
  if (!via.empty())
    out.append("Via: ").append(via).append("\r\n");
  switch (framing.kind) {
    case ResponseFraming::Kind::kContentLength:
      out.append("Content-Length: ").append(std::to_string(framing.length)).append("\r\n");
      break;
    case ResponseFraming::Kind::kChunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    case ResponseFraming::Kind::kNone:
      // A HEAD answer keeps the length the origin announced.
      if (auto cl = head.Find("Content-Length"); cl && head.status >= 200 && head.status != 204)
        out.append("Content-Length: ").append(*cl).append("\r\n");
      break;
    case ResponseFraming::Kind::kUntilClose:
      break;
  }
  out += options.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace vigie::egress::proxy
