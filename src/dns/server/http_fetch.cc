// List downloads over HTTP/1.1 with Beast, in clear or over TLS (OpenSSL):
// conditional GET, one deadline, size cap, redirects.
#include "dns/server/http_fetch.h"

#include <memory>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/ip.h"
#include "core/net.h"
#include "dns/server/list_url.h"

namespace vigie::dns {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::asio::ssl;
using net::tcp;
using Clock = std::chrono::steady_clock;

// OpenSSL's reason for a failed TLS operation, with the certificate
// verification result when that is what failed ("certificate verify failed
// (SSL routines) (unable to get local issuer certificate)").
std::string TlsReason(const beast::error_code& ec, SSL* ssl_handle) {
  std::string r = ec.message();
  if (ssl_handle != nullptr) {
    const long v = SSL_get_verify_result(ssl_handle);
    if (v != X509_V_OK) {
      r += std::string(" (") + X509_verify_cert_error_string(v) + ")";
    }
  }
  return r.size() > 300 ? r.substr(0, 300) : r;
}

// The client side of every https:// download of one list: TLS 1.2 or later,
// the peer's chain verified against `ca_file` or the system's trust store.
Result<std::shared_ptr<ssl::context>> MakeTlsContext(const std::string& ca_file) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  tls->set_verify_mode(ssl::verify_peer, ec);
  if (!ec) {
    if (ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(ca_file, ec);
    }
  }
  if (ec) {
    return Error(vigie::Errc::kInvalidArgument,
                 (ca_file.empty() ? std::string("system trust store") : "ca_file " + ca_file) +
                     ": " + TlsReason(ec, nullptr));
  }
  return tls;
}

// Asks for the certificate to name `host` (a DNS name, or an IP address in
// an IP subject alternative name) and sends SNI for DNS names (RFC 6066 §3
// forbids IP literals there).
Result<void> SetPeerName(SSL* ssl_handle, const std::string& host) {
  SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (IpAddress::Parse(host)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host.c_str()) != 1) {
      return Error(vigie::Errc::kInvalidArgument, "bad IP address for TLS: " + host);
    }
    return {};
  }
  if (SSL_set_tlsext_host_name(ssl_handle, host.c_str()) != 1 ||
      SSL_set1_host(ssl_handle, host.c_str()) != 1) {
    return Error(vigie::Errc::kInvalidArgument, "bad TLS host name: " + host);
  }
  return {};
}

struct Exchange {
  HttpFetchRequest request;
  ListUrl url;
  Clock::time_point deadline;
  std::shared_ptr<ssl::context> tls;  // https:// only
  Result<HttpFetchResponse> result = Error(vigie::Errc::kUnavailable, "not run");
  std::string location;  // set on a redirect
};

vigie::Errc KindOf(const beast::error_code& ec) {
  return ec == beast::error::timeout ? vigie::Errc::kTimeout : vigie::Errc::kUnavailable;
}

// Sends the GET and reads the answer on a connected (and, for https,
// handshaken) stream whose deadline is set.
template <class Stream>
net::Awaitable<void> Transfer(Stream& stream, Exchange* ex) {
  http::request<http::empty_body> req{http::verb::get, ex->url.target, 11};
  // RFC 9110 §7.2: the port only when it is not the scheme's default.
  std::string host =
      ex->url.host.find(':') != std::string::npos ? "[" + ex->url.host + "]" : ex->url.host;
  if (ex->url.port != (ex->url.tls ? "443" : "80")) {
    host += ":" + ex->url.port;
  }
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "vigie-dns");
  req.set(http::field::accept_encoding, "identity");
  req.set(http::field::connection, "close");
  if (!ex->request.etag.empty()) {
    req.set(http::field::if_none_match, ex->request.etag);
  }
  if (!ex->request.last_modified.empty()) {
    req.set(http::field::if_modified_since, ex->request.last_modified);
  }
  auto [wec, wn] = co_await http::async_write(stream, req, net::kUseTuple);
  if (wec) {
    ex->result = Error(KindOf(wec), "sending request: " + wec.message());
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
      ex->result = Error(KindOf(rdec), "reading response: " + rdec.message());
    }
    co_return;
  }
  auto& res = parser.get();
  const int status = res.result_int();
  if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
    ex->location = std::string(res[http::field::location]);
    ex->result = Error(vigie::Errc::kUnavailable, "redirect to " + ex->location);
    if (ex->location.empty()) {
      ex->result = Error(vigie::Errc::kUnavailable,
                         "HTTP status " + std::to_string(status) + " without a Location");
    }
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

net::Awaitable<void> RunExchange(Exchange* ex) {
  auto executor = co_await net::asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(ex->url.host, ex->url.port, net::kUseTuple);
  if (rec) {
    ex->result = Error(vigie::Errc::kUnavailable, ex->url.host + ": " + rec.message());
    co_return;
  }
  const std::string where = ex->url.host + ":" + ex->url.port;
  if (!ex->url.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_at(ex->deadline);
    auto [cec, ep] = co_await stream.async_connect(endpoints, net::kUseTuple);
    if (cec) {
      ex->result = Error(KindOf(cec), where + ": " + cec.message());
      co_return;
    }
    co_await Transfer(stream, ex);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *ex->tls);
  if (auto named = SetPeerName(stream.native_handle(), ex->url.host); !named) {
    ex->result = named.error();
    co_return;
  }
  // One deadline for connect, handshake, request and response.
  beast::get_lowest_layer(stream).expires_at(ex->deadline);
  auto [cec, ep] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::kUseTuple);
  if (cec) {
    ex->result = Error(KindOf(cec), where + ": " + cec.message());
    co_return;
  }
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, net::kUseTuple);
  if (hec) {
    ex->result = Error(
        KindOf(hec), "TLS handshake with " + where + ": " + TlsReason(hec, stream.native_handle()));
    co_return;
  }
  co_await Transfer(stream, ex);
  // No close_notify exchange: the whole response is read (its length was
  // known), and waiting for the server's reply would only spend the deadline.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
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
  const Clock::time_point deadline = Clock::now() + request.timeout;
  std::string url = request.url;
  std::shared_ptr<ssl::context> tls;
  bool was_tls = false;
  for (int redirects = 0; redirects <= 3; ++redirects) {
    Exchange ex;
    ex.request = request;
    ex.deadline = deadline;
    VIGIE_ASSIGN_OR_RETURN(ex.url, ParseListUrl(url));
    if (was_tls && !ex.url.tls) {
      // The list was asked for over an authenticated channel; following it
      // to clear text would let anyone on the path write it.
      return Error(vigie::Errc::kUnavailable,
                   request.url + ": redirect from https:// to http:// refused: " + url);
    }
    if (ex.url.tls && !tls) {
      auto made = MakeTlsContext(request.ca_file);
      if (!made) {
        return Error(made.error().code(), url + ": " + made.error().context());
      }
      tls = std::move(*made);
    }
    ex.tls = tls;
    was_tls = ex.url.tls;
    net::asio::io_context ctx(1);
    net::asio::co_spawn(ctx, RunExchange(&ex), OnExchangeDone);
    ctx.run();
    if (ex.location.empty()) {
      if (!ex.result) {
        return Error(ex.result.error().code(), url + ": " + ex.result.error().context());
      }
      return ex.result;
    }
    url = ResolveLocation(ex.url, ex.location);
  }
  return Error(vigie::Errc::kUnavailable, request.url + ": too many redirects");
}

}  // namespace vigie::dns
