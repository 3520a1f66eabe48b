// Body framing for requests and responses.
#include "core/http/framing.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "core/http/fields.h"
#include "core/http/http_error.h"

namespace vigie::http {
namespace {

constexpr size_t kMaxContentLengthDigits = 18;  // fits uint64_t

}  // namespace

Result<BodyFraming> DetermineRequestBodyFraming(const RequestHead& head) {
  bool has_te = head.Count("Transfer-Encoding") > 0;
  bool has_cl = head.Count("Content-Length") > 0;
  if (has_te && has_cl) {
    return Error(HttpErrc::kBadRequest, "both Transfer-Encoding and Content-Length: refused");
  }
  if (has_te) {
    if (head.version_minor == 0) {
      return Error(HttpErrc::kBadRequest, "Transfer-Encoding in an HTTP/1.0 request: refused");
    }
    std::string transfer_encoding = head.Combined("Transfer-Encoding");
    std::vector<std::string_view> codings = SplitList(transfer_encoding);
    if (codings.size() != 1 || !EqualsIgnoreCase(codings[0], "chunked")) {
      return Error(HttpErrc::kNotImplemented, "Transfer-Encoding \"" +
                                                  transfer_encoding.substr(0, 64) +
                                                  "\": only \"chunked\" is supported");
    }
    return BodyFraming{BodyFraming::Kind::kChunked, 0};
  }
  if (!has_cl) {
    return BodyFraming{};
  }
  std::optional<uint64_t> length;
  std::string content_length = head.Combined("Content-Length");
  for (std::string_view item : SplitList(content_length)) {
    if (item.empty() || item.size() > kMaxContentLengthDigits ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Error(HttpErrc::kBadRequest,
                   "bad Content-Length \"" + std::string(item.substr(0, 32)) + "\"");
    }
    uint64_t value = 0;
    for (char c : item) {
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (length && *length != value) {
      return Error(HttpErrc::kBadRequest, "conflicting Content-Length values: refused");
    }
    length = value;
  }
  if (!length) {
    return Error(HttpErrc::kBadRequest, "empty Content-Length");
  }
  if (*length == 0) {
    return BodyFraming{};
  }
  return BodyFraming{BodyFraming::Kind::kContentLength, *length};
}

Result<ResponseFraming> DetermineResponseFraming(const ResponseHead& head,
                                                 std::string_view request_method) {
  if (request_method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304) {
    return ResponseFraming{};
  }
  std::string te = head.Combined("Transfer-Encoding");
  if (!te.empty()) {
    auto codings = SplitList(te);
    if (!codings.empty() && EqualsIgnoreCase(codings.back(), "chunked")) {
      return ResponseFraming{ResponseFraming::Kind::kChunked, 0};
    }
    return ResponseFraming{ResponseFraming::Kind::kUntilClose, 0};
  }
  std::optional<uint64_t> length;
  for (const auto& f : head.fields) {
    if (!EqualsIgnoreCase(f.name, "Content-Length")) {
      continue;
    }
    for (std::string_view item : SplitList(f.value)) {
      uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec != std::errc() || ptr != item.data() + item.size() ||
          item.size() > kMaxContentLengthDigits) {
        return Error(HttpErrc::kBadGateway, "malformed Content-Length in response");
      }
      if (length && *length != v) {
        return Error(HttpErrc::kBadGateway, "differing Content-Length values in response");
      }
      length = v;
    }
  }
  if (length) {
    return ResponseFraming{ResponseFraming::Kind::kContentLength, *length};
  }
  return ResponseFraming{ResponseFraming::Kind::kUntilClose, 0};
}

bool ResponseKeepsAlive(const ResponseHead& head, const ResponseFraming& framing) {
  if (framing.kind == ResponseFraming::Kind::kUntilClose) {
    return false;
  }
  std::string connection = head.Combined("Connection");
  if (ListHas(connection, "close")) {
    return false;
  }
  return head.version_minor >= 1 || ListHas(connection, "keep-alive");
}

}  // namespace vigie::http
