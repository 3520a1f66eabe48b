// The admin endpoint's HTTP server (Boost.Beast, coroutines) and client.
#include "core/admin.h"

#include <list>
#include <map>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/accept.h"
#include "core/http/browser_guard.h"
#include "core/log.h"
#include "core/task.h"
#include "core/text.h"

namespace vigie {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;  // vigie::http is core/http
namespace asio = net::asio;
using net::tcp;

constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;
constexpr std::size_t kBodyLimit = std::size_t{1024} * 1024;
constexpr std::size_t kMaxSessions = 256;
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kRequestTimeout = std::chrono::seconds(10);

}  // namespace

std::string AdminRequest::Param(std::string_view key) const {
  for (auto& [k, v] : ParseQueryString(query)) {
    if (k == key) {
      return std::move(v);
    }
  }
  return {};
}

bool ParseValue(const config::Field& f, AdminConfig& out) {
  auto m = f.AsMap();
  m.Optional("listen", out.listen, AddressOptions{.allow_any_host = false});
  m.Optional("allow_remote", out.allow_remote);
  m.Optional("allowed_hosts", out.allowed_hosts);
  m.Optional("allowed_origins", out.allowed_origins);
  if (m.ok() && !out.allow_remote) {
    auto ip = IpAddress::Parse(out.listen.host);
    if (!ip || !ip->IsLoopback()) {
      if (auto listen = m.Get("listen")) {
        listen->Fail("the admin endpoint listens on loopback unless allow_remote: true is set");
      }
    }
  }
  m.Finish();
  return m.ok();
}

struct SessionState {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // a request has started arriving
};

class AdminServer::Impl : public std::enable_shared_from_this<AdminServer::Impl> {
 public:
  Impl(asio::io_context& control, metrics::Registry& registry)
      : control_(control),
        acceptor_(control),
        requests_(registry.AddCounter("vigie_admin_requests_total",
                                      "Requests served by the admin endpoint")),
        rejected_(registry.AddCounter("vigie_admin_rejected_total",
                                      "Admin connections or requests refused (limits, errors)")) {}

  AdminResponse Handle(const AdminRequest& req) {
    const AdminHandler* handler = nullptr;
    auto exact = routes_.find(req.path);
    if (exact != routes_.end()) {
      handler = &exact->second;
    } else {
      // Longest prefix route ending in '/'.
      std::size_t best = 0;
      for (const auto& [path, h] : routes_) {
        if (path.ends_with('/') && req.path.starts_with(path) && path.size() > best) {
          best = path.size();
          handler = &h;
        }
      }
    }
    if (handler == nullptr) {
      return {404, "text/plain; charset=utf-8", "not found: " + req.path + "\n"};
    }
    try {
      return (*handler)(req);
    } catch (const std::exception& e) {
      logger_->error("handler for {} threw: {}", req.path, e.what());
      return {500, "text/plain; charset=utf-8", "internal error\n"};
    }
  }

  asio::io_context& control_;
  tcp::acceptor acceptor_;
  std::map<std::string, AdminHandler> routes_;
  std::list<SessionState> sessions_;
  bool stopping_ = false;
  vigie::http::BrowserPolicy browser_policy_;
  metrics::Counter& requests_;
  metrics::Counter& rejected_;
  std::shared_ptr<spdlog::logger> logger_ = log::Get("admin");
};

namespace {

bhttp::response<bhttp::string_body> ToBeast(const AdminResponse& r, unsigned version,
                                            bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "vigie");
  res.set(bhttp::field::content_type, r.content_type);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

net::Awaitable<void> WriteSimple(beast::tcp_stream& stream, int status, std::string body) {
  AdminResponse r{status, "text/plain; charset=utf-8", std::move(body)};
  auto res = ToBeast(r, 11, false);
  stream.expires_after(kRequestTimeout);
  co_await bhttp::async_write(stream, res, net::kUseTuple);
}

// `slot` is this session's place under kMaxSessions, held until it ends.
net::Awaitable<void> RunSession(std::shared_ptr<AdminServer::Impl> impl, tcp::socket socket,
                                [[maybe_unused]] net::ConnectionLimit::Slot slot) {
  beast::tcp_stream stream(std::move(socket));
  auto state = impl->sessions_.insert(impl->sessions_.end(), SessionState{&stream, false});
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    // Idle until the first byte of a request arrives: only then is a request
    // in flight (and one that a drain must let finish).
    state->busy = buffer.size() > 0;
    if (!state->busy) {
      stream.expires_after(kIdleTimeout);
      auto [first_ec, n] = co_await stream.async_read_some(buffer.prepare(4096), net::kUseTuple);
      if (first_ec) {
        break;
      }
      buffer.commit(n);
      state->busy = true;
    }
    stream.expires_after(kRequestTimeout);
    boost::system::error_code ec;
    while (!parser.is_done()) {
      auto [read_ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, net::kUseTuple);
      if (read_ec) {
        ec = read_ec;
        break;
      }
    }
    if (ec == bhttp::error::header_limit) {
      impl->rejected_.Inc();
      co_await WriteSimple(stream, 431, "request header fields too large\n");
      break;
    }
    if (ec == bhttp::error::body_limit) {
      impl->rejected_.Inc();
      co_await WriteSimple(stream, 413, "request body too large\n");
      break;
    }
    if (ec) {
      if (ec != bhttp::error::end_of_stream && ec != asio::error::operation_aborted &&
          ec != beast::error::timeout && ec != asio::error::eof) {
        impl->rejected_.Inc();
        co_await WriteSimple(stream, 400, "bad request: " + ec.message() + "\n");
      }
      break;
    }
    auto req = parser.release();
    auto header = [&req](std::string_view name) -> std::optional<std::string_view> {
      auto it = req.find(name);
      if (it == req.end()) {
        return std::nullopt;
      }
      return std::string_view(it->value());
    };
    const bool state_changing = req.method() != bhttp::verb::get &&
                                req.method() != bhttp::verb::head &&
                                req.method() != bhttp::verb::options;
    if (auto refused = vigie::http::RefuseFromBrowser(header("Host"), header("Origin"),
                                                      header("Sec-Fetch-Site"), state_changing,
                                                      impl->browser_policy_)) {
      impl->rejected_.Inc();
      static log::RateLimit limit;
      if (auto suppressed = limit.Allow()) {
        boost::system::error_code peer_ec;
        auto peer = stream.socket().remote_endpoint(peer_ec);
        impl->logger_->warn("refused {} {} from {}: {}{}", std::string_view(req.method_string()),
                            std::string_view(req.target()).substr(0, 200),
                            peer_ec ? "?" : net::FromEndpoint(peer).ToString(), *refused,
                            log::Suppressed(*suppressed));
      }
      co_await WriteSimple(stream, 403, "forbidden: " + *refused + "\n");
      break;
    }
    AdminRequest ar;
    ar.method = std::string(req.method_string());
    std::string_view target = req.target();
    std::size_t qpos = target.find('?');
    ar.path = std::string(target.substr(0, qpos));
    if (qpos != std::string_view::npos) {
      ar.query = std::string(target.substr(qpos + 1));
    }
    ar.body = std::move(req.body());
    impl->requests_.Inc();
    AdminResponse response = impl->Handle(ar);
    bool keep_alive = req.keep_alive() && !impl->stopping_;
    auto res = ToBeast(response, req.version(), keep_alive);
    stream.expires_after(kRequestTimeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, res, net::kUseTuple);
    if (write_ec || !keep_alive) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  impl->sessions_.erase(state);
}

}  // namespace

AdminServer::AdminServer(asio::io_context& control, metrics::Registry& registry)
    : impl_(std::make_shared<Impl>(control, registry)) {}

AdminServer::~AdminServer() {
  Stop();
}

void AdminServer::AddRoute(std::string path, AdminHandler handler) {
  impl_->routes_[std::move(path)] = std::move(handler);
}

void AdminServer::RemoveRoute(const std::string& path) {
  impl_->routes_.erase(path);
}

Result<Address> AdminServer::Listen(const AdminConfig& config) {
  VIGIE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, net::ToTcpEndpoint(config.listen));
  impl_->browser_policy_ = {config.allowed_hosts, config.allowed_origins};
  VIGIE_ASSIGN_OR_RETURN(impl_->acceptor_,
                         net::ListenTcp(impl_->control_, endpoint, {.reuse_port = false}));
  net::AcceptOptions options{.name = "admin " + config.listen.ToString(),
                             .logger = impl_->logger_.get(),
                             .limit = std::make_shared<net::ConnectionLimit>(kMaxSessions),
                             .refused = &impl_->rejected_};
  auto serve = [impl = impl_](tcp::socket socket, net::ConnectionLimit::Slot slot) {
    asio::co_spawn(impl->control_, RunSession(impl, std::move(socket), std::move(slot)),
                   net::TaskDone{"admin session", impl->logger_.get()});
  };
  asio::co_spawn(impl_->control_, net::AcceptLoop(impl_->acceptor_, options, serve),
                 net::TaskDone{"admin accept loop", impl_->logger_.get()});
  return net::FromEndpoint(impl_->acceptor_.local_endpoint());
}

void AdminServer::Stop() {
  impl_->stopping_ = true;
  boost::system::error_code ec;
  impl_->acceptor_.close(ec);
  for (auto& s : impl_->sessions_) {
    if (!s.busy) {
      s.stream->socket().close(ec);
    }
  }
}

std::size_t AdminServer::active_sessions() const {
  return impl_->sessions_.size();
}

Result<AdminResponse> CallAdmin(const Address& admin, const std::string& method,
                                const std::string& target, std::chrono::milliseconds timeout) {
  VIGIE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, net::ToTcpEndpoint(admin));
  if (endpoint.address().is_unspecified()) {
    endpoint.address(asio::ip::address_v4::loopback());
  }
  asio::io_context ctx;
  beast::tcp_stream stream(ctx);
  boost::system::error_code result_ec;
  bhttp::response<bhttp::string_body> res;
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  // The address connected to, an IP literal: always a Host the server takes.
  req.set(bhttp::field::host, net::FromEndpoint(endpoint).ToString());
  req.set(bhttp::field::user_agent, "vigie-cli");
  req.prepare_payload();
  stream.expires_after(timeout);
  stream.async_connect(endpoint, [&](boost::system::error_code ec) {
    if (ec) {
      result_ec = ec;
      return;
    }
    bhttp::async_write(stream, req, [&](boost::system::error_code wec, std::size_t) {
      if (wec) {
        result_ec = wec;
        return;
      }
      bhttp::async_read(stream, buffer, res,
                        [&](boost::system::error_code rec, std::size_t) { result_ec = rec; });
    });
  });
  ctx.run();
  if (result_ec) {
    return Error(std::error_code(result_ec), "admin endpoint " + admin.ToString());
  }
  AdminResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  return out;
}

}  // namespace vigie
