// DNS over TLS client with connection reuse and pipelining (see dot_client.h).
#include "dns/server/dot_client.h"

#include <deque>
#include <unordered_map>

#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <openssl/x509v3.h>
#include <stdlib.h>  // arc4random

#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"
#include "core/log.h"
#include "core/task.h"

namespace vigie::dns {

namespace asio = net::asio;
namespace ssl = asio::ssl;
using net::tcp;
using asio::experimental::awaitable_operators::operator||;
using TlsStream = ssl::stream<tcp::socket>;

namespace {

// A query waiting for its answer.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex)
      : wake(ex, std::chrono::steady_clock::time_point::max()) {}
  Message query;
  asio::steady_timer wake;
  std::optional<Result<Message>> result;
};

bool Matches(const Message& reply, const Message& query) {
  return reply.header.qr && reply.header.id == query.header.id && reply.questions.size() == 1 &&
         reply.questions[0] == query.questions[0];
}

}  // namespace

class DotConnection : public std::enable_shared_from_this<DotConnection> {
 public:
  DotConnection(const asio::any_io_executor& ex, UpstreamConfig upstream, Duration idle,
                std::shared_ptr<ssl::context> tls, DotCounters counters)
      : ex_(ex),
        upstream_(std::move(upstream)),
        idle_(idle),
        tls_(std::move(tls)),
        counters_(counters) {}

  enum class State { kClosed, kConnecting, kOpen };

  asio::any_io_executor ex_;
  UpstreamConfig upstream_;
  Duration idle_;
  std::shared_ptr<ssl::context> tls_;
  State state_ = State::kClosed;
  std::shared_ptr<TlsStream> stream_;  // the current connection (kConnecting, kOpen)
  std::unordered_map<uint16_t, std::shared_ptr<Pending>> pending_;
  std::deque<std::shared_ptr<std::vector<std::byte>>> writes_;
  bool writing_ = false;
  DotCounters counters_;
  std::string last_error_;
  bool draining_ = false;  // DrainDot: close once nothing waits

  void CountFailure() {
    if (counters_.failures != nullptr) {
      counters_.failures->Inc();
    }
  }

  // Ends the current connection: every waiting query fails with `why`.
  void Fail(const std::shared_ptr<TlsStream>& stream, const std::string& why) {
    if (stream != stream_) {
      return;  // an older connection, already replaced
    }
    boost::system::error_code ignored;
    if (stream_) {
      stream_->lowest_layer().close(ignored);
    }
    stream_.reset();
    state_ = State::kClosed;
    writes_.clear();
    writing_ = false;
    last_error_ = why;
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
      p->result = Error(vigie::Errc::kUnavailable, why);
      p->wake.cancel();
    }
  }
};

namespace {

net::TaskDone DotSpawnDone(const char* what) {
  return net::TaskDone{what, log::Get("dns").get()};
}

std::string TlsReason(const boost::system::error_code& ec) {
  std::string r = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    // "certificate verify failed (SSL routines)" and the like.
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    r = buf;
  }
  return r.size() > 200 ? r.substr(0, 200) : r;
}

net::Awaitable<void> WriteLoop(std::shared_ptr<DotConnection> c, std::shared_ptr<TlsStream> s) {
  asio::steady_timer timer(c->ex_);
  while (c->stream_ == s && !c->writes_.empty()) {
    auto frame = c->writes_.front();
    c->writes_.pop_front();
    timer.expires_after(c->idle_);
    auto w = co_await (
        asio::async_write(*s, asio::buffer(frame->data(), frame->size()), net::kUseTuple) ||
        timer.async_wait(net::kUseTuple));
    if (w.index() == 1) {
      c->Fail(s, "TLS write timed out");
      co_return;
    }
    if (auto [ec, n] = std::get<0>(w); ec) {
      c->Fail(s, "TLS write: " + TlsReason(ec));
      co_return;
    }
  }
  if (c->stream_ == s) {
    c->writing_ = false;
  }
}

void StartWriting(const std::shared_ptr<DotConnection>& c) {
  if (c->state_ != DotConnection::State::kOpen || c->writing_ || c->writes_.empty()) {
    return;
  }
  c->writing_ = true;
  asio::co_spawn(c->ex_, WriteLoop(c, c->stream_), DotSpawnDone("dns tls write"));
}

// Connects, shakes hands, then reads answers until the connection fails or
// stays idle (no query waiting) for the idle time.
net::Awaitable<void> ConnectAndRead(std::shared_ptr<DotConnection> c, std::shared_ptr<TlsStream> s,
                                    Duration connect_timeout) {
  asio::steady_timer timer(c->ex_);
  timer.expires_after(connect_timeout);
  auto ep = net::ToTcpEndpoint(c->upstream_.address);
  if (!ep) {
    c->CountFailure();
    c->Fail(s, "bad upstream address");
    co_return;
  }
  auto cn = co_await (s->lowest_layer().async_connect(*ep, net::kUseTuple) ||
                      timer.async_wait(net::kUseTuple));
  if (cn.index() == 1) {
    c->CountFailure();
    c->Fail(s, "TCP connect timed out");
    co_return;
  }
  if (auto [ec] = std::get<0>(cn); ec) {
    c->CountFailure();
    c->Fail(s, "connect: " + ec.message());
    co_return;
  }
  boost::system::error_code ignored;
  s->lowest_layer().set_option(tcp::no_delay(true), ignored);
  auto hs = co_await (s->async_handshake(ssl::stream_base::client, net::kUseTuple) ||
                      timer.async_wait(net::kUseTuple));
  if (hs.index() == 1) {
    c->CountFailure();
    c->Fail(s, "TLS handshake timed out");
    co_return;
  }
  if (auto [ec] = std::get<0>(hs); ec) {
    c->CountFailure();
    c->Fail(s, "TLS handshake: " + TlsReason(ec));
    co_return;
  }
  if (c->stream_ != s) {
    co_return;
  }
  if (c->counters_.handshakes != nullptr) {
    c->counters_.handshakes->Inc();
  }
  c->state_ = DotConnection::State::kOpen;
  StartWriting(c);
  std::vector<std::byte> in;
  std::array<std::byte, 2> len{};
  for (;;) {
    // A quiet connection with nothing waiting closes after the idle time;
    // with queries waiting each has its own deadline, and a server silent
    // for a whole idle time is given up on as well.
    timer.expires_after(c->idle_);
    auto r = co_await (asio::async_read(*s, asio::buffer(len), net::kUseTuple) ||
                       timer.async_wait(net::kUseTuple));
    if (c->stream_ != s) {
      co_return;
    }
    if (r.index() == 1) {
      c->Fail(s, "idle");
      co_return;
    }
    if (auto [ec, n] = std::get<0>(r); ec) {
      c->Fail(s, ec == asio::error::eof ? "closed by the server" : "TLS read: " + TlsReason(ec));
      co_return;
    }
    const size_t size = (std::to_integer<size_t>(len[0]) << 8) | std::to_integer<size_t>(len[1]);
    in.resize(size);
    timer.expires_after(c->idle_);
    auto b = co_await (asio::async_read(*s, asio::buffer(in.data(), in.size()), net::kUseTuple) ||
                       timer.async_wait(net::kUseTuple));
    if (c->stream_ != s) {
      co_return;
    }
    if (b.index() == 1) {
      c->Fail(s, "TLS read timed out");
      co_return;
    }
    if (auto [ec, n] = std::get<0>(b); ec) {
      c->Fail(s, "TLS read: " + TlsReason(ec));
      co_return;
    }
    auto reply = DecodeMessage(in);
    if (!reply) {
      continue;  // garbage: the waiting query times out
    }
    auto it = c->pending_.find(reply->header.id);
    if (it == c->pending_.end() || !Matches(*reply, it->second->query)) {
      continue;  // late answer to a query that timed out, or not ours
    }
    auto p = it->second;
    c->pending_.erase(it);
    p->result = std::move(*reply);
    p->wake.cancel();
    if (c->draining_ && c->pending_.empty()) {
      c->Fail(s, "closed");
      co_return;
    }
  }
}

}  // namespace

Result<std::shared_ptr<DotConnection>> MakeDotConnection(const asio::any_io_executor& ex,
                                                         const UpstreamConfig& upstream,
                                                         Duration idle_timeout,
                                                         DotCounters counters) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  // RFC 8310 §8.1 asks for TLS 1.2 or later.
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  if (!upstream.verify) {
    tls->set_verify_mode(ssl::verify_none, ec);
  } else {
    tls->set_verify_mode(ssl::verify_peer, ec);
    if (!ec) {
      if (!upstream.ca_file.empty()) {
        tls->load_verify_file(upstream.ca_file, ec);
      } else {
        tls->set_default_verify_paths(ec);
      }
    }
  }
  if (ec) {
    return Error(vigie::Errc::kInvalidArgument,
                 "TLS settings for " + upstream.ToString() + ": " + TlsReason(ec));
  }
  return std::make_shared<DotConnection>(ex, upstream, idle_timeout, std::move(tls), counters);
}

namespace {

net::Awaitable<Result<Message>> QueryOnce(std::shared_ptr<DotConnection> c, Message query,
                                          Duration timeout) {
  if (c->state_ == DotConnection::State::kClosed) {
    c->last_error_.clear();
    auto s = std::make_shared<TlsStream>(c->ex_, *c->tls_);
    SSL* ssl_handle = s->native_handle();
    if (!c->upstream_.server_name.empty()) {
      SSL_set_tlsext_host_name(ssl_handle, c->upstream_.server_name.c_str());
    }
    if (c->upstream_.verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (!c->upstream_.server_name.empty()) {
        X509_VERIFY_PARAM_set1_host(param, c->upstream_.server_name.c_str(), 0);
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, c->upstream_.address.host.c_str());
      }
    }
    c->stream_ = s;
    c->state_ = DotConnection::State::kConnecting;
    asio::co_spawn(c->ex_, ConnectAndRead(c, s, timeout), DotSpawnDone("dns tls connection"));
  }
  auto p = std::make_shared<Pending>(c->ex_);
  // A fresh random ID not used by another query on this connection.
  uint16_t id = 0;
  do {
    id = static_cast<uint16_t>(arc4random() & 0xFFFF);
  } while (c->pending_.contains(id));
  query.header.id = id;
  p->query = query;
  c->pending_.emplace(id, p);
  auto frame = std::make_shared<std::vector<std::byte>>();
  Encode(query, frame.get());
  PrefixTcpLength(frame.get(), 0);
  c->writes_.push_back(std::move(frame));
  StartWriting(c);
  asio::steady_timer deadline(c->ex_);
  deadline.expires_after(timeout);
  if (!p->result) {
    co_await (p->wake.async_wait(net::kUseTuple) || deadline.async_wait(net::kUseTuple));
  }
  if (auto it = c->pending_.find(id); it != c->pending_.end() && it->second == p) {
    c->pending_.erase(it);
  }
  if (p->result) {
    co_return std::move(*p->result);
  }
  co_return Error(vigie::Errc::kTimeout,
                  c->last_error_.empty() ? "timed out" : "timed out (" + c->last_error_ + ")");
}

}  // namespace

net::Awaitable<Result<Message>> QueryDot(std::shared_ptr<DotConnection> c, Message query,
                                         Duration timeout) {
  const auto start = std::chrono::steady_clock::now();
  const bool reused = c->state_ == DotConnection::State::kOpen;
  Result<Message> r = co_await QueryOnce(c, query, timeout);
  const Duration left = timeout - (std::chrono::steady_clock::now() - start);
  if (!r && reused && r.error().code() == make_error_code(vigie::Errc::kUnavailable) &&
      left > std::chrono::milliseconds(100)) {
    // The server closed a connection we were reusing (its idle timeout
    // raced our query): one more try on a fresh connection.
    r = co_await QueryOnce(c, std::move(query), left);
  }
  co_return r;
}

void CloseDot(DotConnection& conn) {
  conn.Fail(conn.stream_, "closed");
}

void DrainDot(DotConnection& conn) {
  conn.draining_ = true;
  if (conn.pending_.empty()) {
    conn.Fail(conn.stream_, "closed");
  }
}

}  // namespace vigie::dns
