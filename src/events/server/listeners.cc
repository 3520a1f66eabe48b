// Riemann TCP/UDP, carbon plaintext and statsd listeners on the workers.
#include "events/server/listeners.h"

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "core/log.h"
#include "events/ingest/carbon.h"
#include "events/ingest/statsd.h"
#include "events/proto/codec.h"
#include "events/proto/framer.h"

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using net::udp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

auto Log() {
  return log::Get("events");
}

std::string Why(const Error& e) {
  return e.context().empty() ? e.ToString() : e.context();
}

// Events per batch handed to the core; bigger batches are split.
constexpr size_t kMaxBatch = 10'000;

using TlsStream = asio::ssl::stream<tcp::socket>;

// A connection (plain TCP or TLS) and its deadline, watched by Watchdog.
template <class Stream>
struct Conn {
  explicit Conn(Stream s) : sock(std::move(s)) {}
  Stream sock;
  std::chrono::steady_clock::time_point deadline;
  bool busy = false;  // a request is being handled (drain waits for it)
  // A TLS connection keeps the context it began with (a reload may swap it).
  std::shared_ptr<asio::ssl::context> tls;
};

tcp::socket& Lowest(tcp::socket& s) {
  return s;
}
tcp::socket& Lowest(TlsStream& s) {
  return s.next_layer();
}

// Ends the connection (by returning, which cancels the session it races
// with) when its deadline passes, or when the server stops and it is idle.
template <class C>
net::Awaitable<void> Watchdog(std::shared_ptr<C> c, std::shared_ptr<SessionShared> sh) {
  // Cancelled (as the loser of `||`) at the end of every connection: take
  // that as an error code, not an exception per connection.
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(std::chrono::milliseconds(250));
    auto [ec] = co_await t.async_wait(kUseTuple);
    if (ec) {
      co_return;  // cancelled: the session ended first
    }
    auto now = std::chrono::steady_clock::now();
    if (now > c->deadline || (sh->stopping.load() && !c->busy)) {
      co_return;
    }
  }
}

template <class C>
void SetDeadline(C& c, Duration d) {
  c.deadline = std::chrono::steady_clock::now() + d;
}

// Backpressure for stream inputs: while the core's queue is congested the
// session stops reading (TCP flow control slows the client) for at most
// `limit`; after that it reads on and a full queue sheds with a counter.
net::Awaitable<void> WaitWhileCongested(const EventCore& core, Duration limit) {
  if (!core.Congested()) {
    co_return;
  }
  asio::steady_timer t(co_await asio::this_coro::executor);
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (core.Congested() && std::chrono::steady_clock::now() < give_up) {
    t.expires_after(std::chrono::milliseconds(1));
    co_await t.async_wait(kUseTuple);
  }
}

// Replies are written once they pass this many bytes within one read.
constexpr size_t kWriteAheadBytes = 1 << 20;

// Riemann TCP (or TLS): frames in, replies out in order. Events of
// consecutive frames are handed to the core as one batch; their `ok`s are
// written once the batch is accepted (or an overload error for each if it
// is shed).
template <class Stream>
net::Awaitable<void> RiemannSession(std::shared_ptr<Conn<Stream>> c,
                                    std::shared_ptr<SessionShared> sh) {
  auto cfg = sh->config.load();
  EventsMetrics& m = sh->core->metrics();
  // Bounded: the reader holds at most one frame (max_frame) and shrinks
  // back to kFrameReaderRetainBytes after a larger one; `msg` is reused
  // between frames but dropped after a large one (its events' storage would
  // stay); `out` holds the replies of one read and is freed past 1 MiB.
  FrameReader reader(cfg->max_frame.bytes);
  DecodeLimits limits;
  Msg msg;
  bool msg_large = false;  // `msg` last held a frame over kFrameReaderRetainBytes
  std::string out;
  std::vector<Event> batch;
  size_t pending_oks = 0;
  static const std::string kOkFrame = [] {
    std::string s;
    AppendFrame(OkReply(), s);
    return s;
  }();
  auto flush = [&] {
    if (pending_oks == 0) {
      return;
    }
    bool ok = batch.empty() || sh->core->Submit(std::move(batch));
    batch = {};
    if (ok) {
      for (size_t i = 0; i < pending_oks; ++i) {
        out += kOkFrame;
      }
    } else {
      std::string err;
      AppendFrame(ErrorReply("overloaded: the event queue is full, events refused"), err);
      for (size_t i = 0; i < pending_oks; ++i) {
        out += err;
      }
    }
    pending_oks = 0;
  };
  for (;;) {
    c->busy = false;
    co_await WaitWhileCongested(*sh->core, cfg->write_timeout);
    SetDeadline(*c, cfg->idle_timeout);
    std::span<std::byte> space = reader.Prepare(64 * 1024);
    auto [ec, n] =
        co_await c->sock.async_read_some(asio::buffer(space.data(), space.size()), kUseTuple);
    if (ec) {
      break;
    }
    c->busy = true;
    reader.Commit(n);
    bool close = false;
    for (;;) {
      auto next = reader.Next();
      if (!next) {
        flush();
        m.oversized_frames_total.Inc();
        AppendFrame(ErrorReply(Why(next.error())), out);
        close = true;
        break;
      }
      if (!*next) {
        break;
      }
      msg_large = msg_large || (**next).size() > kFrameReaderRetainBytes;
      auto decoded = DecodeMsgInto(**next, limits, msg);
      if (!decoded) {
        flush();
        m.decode_errors_total.Inc();
        AppendFrame(ErrorReply(Why(decoded.error())), out);
        continue;
      }
      if (msg.query) {
        // Events in the same message go first (Riemann applies them, then
        // answers the query); the message gets one reply, the query's.
        flush();
        std::vector<Event> own;
        for (const State& s : msg.states) {
          own.push_back(s.ToEvent());
        }
        for (Event& e : msg.events) {
          own.push_back(std::move(e));
        }
        sh->core->Submit(std::move(own));
        auto [qe, reply] = co_await asio::co_spawn(
            sh->core->context(), QueryOnCore(sh->core, msg.query->string.value_or("")),
            asio::as_tuple(asio::use_awaitable));
        if (qe) {
          reply = ErrorReply("query failed");
        }
        AppendFrame(reply, out);
        // Pipelined queries: one read can hold thousands, each answered with
        // up to max_reply. Written as soon as the replies pass 1 MiB, so the
        // session holds at most that plus one reply (the frames read stay
        // valid: the reader is not touched while writing).
        if (out.size() > kWriteAheadBytes) {
          SetDeadline(*c, cfg->write_timeout);
          auto [wec, written] = co_await asio::async_write(c->sock, asio::buffer(out), kUseTuple);
          (void)written;
          out.clear();
          if (wec) {
            close = true;
            break;
          }
        }
        continue;
      }
      for (const State& s : msg.states) {
        batch.push_back(s.ToEvent());
      }
      for (Event& e : msg.events) {
        batch.push_back(std::move(e));
      }
      ++pending_oks;
      if (batch.size() >= kMaxBatch) {
        flush();
      }
    }
    flush();
    if (msg_large) {
      msg = Msg{};
      msg_large = false;
    }
    if (!out.empty()) {
      SetDeadline(*c, cfg->write_timeout);
      auto [wec, written] = co_await asio::async_write(c->sock, asio::buffer(out), kUseTuple);
      (void)written;
      if (wec) {
        break;
      }
      if (out.capacity() > (1u << 20)) {
        out = {};
      } else {
        out.clear();
      }
    }
    if (close) {
      boost::system::error_code ignored;
      Lowest(c->sock).shutdown(tcp::socket::shutdown_send, ignored);
      break;
    }
  }
}

// TLS: the handshake (within handshake_timeout; Riemann's clients send
// their certificate, checked against ca_cert), then the Riemann session.
net::Awaitable<void> TlsSession(std::shared_ptr<Conn<TlsStream>> c,
                                std::shared_ptr<SessionShared> sh) {
  auto [ec] = co_await c->sock.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (ec) {
    sh->core->metrics().tls_handshake_failures_total.Inc();
    // Counted each; logged at most 10 a second, so a scan cannot flood the log.
    static log::RateLimit limit;
    if (auto suppressed = limit.Allow()) {
      boost::system::error_code ignored;
      auto peer = Lowest(c->sock).remote_endpoint(ignored);
      Log()->info("events-tls: handshake with {} failed: {}{}", net::FromEndpoint(peer).ToString(),
                  ec.message(), log::Suppressed(*suppressed));
    }
    co_return;
  }
  co_await RiemannSession(c, sh);
}

// carbon plaintext: lines in, nothing out.
net::Awaitable<void> CarbonSession(std::shared_ptr<Conn<tcp::socket>> c,
                                   std::shared_ptr<SessionShared> sh) {
  auto cfg = sh->config.load();
  EventsMetrics& m = sh->core->metrics();
  // Bounded: a partial line (at most kMaxCarbonLine, else the connection
  // is closed) plus one 64 KiB read.
  std::string buf;
  std::vector<Event> batch;
  for (;;) {
    c->busy = false;
    co_await WaitWhileCongested(*sh->core, cfg->write_timeout);
    SetDeadline(*c, cfg->idle_timeout);
    size_t old = buf.size();
    buf.resize(old + 64 * 1024);
    auto [ec, n] =
        co_await c->sock.async_read_some(asio::buffer(buf.data() + old, 64 * 1024), kUseTuple);
    buf.resize(old + (ec ? 0 : n));
    c->busy = true;
    int64_t now = sh->core->NowMicros();
    size_t start = 0;
    for (;;) {
      size_t nl = buf.find('\n', start);
      if (nl == std::string::npos) {
        break;
      }
      std::string_view line(buf.data() + start, nl - start);
      start = nl + 1;
      if (line.empty() || line == "\r") {
        continue;
      }
      auto p = ParseCarbonLine(line, now);
      if (!p) {
        m.decode_errors_total.Inc();
        continue;
      }
      if (*p) {
        m.carbon_points_total.Inc();
        batch.push_back(CarbonPointToEvent(**p));
      }
    }
    buf.erase(0, start);
    if (!batch.empty()) {
      sh->core->Submit(std::move(batch));
      batch = {};
    }
    if (ec) {
      break;
    }
    if (buf.size() > kMaxCarbonLine) {
      m.decode_errors_total.Inc();
      static log::RateLimit limit;
      if (auto suppressed = limit.Allow()) {
        Log()->warn("carbon: line over {} bytes; closing the connection{}", kMaxCarbonLine,
                    log::Suppressed(*suppressed));
      }
      break;
    }
  }
}

enum class TcpKind { kRiemann, kRiemannTls, kCarbon, kHttp };

// `slot` is the connection's place under max_connections, held until it ends.
net::Awaitable<void> RunConnection(tcp::socket sock, TcpKind kind,
                                   std::shared_ptr<SessionShared> sh,
                                   [[maybe_unused]] net::ConnectionLimit::Slot slot) {
  if (kind == TcpKind::kHttp) {
    co_await HttpSession(std::move(sock), std::move(sh));
    co_return;
  }
  boost::system::error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  auto cfg = sh->config.load();
  if (kind == TcpKind::kRiemannTls) {
    auto tls = sh->tls.load();
    if (!tls) {
      co_return;
    }
    auto c = std::make_shared<Conn<TlsStream>>(TlsStream(std::move(sock), *tls));
    c->tls = std::move(tls);
    SetDeadline(*c, cfg->tls ? cfg->tls->handshake_timeout : std::chrono::seconds(10));
    co_await (TlsSession(c, sh) || Watchdog(c, sh));
    co_return;
  }
  auto c = std::make_shared<Conn<tcp::socket>>(std::move(sock));
  SetDeadline(*c, cfg->idle_timeout);
  if (kind == TcpKind::kRiemann) {
    co_await (RiemannSession(c, sh) || Watchdog(c, sh));
  } else {
    co_await (CarbonSession(c, sh) || Watchdog(c, sh));
  }
}

}  // namespace

struct Listeners::State {
  std::vector<tcp::acceptor> riemann_tcp;
  std::vector<tcp::acceptor> riemann_tls;
  std::vector<tcp::acceptor> carbon;
  std::vector<tcp::acceptor> http;
  std::vector<udp::socket> riemann_udp;
  std::vector<udp::socket> statsd;
  std::vector<std::string> describe;
};

namespace {

net::Awaitable<void> AcceptLoop(std::shared_ptr<Listeners::State> keep, tcp::acceptor* acceptor,
                                TcpKind kind, std::shared_ptr<SessionShared> sh) {
  EventsMetrics& m = sh->core->metrics();
  net::AcceptOptions options{
      .name = "events " + net::FromEndpoint(acceptor->local_endpoint()).ToString(),
      .logger = Log().get(),
      .limit = sh->connections,
      .accepted = &m.connections_total,
      .refused = &m.connections_refused_total,
      .stopping = [sh] { return sh->stopping.load(); }};
  auto serve = [sh, kind, ex = acceptor->get_executor()](tcp::socket sock,
                                                         net::ConnectionLimit::Slot slot) {
    sh->core->metrics().connections.Add(1);
    asio::co_spawn(ex, RunConnection(std::move(sock), kind, sh, std::move(slot)),
                   [sh](const std::exception_ptr& e) {
                     EventsMetrics& counters = sh->core->metrics();
                     counters.connections.Sub(1);
                     net::ReportTaskFailure(e, "connection", *Log(), &counters.task_failures_total);
                   });
  };
  co_await net::AcceptLoop(*acceptor, std::move(options), serve);
  (void)keep;
}

net::Awaitable<void> UdpLoop(std::shared_ptr<Listeners::State> keep, udp::socket* sock,
                             std::shared_ptr<SessionShared> sh) {
  EventsMetrics& m = sh->core->metrics();
  // One byte more than the limit, so an oversized datagram is recognised.
  std::vector<std::byte> buf(kMaxUdpDatagram + 1);
  DecodeLimits limits;
  for (;;) {
    auto [ec, n] = co_await sock->async_receive(asio::buffer(buf), kUseTuple);
    if (ec) {
      if (!sock->is_open() || sh->stopping.load()) {
        co_return;
      }
      continue;
    }
    auto msg = DecodeDatagram(std::span<const std::byte>(buf.data(), n), limits);
    if (!msg) {
      m.decode_errors_total.Inc();
      continue;
    }
    std::vector<Event> batch = std::move(msg->events);
    for (const State& s : msg->states) {
      batch.push_back(s.ToEvent());
    }
    sh->core->Submit(std::move(batch));
  }
  (void)keep;
}

net::Awaitable<void> StatsdLoop(std::shared_ptr<Listeners::State> keep, udp::socket* sock,
                                std::shared_ptr<SessionShared> sh) {
  EventsMetrics& m = sh->core->metrics();
  std::vector<char> buf(65536);
  for (;;) {
    auto [ec, n] = co_await sock->async_receive(asio::buffer(buf), kUseTuple);
    if (ec) {
      if (!sock->is_open() || sh->stopping.load()) {
        co_return;
      }
      continue;
    }
    StatsdPacket p = ParseStatsdPacket(std::string_view(buf.data(), n));
    m.statsd_bad_lines_total.Inc(p.bad_lines.size());
    sh->core->SubmitStatsd(std::move(p.samples));
  }
  (void)keep;
}

template <class Loop>
void Spawn(asio::any_io_executor ex, Loop loop, const char* what, EventsMetrics& m) {
  asio::co_spawn(ex, std::move(loop), EventsTask(what, m));
}

}  // namespace

Listeners::Listeners(Runtime& runtime, std::shared_ptr<SessionShared> shared)
    : runtime_(runtime), shared_(std::move(shared)), state_(std::make_shared<State>()) {}

Listeners::~Listeners() = default;

Result<void> Listeners::Start(const EventsConfig& config) {
  auto workers = runtime_.workers();
  auto& st = *state_;
  // Opens `a` (when configured) on every worker into `out`, with `open`:
  // net::ListenTcpOn or net::BindUdpOn. `key` names the listener in errors
  // and in the `listening:` lines.
  auto open_each = [&](const std::optional<Address>& a, auto& out, const char* key,
                       auto open) -> Result<void> {
    if (!a) {
      return {};
    }
    auto r = open(*a);
    if (!r) {
      return Error(r.error().code(),
                   std::string(key) + " " + a->ToString() + ": " + r.error().ToString());
    }
    out = std::move(*r);
    st.describe.push_back(std::string(key) + " " +
                          net::FromEndpoint(out.front().local_endpoint()).ToString());
    return {};
  };
  auto on_tcp = [&](const Address& a) { return net::ListenTcpOn(workers, a); };
  auto on_udp = [&](const Address& a) { return net::BindUdpOn(workers, a); };
  VIGIE_TRY(open_each(config.tcp, st.riemann_tcp, "events-tcp", on_tcp));
  // Riemann's UDP server shares the TCP port; with port 0 in a test config,
  // take the port TCP got so that both are on one number, as with 5555.
  std::optional<Address> udp_addr = config.udp;
  if (udp_addr && config.tcp && udp_addr->port == 0 && config.tcp->port == 0 &&
      udp_addr->host == config.tcp->host && !st.riemann_tcp.empty()) {
    udp_addr->port = st.riemann_tcp.front().local_endpoint().port();
  }
  VIGIE_TRY(open_each(udp_addr, st.riemann_udp, "events-udp", on_udp));
  if (config.tls) {
    VIGIE_TRY(open_each(config.tls->listen, st.riemann_tls, "events-tls", on_tcp));
  }
  VIGIE_TRY(open_each(config.http, st.http, "events-http", on_tcp));
  VIGIE_TRY(open_each(config.carbon, st.carbon, "events-carbon", on_tcp));
  VIGIE_TRY(open_each(config.statsd, st.statsd, "events-statsd", on_udp));

  EventsMetrics& m = shared_->core->metrics();
  for (auto& a : st.riemann_tcp) {
    Spawn(a.get_executor(), AcceptLoop(state_, &a, TcpKind::kRiemann, shared_), "tcp accept", m);
  }
  for (auto& a : st.riemann_tls) {
    Spawn(a.get_executor(), AcceptLoop(state_, &a, TcpKind::kRiemannTls, shared_), "tls accept", m);
  }
  for (auto& a : st.carbon) {
    Spawn(a.get_executor(), AcceptLoop(state_, &a, TcpKind::kCarbon, shared_), "carbon accept", m);
  }
  for (auto& a : st.http) {
    Spawn(a.get_executor(), AcceptLoop(state_, &a, TcpKind::kHttp, shared_), "http accept", m);
  }
  for (auto& s : st.riemann_udp) {
    Spawn(s.get_executor(), UdpLoop(state_, &s, shared_), "udp", m);
  }
  for (auto& s : st.statsd) {
    Spawn(s.get_executor(), StatsdLoop(state_, &s, shared_), "statsd", m);
  }
  return {};
}

std::vector<std::string> Listeners::Describe() const {
  return state_->describe;
}

void Listeners::Stop() {
  auto close_on = [](auto& sock) {
    asio::post(sock.get_executor(), [&sock] {
      boost::system::error_code ignored;
      sock.close(ignored);
    });
  };
  for (auto& a : state_->riemann_tcp) {
    close_on(a);
  }
  for (auto& a : state_->riemann_tls) {
    close_on(a);
  }
  for (auto& a : state_->carbon) {
    close_on(a);
  }
  for (auto& a : state_->http) {
    close_on(a);
  }
  for (auto& s : state_->riemann_udp) {
    close_on(s);
  }
  for (auto& s : state_->statsd) {
    close_on(s);
  }
}

}  // namespace vigie::events
