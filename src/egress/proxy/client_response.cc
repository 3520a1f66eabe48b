// The client response head rewrite.
#include "egress/proxy/client_response.h"

#include <algorithm>
#include <vector>

#include "core/http/fields.h"
#include "egress/http/forward.h"

namespace vigie::egress::proxy {

using ::vigie::http::EqualsIgnoreCase;
using ::vigie::http::ResponseFraming;
using ::vigie::http::ResponseHead;
using ::vigie::http::SplitList;

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
    if (!via.empty()) {
      via += ", ";
    }
    via.append("1.").append(std::to_string(head.version_minor)).append(" ");
    via.append(options.via_name);
  }
  if (!via.empty()) {
    out.append("Via: ").append(via).append("\r\n");
  }
  switch (framing.kind) {
    case ResponseFraming::Kind::kContentLength:
      out.append("Content-Length: ").append(std::to_string(framing.length)).append("\r\n");
      break;
    case ResponseFraming::Kind::kChunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    case ResponseFraming::Kind::kNone:
      // A HEAD answer keeps the length the origin announced.
      if (auto cl = head.Find("Content-Length"); cl && head.status >= 200 && head.status != 204) {
        out.append("Content-Length: ").append(*cl).append("\r\n");
      }
      break;
    case ResponseFraming::Kind::kUntilClose:
      break;
  }
  out += options.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace vigie::egress::proxy
