#include "lb/monitor/monitor_http.h"

#include <algorithm>
#include <cctype>

namespace vigie::lb::monitor {
namespace {

constexpr std::string_view kOkBody =
    "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";
constexpr std::string_view kUnavailableBody =
    "<html><body><h1>503 Service Unavailable</h1>\n"
    "No server is available to handle this request.\n</body></html>\n";
constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\n"
    "Connection: close\r\nContent-Type: text/html\r\n\r\n"
    "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n"
    "</body></html>\n";

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Does a `Connection` header in `headers` (the lines after the request
// line) list `close`?
bool AsksToClose(std::string_view headers) {
  while (!headers.empty()) {
    std::size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !EqualsNoCase(line.substr(0, colon), "connection")) {
      continue;
    }
    std::string value(line.substr(colon + 1));
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (value.find("close") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<Reply> Answer(std::string_view received, std::string_view monitor_uri) {
  std::size_t end = received.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > kMaxRequestHead) {
    if (received.size() < kMaxRequestHead) {
      return std::nullopt;
    }
    return Reply{std::string(kBadRequest), true, received.size()};
  }
  Reply reply;
  reply.consumed = end + 4;
  std::string_view head = received.substr(0, end);
  std::size_t eol = head.find("\r\n");
  std::string_view request_line = head.substr(0, eol);
  std::string_view headers = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  // METHOD SP URI SP HTTP/1.x
  std::size_t sp1 = request_line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  std::string_view method = request_line.substr(0, sp1);
  std::string_view uri =
      sp2 == std::string_view::npos ? "" : request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = sp2 == std::string_view::npos ? "" : request_line.substr(sp2 + 1);
  if (!IsToken(method) || uri.empty() || uri.find(' ') != std::string_view::npos ||
      (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    reply.bytes = kBadRequest;
    reply.close = true;
    return reply;
  }
  reply.close = version == "HTTP/1.0" || AsksToClose(headers);
  const bool ok = uri == monitor_uri;
  std::string_view body = ok ? kOkBody : kUnavailableBody;
  reply.bytes = ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n";
  reply.bytes += "content-length: " + std::to_string(body.size()) +
                 "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n";
  if (reply.close) {
    reply.bytes += "connection: close\r\n";
  }
  reply.bytes += "\r\n";
  if (method != "HEAD") {
    reply.bytes += body;
  }
  return reply;
}

}  // namespace vigie::lb::monitor
