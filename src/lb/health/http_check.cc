// HTTP check request builder and response status evaluator.
#include "lb/health/http_check.h"

#include <cctype>

#include "core/http/message.h"

namespace vigie::lb::health {

std::string BuildHttpCheckRequest(const HttpCheckRequest& r) {
  std::string out = r.method + " " + r.uri + " " + r.version + "\r\n";
  bool http11 = r.version == "HTTP/1.1";
  bool has_connection = false;
  for (const auto& [name, value] : r.headers) {
    std::string lower;
    for (char c : name)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "connection")
      has_connection = true;
    out += lower + ": " + value + "\r\n";
  }
  if (http11 && !has_connection)
    out += "connection: close\r\n";
  out += "\r\n";
  return out;
}

std::optional<CheckOutcome> EvaluateHttpCheckResponse(
    std::string_view received, const std::vector<std::pair<int, int>>& expect) {
  CheckOutcome invalid;
  invalid.status = CheckStatus::kL7Rsp;
  std::size_t eol = received.find('\n');
  if (eol == std::string_view::npos) {
    // Reject early what can never become a status line.
    std::string_view prefix = "HTTP/";
    std::size_t n = std::min(prefix.size(), received.size());
    if (received.substr(0, n) != prefix.substr(0, n) || received.size() > kMaxStatusLine) {
      return invalid;
    }
    return std::nullopt;
  }
  if (eol > kMaxStatusLine) {
    // Too long whether or not its end has arrived yet: the verdict must not
    // depend on how the answer was split into reads.
    return invalid;
  }
  std::string_view line = received.substr(0, eol);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  // "HTTP/x.y SP NNN [SP reason]": any version and any three digits, the
  // reason taken as it is (haproxy judges the code against `expect` only).
  auto status_line = vigie::http::ParseStatusLine(line);
  if (!status_line) {
    return invalid;
  }
  int code = status_line->status;
  std::string_view reason = status_line->reason;
  bool pass = false;
  if (expect.empty()) {
    pass = code >= 200 && code <= 399;
  } else {
    for (const auto& [lo, hi] : expect) {
      if (code >= lo && code <= hi)
        pass = true;
    }
  }
  CheckOutcome out;
  out.code = code;
  if (pass) {
    out.status = CheckStatus::kL7Ok;
  } else {
    out.status = CheckStatus::kL7Sts;
    out.info = std::string(reason);
  }
  return out;
}

}  // namespace vigie::lb::health
