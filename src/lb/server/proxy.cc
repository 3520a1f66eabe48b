// The proxied connection: PROXY header in, server selection and queue,
// connect with retries, PROXY header out, the relay and the tcplog line.
#include "lb/server/proxy.h"

#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <poll.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/relay.h"
#include "core/task.h"
#include "lb/monitor/monitor_http.h"
#include "lb/proxy_protocol/proxy_header.h"
#include "lb/stats/tcp_log.h"

// GCC 12 at -O2 reports a false -Wmismatched-new-delete on Asio's coroutine
// frame (its operator new/delete pair is matched; GCC bug 105551 family).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace vigie::lb {
namespace {

using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)
using net::kUseTuple;
using net::tcp;
using Millis = std::chrono::milliseconds;

// haproxy without a timeout waits forever; we bound it at a day.
constexpr Millis kNoTimeout = std::chrono::hours(24);

Millis OrDefault(const std::optional<Millis>& v, Millis d) {
  return v ? *v : d;
}

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now().time_since_epoch())
      .count();
}

std::int64_t MillisSince(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
}

// A connection's `option tcplog` line (haproxy's TCP log format; see
// stats/tcp_log.h). The connection reports as it goes; Write() logs the
// line while the connection still counts in %ac/%fc/%bc/%sc, as haproxy
// does; the destructor writes it for the ways out that never reach Write().
// Without tcplog every call returns at once: no clock read, no string.
class ConnectionLog {
 public:
  ConnectionLog(const FrontendRt& fe, const Shared& shared, const tcp::endpoint& client)
      : fe_(fe), shared_(shared), enabled_(fe.cfg.tcplog), client_(client) {
    if (enabled_) {
      accepted_wall_ = std::chrono::system_clock::now();
      accepted_ = selection_started_ = connect_started_ = SteadyClock::now();
    }
  }
  ConnectionLog(const ConnectionLog&) = delete;
  ConnectionLog& operator=(const ConnectionLog&) = delete;
  ~ConnectionLog() { Write(); }

  void SetClient(const tcp::endpoint& client) { client_ = client; }  // from a PROXY header
  // %Tw runs from SelectionStarted to the first QueueDone (0 when the
  // server was free at once); %Tc from there to Connected (retries
  // included).
  void SelectionStarted() {
    if (enabled_) {
      selection_started_ = SteadyClock::now();
    }
  }
  void Queued(std::uint64_t backend_queue) { f_.backend_queue = backend_queue; }
  void QueueDone() {
    if (enabled_ && f_.queue_ms < 0) {
      f_.queue_ms = MillisSince(selection_started_);
      connect_started_ = SteadyClock::now();
    }
  }
  // The server a connect attempt goes to: named in the line even when no
  // attempt succeeds (haproxy's "be/srv ... SC").
  void Trying(const ServerRt& server) { tried_ = &server; }
  void Connected(const ServerRt& server, int retries, bool redispatched) {
    tried_ = connected_ = &server;
    if (enabled_) {
      f_.connect_ms = MillisSince(connect_started_);
    }
    f_.retries = retries;
    f_.redispatched = redispatched;
  }
  // Closed before any of this applies (a bad PROXY header, logged apart).
  void Skip() { written_ = true; }
  void Retries(int retries) { f_.retries = retries; }
  void Ended(const char (&termination)[3]) {
    f_.termination[0] = termination[0];
    f_.termination[1] = termination[1];
  }
  void Bytes(std::uint64_t from_client, std::uint64_t to_client) {
    from_client_ = from_client;
    f_.bytes_to_client = to_client;
  }

  void Write() {
    if (written_ || !enabled_) {
      return;
    }
    written_ = true;
    // dontlognull: a connection that moved no byte either way (a port probe).
    if (fe_.cfg.dontlognull && from_client_ == 0 && f_.bytes_to_client == 0) {
      return;
    }
    f_.client_ip = client_.address().to_string();
    f_.client_port = client_.port();
    f_.frontend = fe_.cfg.name;
    f_.backend = fe_.backend->cfg.name;
    if (tried_ != nullptr) {
      f_.server = tried_->cfg.name;
    }
    f_.total_ms = MillisSince(accepted_);
    std::time_t wall = std::chrono::system_clock::to_time_t(accepted_wall_);
    localtime_r(&wall, &f_.accepted);
    f_.accepted_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(accepted_wall_.time_since_epoch())
            .count() %
        1000);
    f_.process_conns = Count(shared_.curr_conns);
    f_.frontend_conns = Count(fe_.m.frontend_current_connections.value());
    f_.backend_conns = Count(fe_.backend->m.backend_current_connections.value());
    f_.server_conns = connected_ ? Count(connected_->m.server_current_connections.value()) : 0;
    shared_.logger->info("{}", stats::FormatTcpLog(f_));
  }

 private:
  static std::uint64_t Count(std::int64_t v) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, v));
  }

  const FrontendRt& fe_;
  const Shared& shared_;
  const bool enabled_;
  tcp::endpoint client_;
  std::chrono::system_clock::time_point accepted_wall_;
  SteadyClock::time_point accepted_, selection_started_, connect_started_;
  const ServerRt* tried_ = nullptr;
  const ServerRt* connected_ = nullptr;
  std::uint64_t from_client_ = 0;
  bool written_ = false;
  stats::TcpLogFields f_;
};

struct ServerSlot {
  std::shared_ptr<BackendRt> backend;
  std::size_t index = balance::Pick::kNone;
  ServerSlot() = default;
  ServerSlot(const ServerSlot&) = delete;
  ServerSlot& operator=(const ServerSlot&) = delete;
  void Reset() {
    if (backend && index != balance::Pick::kNone) {
      backend->Release(index);
    }
    index = balance::Pick::kNone;
  }
  ~ServerSlot() { Reset(); }
};

// Links a session into its server's list for this worker, for as long as
// it lives (declared after the Session, so it unlinks first).
struct Registration {
  Session** head = nullptr;
  Session* session = nullptr;
  void Link(Session** list, Session* s) {
    head = list;
    session = s;
    s->next = *list;
    if (s->next != nullptr) {
      s->next->prev = s;
    }
    *list = s;
  }
  ~Registration() {
    if (head == nullptr) {
      return;
    }
    (session->prev != nullptr ? session->prev->next : *head) = session->next;
    if (session->next != nullptr) {
      session->next->prev = session->prev;
    }
  }
};

// A PROXY header not complete this long after the accept closes the
// connection (a slowloris on an accept-proxy bind holds nothing longer).
constexpr Millis kProxyHeaderTimeout{5000};

// Reads the PROXY header a load balancer in front of us sends. Returns the
// payload bytes read past it, or nullopt when the header is malformed or
// does not arrive in time.
net::Awaitable<std::optional<std::string>> ReadProxyHeader(tcp::socket& s, Millis timeout,
                                                           proxy_protocol::Header& header) {
  proxy_protocol::Decoder decoder;
  asio::steady_timer timer(s.get_executor());
  timer.expires_after(timeout);
  std::array<std::uint8_t, 512> buf{};
  std::size_t total = 0;
  for (;;) {
    // Read no more than the header can need, so payload stays small.
    auto r =
        co_await (s.async_read_some(asio::buffer(buf), kUseTuple) || timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return std::nullopt;
    }
    auto [ec, n] = std::get<0>(r);
    if (ec || n == 0) {
      co_return std::nullopt;
    }
    total += n;
    auto fed = decoder.Feed(std::span<const std::uint8_t>(buf.data(), n));
    if (!fed) {
      co_return std::nullopt;
    }
    if (fed->complete) {
      header = fed->header;
      co_return std::string(reinterpret_cast<const char*>(buf.data()) + fed->consumed,
                            n - fed->consumed);
    }
    if (total > 64 * 1024) {
      co_return std::nullopt;
    }
  }
}

void FillHeaderAddr(const asio::ip::address& a, std::array<std::uint8_t, 16>& out) {
  AddressBytes(a, out);
}

proxy_protocol::Header HeaderFor(const tcp::endpoint& src, const tcp::endpoint& dst) {
  proxy_protocol::Header h;
  auto s = src.address();
  auto d = dst.address();
  if (s.is_v6() && s.to_v6().is_v4_mapped()) {
    s = asio::ip::make_address_v4(asio::ip::v4_mapped, s.to_v6());
  }
  if (d.is_v6() && d.to_v6().is_v4_mapped()) {
    d = asio::ip::make_address_v4(asio::ip::v4_mapped, d.to_v6());
  }
  if (s.is_v4() != d.is_v4()) {
    h.family = proxy_protocol::Family::kUnspec;
    return h;
  }
  h.family = s.is_v4() ? proxy_protocol::Family::kInet : proxy_protocol::Family::kInet6;
  FillHeaderAddr(s, h.src_addr);
  FillHeaderAddr(d, h.dst_addr);
  h.src_port = src.port();
  h.dst_port = dst.port();
  return h;
}

tcp::endpoint EndpointOf(const proxy_protocol::Header& h, bool src) {
  const auto& bytes = src ? h.src_addr : h.dst_addr;
  std::uint16_t port = src ? h.src_port : h.dst_port;
  if (h.family == proxy_protocol::Family::kInet) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(bytes.begin(), 4, b.begin());
    return {asio::ip::address_v4(b), port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(bytes.begin(), 16, b.begin());
  return {asio::ip::address_v6(b), port};
}

enum class ConnectEnd { kOk, kTimeout, kError };

// A non-blocking connect(2), then one wait for writability and SO_ERROR.
// (Asio's async_connect also polls the socket before reading SO_ERROR, and
// a socket it opens costs an ioctl for O_NONBLOCK: syscalls that show in
// connection-per-request loads.)
//
// A connect that EINPROGRESS may already have completed: to a server on
// the same host the kernel runs the whole handshake inside connect(2). One
// poll(2) without waiting finds that out, and the relay starts at once, as
// haproxy sends to a connecting socket at once; waiting for the reactor
// instead put a full pass of the worker's queue on every connection, and
// under load that pass is what the client waits for (docs/benchmarks.md).
net::Awaitable<std::pair<ConnectEnd, boost::system::error_code>> ConnectWithTimeout(
    tcp::socket& s, tcp::endpoint ep, Millis timeout) {
  if (auto ec = net::OpenNonBlocking(s, ep.protocol())) {
    co_return std::pair{ConnectEnd::kError, ec};
  }
  if (::connect(s.native_handle(), ep.data(), static_cast<socklen_t>(ep.size())) == 0) {
    co_return std::pair{ConnectEnd::kOk, boost::system::error_code()};
  }
  if (errno != EINPROGRESS) {
    co_return std::pair{ConnectEnd::kError,
                        boost::system::error_code(errno, boost::system::system_category())};
  }
  pollfd pfd{s.native_handle(), POLLOUT, 0};
  if (::poll(&pfd, 1, 0) == 1 && pfd.revents == POLLOUT) {
    co_return std::pair{ConnectEnd::kOk, boost::system::error_code()};
  }
  if (pfd.revents == 0) {  // still under way (or poll failed: let the reactor tell)
    auto [wec] = co_await net::WaitReady(s, tcp::socket::wait_write, timeout);
    if (wec == asio::error::timed_out) {
      co_return std::pair{ConnectEnd::kTimeout, wec};
    }
    if (wec) {
      co_return std::pair{ConnectEnd::kError, wec};
    }
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(s.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    err = errno;
  }
  if (err != 0) {
    co_return std::pair{ConnectEnd::kError,
                        boost::system::error_code(err, boost::system::system_category())};
  }
  co_return std::pair{ConnectEnd::kOk, boost::system::error_code()};
}

// Waits in the backend queue; returns the granted server or kNone on timeout.
net::Awaitable<std::size_t> WaitInQueue(std::shared_ptr<BackendRt> be,
                                        std::shared_ptr<QueueWaiter> w, Millis timeout) {
  co_await w->timer->async_wait(kUseTuple);
  std::lock_guard lock(be->mu);
  if (w->granted) {
    co_return w->server;
  }
  (void)timeout;
  for (auto it = be->queue.begin(); it != be->queue.end(); ++it) {
    if (*it == w) {
      be->queue.erase(it);
      break;
    }
  }
  be->UncountWaiterLocked(*w);
  be->m.backend_queued.Set(static_cast<std::int64_t>(be->queue.size()));
  co_return balance::Pick::kNone;
}

// A `monitor-uri` frontend without a backend (kubespray's `frontend
// healthz`): answers each request as haproxy does (monitor/monitor_http.h),
// keeping the connection while the client does. As in haproxy, a request
// head and its answer must be done within `timeout http-request`, and a kept
// connection may wait `timeout http-keep-alive` for its next request; each
// falls back to `timeout client`, then 10 s. One deadline per head, not per
// read, so a client trickling bytes or never reading cannot hold the
// connection.
net::Awaitable<void> ServeMonitor(tcp::socket client, std::shared_ptr<FrontendRt> fe) {
  const auto& t = fe->cfg.timeouts;
  const Millis head =
      t.http_request ? *t.http_request : OrDefault(t.client, std::chrono::seconds(10));
  const Millis keep_alive = t.http_keep_alive ? *t.http_keep_alive : head;
  std::string received;
  std::array<char, 4096> buf{};
  asio::steady_timer timer(client.get_executor());
  timer.expires_after(head);
  bool between_requests = false;  // the timer runs `keep_alive`
  for (;;) {
    auto r = co_await (client.async_read_some(asio::buffer(buf), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return;  // idle, or a request head too slow
    }
    auto [ec, n] = std::get<0>(r);
    if (ec || n == 0) {
      co_return;
    }
    if (between_requests) {  // a new head starts: its own deadline
      between_requests = false;
      timer.expires_after(head);
    }
    received.append(buf.data(), n);
    while (auto reply = monitor::Answer(received, fe->cfg.monitor_uri)) {
      // Under the same deadline: a client that never reads does not hold us.
      auto w = co_await (asio::async_write(client, asio::buffer(reply->bytes), kUseTuple) ||
                         timer.async_wait(kUseTuple));
      if (w.index() == 1 || std::get<0>(std::get<0>(w)) || reply->close) {
        boost::system::error_code ignored;
        client.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      received.erase(0, reply->consumed);
      between_requests = received.empty();
      timer.expires_after(between_requests ? keep_alive : head);
    }
  }
}

}  // namespace

// `client_ep` comes from accept(2) itself; the local address is asked of
// the kernel only when something needs it (PROXY headers, port mapping).
net::Awaitable<void> ServeConnection(tcp::socket client, tcp::endpoint client_ep,
                                     std::shared_ptr<FrontendRt> fe, bool accept_proxy,
                                     std::shared_ptr<Shared> shared,
                                     std::shared_ptr<Admission> admission, std::size_t worker) {
  // `admission` is held for the connection's life: its destructor frees the
  // maxconn slots.
  (void)admission;
  if (!fe->backend) {
    co_await ServeMonitor(std::move(client), fe);
    co_return;
  }
  auto& ctx = static_cast<asio::io_context&>(client.get_executor().context());
  const auto& be = fe->backend;
  const auto& bcfg = be->cfg;
  ConnectionLog log(*fe, *shared, client_ep);
  boost::system::error_code ec;
  if (fe->cfg.clitcpka) {
    client.set_option(tcp::socket::keep_alive(true), ec);
  }
  // TCP_NODELAY comes from the listener (see component.cc).
  const Millis client_timeout = OrDefault(fe->cfg.timeouts.client, kNoTimeout);

  // accept-proxy: the real client is in the header.
  std::string initial;
  tcp::endpoint src = client_ep;
  std::optional<tcp::endpoint> dst_known;
  auto dst = [&]() -> const tcp::endpoint& {
    if (!dst_known) {
      boost::system::error_code lec;
      dst_known = client.local_endpoint(lec);
    }
    return *dst_known;
  };
  if (accept_proxy) {
    proxy_protocol::Header h;
    // The sender writes the header as it connects: it gets a short deadline
    // of its own, not `timeout client` (which may be missing: forever).
    auto rest = co_await ReadProxyHeader(client, std::min(client_timeout, kProxyHeaderTimeout), h);
    if (!rest) {
      fe->m.frontend_proxy_header_errors_total.Inc();
      // A flood of bad headers writes at most 10 lines a second (counted in
      // full by the metric and `show stat` ereq).
      static log::RateLimit limit;
      if (auto suppressed = limit.Allow()) {
        shared->logger->warn("{}: closed {}: malformed or missing PROXY header{}", fe->cfg.name,
                             client_ep.address().to_string(), log::Suppressed(*suppressed));
      }
      log.Skip();
      co_return;
    }
    initial = std::move(*rest);
    if (h.command == proxy_protocol::Command::kProxy &&
        (h.family == proxy_protocol::Family::kInet || h.family == proxy_protocol::Family::kInet6)) {
      src = EndpointOf(h, true);
      dst_known = EndpointOf(h, false);
      log.SetClient(src);
    }
  }
  std::array<std::uint8_t, 16> addr{};
  std::size_t addr_len = AddressBytes(src.address(), addr);

  be->m.backend_connections_total.Inc();
  const Millis connect_timeout = OrDefault(bcfg.timeouts.connect, kNoTimeout);
  const Millis queue_timeout = OrDefault(bcfg.timeouts.queue, connect_timeout);
  ServerSlot slot;
  slot.backend = be;
  Session session;
  int attempts = bcfg.retries + 1;
  std::size_t previous = balance::Pick::kNone;
  ServerRt* server = nullptr;
  bool redispatched = false;
  ConnectEnd last_end = ConnectEnd::kError;
  log.SelectionStarted();
  for (int attempt = 0; attempt < attempts; ++attempt) {
    bool redispatch = attempt > 0 && bcfg.redispatch && attempt == attempts - 1;
    if (attempt == 0 || redispatch || slot.index == balance::Pick::kNone) {
      slot.Reset();
      auto pick = be->Select(std::span<const std::uint8_t>(addr.data(), addr_len),
                             redispatch ? previous : balance::Pick::kNone);
      if (pick.kind == balance::Pick::Kind::kQueue) {
        auto w = std::make_shared<QueueWaiter>();
        ServerRt* refused = nullptr;
        w->timer = std::make_shared<asio::steady_timer>(ctx);
        w->timer->expires_after(queue_timeout);
        w->addr = addr;
        w->addr_len = addr_len;
        {
          std::lock_guard lock(be->mu);
          // A slot may have freed between Select and here.
          auto again =
              be->pool.Select(std::span<const std::uint8_t>(addr.data(), addr_len),
                              SteadyClock::now(), redispatch ? previous : balance::Pick::kNone);
          if (again.kind == balance::Pick::Kind::kServer) {
            pick = again;
          } else {
            refused = be->EnqueueLocked(w);
            log.Queued(be->queue.size());
          }
        }
        if (refused) {
          // The server this client hashes to already has `maxqueue` waiting:
          // haproxy refuses (a failed connection on the server and backend).
          refused->m.server_connect_errors_total.Inc();
          be->m.backend_connect_failures_total.Inc();
          log.Ended("PQ");
          co_return;
        }
        if (pick.kind != balance::Pick::Kind::kServer) {
          std::size_t granted = co_await WaitInQueue(be, w, queue_timeout);
          if (granted == balance::Pick::kNone) {
            be->m.backend_queue_timeouts_total.Inc();
            log.Ended("sQ");
            co_return;
          }
          pick = balance::Pick{balance::Pick::Kind::kServer, granted};
        }
      }
      if (pick.kind == balance::Pick::Kind::kNoServer) {
        be->m.backend_no_server_total.Inc();
        log.Ended("SC");
        co_return;
      }
      slot.index = pick.server;
      if (redispatch && previous != balance::Pick::kNone && previous != slot.index) {
        be->servers[previous]->m.server_redispatches_total.Inc();
        redispatched = true;
      }
    }
    log.QueueDone();
    server = be->servers[slot.index].get();
    log.Trying(*server);
    if (attempt > 0) {
      server->m.server_retries_total.Inc();
    }
    previous = slot.index;
    tcp::endpoint target = server->endpoint;
    if (server->cfg.port_from_client) {
      target.port(dst().port());
    }
    session.server.emplace(ctx);
    auto started = SteadyClock::now();
    auto [end, cec] = co_await ConnectWithTimeout(*session.server, target, connect_timeout);
    if (end == ConnectEnd::kOk) {
      server->m.server_connect_seconds.Observe(
          std::chrono::duration<double>(SteadyClock::now() - started).count());
      log.Connected(*server, attempt, redispatched);
      break;
    }
    last_end = end;
    server->m.server_connect_errors_total.Inc();
    shared->logger->debug("{}/{}: connect to {}: {}", bcfg.name, server->cfg.name,
                          target.address().to_string(), cec.message());
    session.server.reset();
    server = nullptr;
  }
  if (server == nullptr) {
    be->m.backend_connect_failures_total.Inc();
    log.Retries(attempts - 1);
    log.Ended(last_end == ConnectEnd::kTimeout ? "sC" : "SC");
    co_return;
  }
  // Connected: count the session and make it reachable for shutdown-sessions.
  auto& srv_sock = *session.server;
  if (bcfg.srvtcpka) {
    srv_sock.set_option(tcp::socket::keep_alive(true), ec);
  }
  srv_sock.set_option(tcp::no_delay(true), ec);
  server->m.server_connections_total.Inc();
  server->m.server_current_connections.Add(1);
  UpdateMax(server->smax, static_cast<std::uint64_t>(server->m.server_current_connections.value()));
  server->last_session.store(NowSeconds(), std::memory_order_relaxed);
  be->m.backend_current_connections.Add(1);
  UpdateMax(be->smax, static_cast<std::uint64_t>(be->m.backend_current_connections.value()));
  if (server->cfg.send_proxy != haproxy_cfg::ProxyProtocolVersion::kNone) {
    (void)dst();  // asked while `client` still holds the socket
  }
  session.client.emplace(std::move(client));
  Registration reg;
  if (worker < server->sessions.size()) {  // always: every acceptor lives on a worker
    reg.Link(&server->sessions[worker], &session);
  }

  if (server->cfg.send_proxy != haproxy_cfg::ProxyProtocolVersion::kNone) {
    auto header = HeaderFor(src, dst());
    std::string prefix;
    if (server->cfg.send_proxy == haproxy_cfg::ProxyProtocolVersion::kV1) {
      proxy_protocol::AppendV1(header, prefix);
    } else {
      std::vector<std::uint8_t> v2;
      if (proxy_protocol::AppendV2(header, v2)) {
        prefix.assign(reinterpret_cast<const char*>(v2.data()), v2.size());
      }
    }
    initial.insert(0, prefix);
  }

  net::RelayOptions options;
  const Millis server_timeout = OrDefault(bcfg.timeouts.server, kNoTimeout);
  options.idle_timeout =
      bcfg.timeouts.tunnel ? *bcfg.timeouts.tunnel : std::min(client_timeout, server_timeout);
  auto fin = fe->cfg.timeouts.client_fin ? fe->cfg.timeouts.client_fin : bcfg.timeouts.server_fin;
  options.half_close_timeout = fin ? Duration(*fin) : options.idle_timeout;
  options.splice_a_to_b = fe->splice_request;
  options.splice_b_to_a = fe->splice_response;
  // Counted as bytes move, so `show stat` and /metrics show a long
  // connection's traffic while it runs. (fe and server outlive the relay:
  // this coroutine holds them.)
  options.on_progress = [fe = fe.get(), server](bool in, std::uint64_t n) {
    (in ? fe->m.frontend_bytes_in_total : fe->m.frontend_bytes_out_total).Inc(n);
    (in ? server->m.server_bytes_in_total : server->m.server_bytes_out_total).Inc(n);
  };
  auto result = co_await net::Relay(*session.client, srv_sock, options, std::move(initial));
  if (result.end == net::RelayResult::End::kError) {
    // Which side failed: a write to the client or a read from it is the client's.
    if (result.error == asio::error::connection_reset || result.error == asio::error::broken_pipe) {
      server->m.server_client_aborts_total.Inc();
      log.Ended("CD");
    } else {
      server->m.server_server_aborts_total.Inc();
      log.Ended("SD");
    }
  } else if (result.end == net::RelayResult::End::kIdleTimeout) {
    fe->m.frontend_client_timeouts_total.Inc();
    log.Ended("cD");
  }
  log.Bytes(result.a_to_b, result.b_to_a);
  log.Write();  // while this connection still counts in %bc and %sc
  server->m.server_current_connections.Sub(1);
  be->m.backend_current_connections.Sub(1);
}

void ShutdownSessions(std::shared_ptr<BackendRt> backend, std::size_t server,
                      const Shared& shared) {
  for (std::size_t w = 0; w < shared.workers.size(); ++w) {
    asio::post(*shared.workers[w], [backend, server, w] {
      // On worker w's thread, the only one that links or unlinks this list.
      // Closing cancels the relay's operations; the sessions unlink later.
      for (Session* s = backend->servers[server]->sessions[w]; s != nullptr; s = s->next) {
        boost::system::error_code ignored;
        if (s->client) {
          s->client->close(ignored);
        }
        if (s->server) {
          s->server->close(ignored);
        }
      }
    });
  }
}

}  // namespace vigie::lb
