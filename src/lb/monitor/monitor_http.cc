#include "lb/monitor/monitor_http.h"

#include "core/http/fields.h"
#include "core/http/request_head.h"

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

}  // namespace

std::optional<Reply> Answer(std::string_view received, std::string_view monitor_uri) {
  // The one HTTP/1 head parser, bounded at haproxy's buffer size here.
  http::HeadLimits limits;
  limits.max_head_bytes = kMaxRequestHead;
  limits.max_request_line_bytes = kMaxRequestHead;
  limits.max_field_line_bytes = kMaxRequestHead;
  http::RequestHeadParser parser(limits);
  Result<size_t> fed = parser.Feed(received);
  if (fed && !parser.done() && received.size() < kMaxRequestHead) {
    return std::nullopt;  // under the bound, the head goes on
  }
  const http::RequestHead& head = parser.head();
  // haproxy answers anything that is not an HTTP/1.0 or 1.1 request head
  // with its 400 page (a newer minor version included).
  if (!fed || !parser.done() || head.version_minor > 1) {
    return Reply{std::string(kBadRequest), true, received.size()};
  }
  Reply reply;
  reply.consumed = *fed;
  std::optional<std::string_view> connection = head.Find("Connection");
  reply.close = head.version_minor == 0 || (connection && http::ListHas(*connection, "close"));
  const bool ok = head.target == monitor_uri;
  std::string_view body = ok ? kOkBody : kUnavailableBody;
  reply.bytes = ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n";
  reply.bytes += "content-length: " + std::to_string(body.size()) +
                 "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n";
  if (reply.close) {
    reply.bytes += "connection: close\r\n";
  }
  reply.bytes += "\r\n";
  if (head.method != "HEAD") {
    reply.bytes += body;
  }
  return reply;
}

}  // namespace vigie::lb::monitor
