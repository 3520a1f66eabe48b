// Proxy-generated responses.
#include "egress/http/response.h"

#include "core/http/http_error.h"

namespace vigie::egress::http {

using ::vigie::http::ReasonPhrase;

namespace {

std::string Printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      c = '?';
  }
  return out;
}

std::string_view SquidErrorName(int status) {
  switch (status) {
    case 400:
      return "ERR_INVALID_REQ";
    case 403:
      return "ERR_ACCESS_DENIED";
    case 414:
    case 431:
      return "ERR_TOO_BIG";
    case 501:
      return "ERR_UNSUP_REQ";
    case 505:
      return "ERR_UNSUP_HTTPVERSION";
    case 502:
    case 503:
      return "ERR_CONNECT_FAIL";
    case 504:
      return "ERR_READ_TIMEOUT";
    default:
      return "ERR_INVALID_REQ";
  }
}

std::string Response(int status, std::string_view server, std::string_view body, bool keep_alive) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\r\n";
  out += "Server: " + Printable(server) + "\r\n";
  out += "X-Squid-Error: " + std::string(SquidErrorName(status)) + " 0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Cache-Control: no-store\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace

std::string BuildDenialResponse(const DenialInfo& info) {
  std::string body = "Access denied.\nThe egress policy does not allow " + Printable(info.url) +
                     ".\nRule: " + Printable(info.rule) + "\n";
  return Response(403, info.server, body, info.keep_alive);
}

std::string BuildErrorResponse(int status, std::string_view detail, std::string_view server) {
  std::string body = std::string(ReasonPhrase(status)) + ": " + Printable(detail) + "\n";
  return Response(status, server, body, /*keep_alive=*/false);
}

std::string_view ConnectEstablishedResponse() {
  return "HTTP/1.1 200 Connection established\r\n\r\n";
}

}  // namespace vigie::egress::http
