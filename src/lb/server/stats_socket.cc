// The stats socket's I/O: bind, accept, one session per client.
#include "lb/server/stats_socket.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/accept.h"
#include "core/handover.h"
#include "core/log.h"
#include "core/task.h"
#include "lb/stats/cli.h"

namespace vigie::lb {
namespace {

using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)
using net::kUseTuple;
using Millis = std::chrono::milliseconds;
using unix_socket = asio::local::stream_protocol;

constexpr std::size_t kMaxCliLine = 16 * 1024;

stats::Level ToLevel(const std::string& level) {
  if (level == "admin") {
    return stats::Level::kAdmin;
  }
  return level == "user" ? stats::Level::kUser : stats::Level::kOperator;
}

// One stats socket client, on the control thread.
net::Awaitable<void> CliConnection(unix_socket::socket sock, std::shared_ptr<ControlState> state,
                                   stats::Level level, bool expose_fds, Millis timeout) {
  auto runtime = MakeRuntimeApi(state);
  stats::CliSession session(level);
  session.set_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout));
  // Bounded: `buffer` holds at most one line (kMaxCliLine, 16 KiB); a
  // line's reply at most kMaxLineOutput (1 MiB) plus one command's output,
  // which the config's size bounds (lb/stats/cli.h).
  std::string buffer;
  asio::steady_timer timer(sock.get_executor());
  for (;;) {
    timer.expires_after(session.timeout().count() > 0 ? Duration(session.timeout())
                                                      : Duration(std::chrono::hours(24)));
    auto r = co_await (
        asio::async_read_until(sock, asio::dynamic_buffer(buffer, kMaxCliLine), '\n', kUseTuple) ||
        timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return;
    }
    auto [ec, n] = std::get<0>(r);
    std::string line;
    if (ec) {
      // The last line may come without '\n' before the client half-closes
      // (echo -n "show stat" | socat); anything else ends the session.
      if (ec != asio::error::eof || buffer.empty()) {
        co_return;
      }
      line = buffer;
      buffer.clear();
    } else {
      line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
    }
    if (line == "_getsocks") {
      // Binary upgrade (haproxy -x): hand every listening socket of the
      // process to the caller; only on a socket with `expose-fd listeners`
      // and `level admin`.
      std::string refusal;
      if (!expose_fds) {
        refusal = "_getsocks: this stats socket has no 'expose-fd listeners'\n";
      } else if (level != stats::Level::kAdmin) {
        refusal = "Permission denied\n";
      }
      if (!refusal.empty()) {
        boost::system::error_code ignored;
        asio::write(sock, asio::buffer(refusal), ignored);
        co_return;
      }
      auto fds = net::OpenListeners();
      auto sent = net::SendListeners(sock.native_handle(), fds);
      if (sent) {
        state->shared->logger->info("stats socket: handed {} listening sockets over (_getsocks)",
                                    fds.size());
      } else {
        state->shared->logger->warn("stats socket: _getsocks: {}", sent.error().ToString());
      }
      co_return;
    }
    auto reply = session.OnLine(line, *runtime);
    timer.expires_after(std::chrono::seconds(10));
    auto w = co_await (asio::async_write(sock, asio::buffer(reply.output), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (w.index() == 1 || std::get<0>(std::get<0>(w)) || reply.close || ec) {
      co_return;
    }
  }
}

}  // namespace

net::Awaitable<void> StatsSocketAcceptLoop(std::shared_ptr<StatsSocketRt> socket,
                                           std::shared_ptr<ControlState> state) {
  auto ex = co_await asio::this_coro::executor;
  net::AcceptOptions options{.name = "stats socket " + socket->cfg.path,
                             .logger = state->shared->logger.get(),
                             .stopping = [socket] { return socket->closed; }};
  auto serve = [ex, socket, state](unix_socket::socket peer, net::ConnectionLimit::Slot) {
    // The level and timeout as they are now: a reload may have changed them.
    asio::co_spawn(ex,
                   CliConnection(std::move(peer), state, ToLevel(socket->cfg.level),
                                 socket->cfg.expose_fd_listeners, socket->timeout),
                   net::TaskDone{"stats socket session", state->shared->logger.get()});
  };
  co_await net::AcceptLoop(*socket->acceptor, std::move(options), serve);
}

Result<std::shared_ptr<StatsSocketRt>> OpenStatsSocket(asio::io_context& control,
                                                       const haproxy_cfg::StatsSocket& sc) {
  auto s = std::make_shared<StatsSocketRt>();
  s->cfg = sc;
  // A stale socket file from a previous run would make bind fail; haproxy
  // replaces it too. Only remove a socket, never another kind of file.
  struct stat st {};
  if (lstat(sc.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    unlink(sc.path.c_str());
  }
  boost::system::error_code ec;
  s->acceptor.emplace(control);
  s->acceptor->open(unix_socket(), ec);
  if (!ec) {
    s->acceptor->bind(unix_socket::endpoint(sc.path), ec);
  }
  if (!ec) {
    // Default 0600: the socket changes server state.
    if (chmod(sc.path.c_str(), sc.mode.value_or(0600)) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) {
    s->acceptor->listen(64, ec);
  }
  if (ec) {
    return Error(Errc::kUnavailable, "stats socket " + sc.path + ": " + ec.message());
  }
  if (lstat(sc.path.c_str(), &st) == 0) {
    s->dev = st.st_dev;
    s->ino = st.st_ino;
  }
  return s;
}

void CloseStatsSocket(StatsSocketRt& s) {
  s.closed = true;
  boost::system::error_code ec;
  if (s.acceptor) {
    s.acceptor->close(ec);
  }
  struct stat st {};
  if (lstat(s.cfg.path.c_str(), &st) == 0 && st.st_dev == s.dev && st.st_ino == s.ino) {
    unlink(s.cfg.path.c_str());
  }
}

}  // namespace vigie::lb
