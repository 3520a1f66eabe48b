// Hop-by-hop removal and the origin request rewrite.
#include "egress/http/forward.h"

#include <algorithm>
#include <array>

#include "core/http/fields.h"
#include "core/http/http_error.h"

namespace vigie::egress::http {

using ::vigie::http::BodyFraming;
using ::vigie::http::EqualsIgnoreCase;
using ::vigie::http::HeaderField;
using ::vigie::http::HttpErrc;
using ::vigie::http::RequestHead;
using ::vigie::http::SplitList;

namespace {

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  return out;
}

}  // namespace

bool IsHopByHopField(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {"Connection",
                                                                "Keep-Alive",
                                                                "Proxy-Connection",
                                                                "Proxy-Authorization",
                                                                "Proxy-Authenticate",
                                                                "TE",
                                                                "Trailer",
                                                                "Transfer-Encoding",
                                                                "Upgrade"};
  return std::any_of(kHopByHop.begin(), kHopByHop.end(),
                     [&](std::string_view h) { return EqualsIgnoreCase(h, name); });
}

std::vector<std::string> ConnectionOptions(const RequestHead& head) {
  std::vector<std::string> options;
  for (const HeaderField& field : head.fields) {
    if (EqualsIgnoreCase(field.name, "Connection") ||
        EqualsIgnoreCase(field.name, "Proxy-Connection")) {
      for (std::string_view item : SplitList(field.value)) {
        options.push_back(Lowercase(item));
      }
    }
  }
  return options;
}

bool ClientKeepsAlive(const RequestHead& head) {
  std::vector<std::string> options = ConnectionOptions(head);
  auto listed = [&](std::string_view token) {
    return std::find(options.begin(), options.end(), token) != options.end();
  };
  if (listed("close"))
    return false;
  if (head.version_minor == 0)
    return listed("keep-alive");
  return true;
}

Result<std::string> BuildOriginRequest(const RequestHead& head, const ProxyTarget& target,
                                       const BodyFraming& framing, const ForwardOptions& options,
                                       std::string_view client_address) {
  if (target.kind == ProxyTarget::Kind::kConnect) {
    return Error(HttpErrc::kBadRequest, "CONNECT has no origin request");
  }
  // Fields named by Connection are compared in place (no lowercased copies
  // per field): this runs for every forwarded request.
  std::vector<std::string_view> connection_options;
  for (const HeaderField& field : head.fields) {
    if (EqualsIgnoreCase(field.name, "Connection") ||
        EqualsIgnoreCase(field.name, "Proxy-Connection")) {
      for (std::string_view item : SplitList(field.value))
        connection_options.push_back(item);
    }
  }
  auto named_by_connection = [&](std::string_view name) {
    return std::any_of(connection_options.begin(), connection_options.end(),
                       [&](std::string_view option) { return EqualsIgnoreCase(option, name); });
  };

  std::string out;
  out.reserve(512);
  out.append(head.method).append(" ").append(target.origin_form).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(target.HostHeader()).append("\r\n");
  for (const HeaderField& field : head.fields) {
    std::string_view name = field.name;
    if (IsHopByHopField(name) || named_by_connection(name) || EqualsIgnoreCase(name, "Host") ||
        EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Via") ||
        EqualsIgnoreCase(name, "X-Forwarded-For")) {
      continue;
    }
    out.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  // Via and X-Forwarded-For are combined into one line each (list rule).
  std::string via = head.Combined("Via");
  if (options.via) {
    if (!via.empty())
      via += ", ";
    via.append("1.").append(std::to_string(head.version_minor)).append(" ");
    via.append(options.via_name);
  }
  if (!via.empty())
    out.append("Via: ").append(via).append("\r\n");

  std::string xff = head.Combined("X-Forwarded-For");
  switch (options.forwarded_for) {
    case ForwardedFor::kOn:
      xff.append(xff.empty() ? "" : ", ").append(client_address);
      break;
    case ForwardedFor::kOff:
      xff.append(xff.empty() ? "" : ", ").append("unknown");
      break;
    case ForwardedFor::kTransparent:
      break;
    case ForwardedFor::kTruncate:
      xff = std::string(client_address);
      break;
    case ForwardedFor::kDelete:
      xff.clear();
      break;
  }
  if (!xff.empty())
    out.append("X-Forwarded-For: ").append(xff).append("\r\n");

  switch (framing.kind) {
    case BodyFraming::Kind::kNone:
      // A bodyless POST/PUT still tells the origin its length is zero.
      if (head.Count("Content-Length") > 0)
        out += "Content-Length: 0\r\n";
      break;
    case BodyFraming::Kind::kContentLength:
      out += "Content-Length: " + std::to_string(framing.length) + "\r\n";
      break;
    case BodyFraming::Kind::kChunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
  }
  if (options.close_origin_connection)
    out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace vigie::egress::http
