// List downloads over HTTP/1.1 with Beast: conditional GET, deadline, size cap.
#include "dns/server/http_fetch.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/net.h"

namespace vigie::dns {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using net::tcp;

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return Error(vigie::Errc::kInvalidArgument,
                 "only http:// URLs are supported: " + std::string(url));
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url out;
  if (slash != std::string_view::npos) {
    out.target = std::string(rest.substr(slash));
  }
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error(vigie::Errc::kInvalidArgument, "bad URL host: " + std::string(url));
    }
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      out.port = std::string(authority.substr(close + 2));
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty() || out.port.empty()) {
    return Error(vigie::Errc::kInvalidArgument, "bad URL: " + std::string(url));
  }
  return out;
}

struct Exchange {
  HttpFetchRequest request;
  Url url;
  Result<HttpFetchResponse> result = Error(vigie::Errc::kUnavailable, "not run");
  std::string location;  // set on a redirect
};

net::Awaitable<void> RunExchange(Exchange* ex) {
  auto executor = co_await net::asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + ex->request.timeout;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(ex->url.host, ex->url.port, net::kUseTuple);
  if (rec) {
    ex->result = Error(vigie::Errc::kUnavailable, ex->url.host + ": " + rec.message());
    co_return;
  }
  auto [cec, ep] = co_await stream.async_connect(endpoints, net::kUseTuple);
  if (cec) {
    ex->result =
        Error(cec == beast::error::timeout ? vigie::Errc::kTimeout : vigie::Errc::kUnavailable,
              ex->url.host + ":" + ex->url.port + ": " + cec.message());
    co_return;
  }
  http::request<http::empty_body> req{http::verb::get, ex->url.target, 11};
  req.set(http::field::host, ex->url.host);
  req.set(http::field::user_agent, "vigie-dns");
  req.set(http::field::accept_encoding, "identity");
  if (!ex->request.etag.empty()) {
    req.set(http::field::if_none_match, ex->request.etag);
  }
  if (!ex->request.last_modified.empty()) {
    req.set(http::field::if_modified_since, ex->request.last_modified);
  }
  auto [wec, wn] = co_await http::async_write(stream, req, net::kUseTuple);
  if (wec) {
    ex->result = Error(vigie::Errc::kUnavailable, "sending request: " + wec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(ex->request.max_bytes);
  parser.header_limit(64 * 1024);
  auto [rdec, rn] = co_await http::async_read(stream, buffer, parser, net::kUseTuple);
  if (rdec) {
    if (rdec == http::error::body_limit) {
      ex->result = Error(vigie::Errc::kLimitExceeded,
                         "list larger than " + std::to_string(ex->request.max_bytes) + " bytes");
    } else {
      ex->result =
          Error(rdec == beast::error::timeout ? vigie::Errc::kTimeout : vigie::Errc::kUnavailable,
                "reading response: " + rdec.message());
    }
    co_return;
  }
  auto& res = parser.get();
  const int status = res.result_int();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (status == 301 || status == 302 || status == 307 || status == 308) {
    ex->location = std::string(res[http::field::location]);
    ex->result = Error(vigie::Errc::kUnavailable, "redirect to " + ex->location);
    co_return;
  }
  if (status != 200 && status != 304) {
    ex->result = Error(vigie::Errc::kUnavailable, "HTTP status " + std::to_string(status));
    co_return;
  }
  HttpFetchResponse out;
  out.status = status;
  out.etag = std::string(res[http::field::etag]);
  out.last_modified = std::string(res[http::field::last_modified]);
  out.body = std::move(res.body());
  ex->result = std::move(out);
}

void OnExchangeDone(std::exception_ptr e) {
  if (e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception&) {
      // The Exchange keeps its error; nothing else to do here.
    }
  }
}

}  // namespace

Result<HttpFetchResponse> HttpGet(const HttpFetchRequest& request) {
  std::string url = request.url;
  for (int redirects = 0; redirects <= 3; ++redirects) {
    Exchange ex;
    ex.request = request;
    VIGIE_ASSIGN_OR_RETURN(ex.url, ParseUrl(url));
    net::asio::io_context ctx(1);
    net::asio::co_spawn(ctx, RunExchange(&ex), OnExchangeDone);
    ctx.run();
    if (ex.location.empty()) {
      if (!ex.result) {
        return Error(ex.result.error().code(), url + ": " + ex.result.error().context());
      }
      return ex.result;
    }
    if (ex.location.starts_with("/")) {
      url = "http://" + ex.url.host + ":" + ex.url.port + ex.location;
    } else {
      url = ex.location;
    }
  }
  return Error(vigie::Errc::kUnavailable, request.url + ": too many redirects");
}

}  // namespace vigie::dns
