// The relay: two copy loops and a watchdog, joined with Asio's awaitable
// operators so the watchdog cancels the copies when it fires.
#include "core/relay.h"

#include <memory>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <unistd.h>

namespace vigie::net {
namespace {

using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)
using Clock = std::chrono::steady_clock;

struct Shared {
  Clock::time_point last_activity = Clock::now();
  Clock::time_point half_closed_at{};
  int open_directions = 2;
  RelayResult result;
  RelayOptions options;
  asio::steady_timer* watchdog = nullptr;
  bool rearm = false;  // the deadline moved earlier: the watchdog must recompute

  void Touch() { last_activity = Clock::now(); }
  Clock::time_point Deadline() const {
    auto idle = last_activity + options.idle_timeout;
    if (open_directions < 2) {
      return std::min(idle, half_closed_at + options.half_close_timeout);
    }
    return idle;
  }
  void Fail(const boost::system::error_code& ec) {
    if (result.end != RelayResult::End::kError) {
      result.end = RelayResult::End::kError;
      result.error = ec;
    }
  }
};

bool IsCleanEnd(const boost::system::error_code& ec) {
  return ec == asio::error::eof;
}

// A direction has finished reading: pass the FIN on, and note the time.
// The second direction to finish skips the shutdown: both peers have sent
// their FIN and everything was read, so the close that follows Relay (see
// relay.h) sends this FIN without a reset, one syscall per connection less.
void HalfClose(tcp::socket& to, Shared& st) {
  if (st.open_directions == 2) {
    boost::system::error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
  }
  if (--st.open_directions == 1) {
    st.half_closed_at = Clock::now();
    if (st.watchdog != nullptr) {
      st.rearm = true;
      st.watchdog->cancel();
    }
  }
}

// An error on either side ends both directions.
void Abort(tcp::socket& a, tcp::socket& b) {
  boost::system::error_code ignored;
  a.cancel(ignored);
  b.cancel(ignored);
}

Awaitable<void> CopyLoop(tcp::socket& from, tcp::socket& to, Shared& st, uint64_t& counter,
                         std::string initial) {
  co_await asio::this_coro::throw_if_cancelled(false);  // see Watchdog
  if (!initial.empty()) {
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(initial), kUseTuple);
    if (ec) {
      st.Fail(ec);
      Abort(from, to);
      co_return;
    }
    counter += n;
  }
  // Uninitialised on purpose: zeroing 2 x 16 KiB per connection showed in
  // connection-per-request profiles, and only bytes read are ever sent.
  const std::size_t size = st.options.buffer_size;
  std::unique_ptr<char[]> buf(new char[size]);
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf.get(), size), kUseTuple);
    if (ec) {
      if (IsCleanEnd(ec)) {
        HalfClose(to, st);
      } else if (ec != asio::error::operation_aborted) {
        st.Fail(ec);
        Abort(from, to);
      }
      co_return;
    }
    st.Touch();
    auto [wec, written] = co_await asio::async_write(to, asio::buffer(buf.get(), n), kUseTuple);
    if (wec) {
      if (wec != asio::error::operation_aborted) {
        st.Fail(wec);
        Abort(from, to);
      }
      co_return;
    }
    counter += written;
    st.Touch();
  }
}

// The kernel's default pipe capacity (16 pages).
constexpr std::size_t kDefaultPipeCapacity = 64 * 1024;

// A pipe pair owned by one splice direction, holding at most `capacity()`
// bytes in flight.
class Pipe {
 public:
  Pipe() {
    if (pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
      fds_[0] = fds_[1] = -1;
      return;
    }
    int got = fcntl(fds_[1], F_GETPIPE_SZ);
    capacity_ = got > 0 ? static_cast<std::size_t>(got) : kDefaultPipeCapacity;
  }
  // Asks for `capacity` bytes. The kernel may refuse (above
  // /proc/sys/fs/pipe-max-size, or past the user's pipe pages): the pipe
  // then keeps the capacity it has, which is not an error.
  void Grow(std::size_t capacity) {
    if (capacity <= capacity_ || capacity > static_cast<std::size_t>(INT32_MAX)) {
      return;
    }
    int got = fcntl(fds_[1], F_SETPIPE_SZ, static_cast<int>(capacity));
    if (got > 0) {
      capacity_ = static_cast<std::size_t>(got);
    }
  }
  ~Pipe() {
    for (int fd : fds_) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  std::size_t capacity() const { return capacity_; }

 private:
  int fds_[2] = {-1, -1};
  std::size_t capacity_ = kDefaultPipeCapacity;
};

// Zero-copy direction: socket -> pipe -> socket with splice(2). The sockets
// are in non-blocking mode; readiness comes from the reactor, which is only
// consulted when a splice would block, so a busy tunnel costs two splice
// calls per pipeful.
Awaitable<void> SpliceLoop(tcp::socket& from, tcp::socket& to, Shared& st, uint64_t& counter,
                           std::string initial) {
  co_await asio::this_coro::throw_if_cancelled(false);  // see Watchdog
  if (!initial.empty()) {
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(initial), kUseTuple);
    if (ec) {
      st.Fail(ec);
      Abort(from, to);
      co_return;
    }
    counter += n;
  }
  Pipe pipe;
  if (!pipe.ok()) {
    st.Fail(boost::system::error_code(errno, boost::system::system_category()));
    Abort(from, to);
    co_return;
  }
  from.native_non_blocking(true);
  to.native_non_blocking(true);
  // A pipe starts at the kernel's default and grows to buffer_size the first
  // time one read fills half of it (a pipe slot holds one skb fragment, so a
  // full pipe may hold less than its capacity): interactive tunnels keep
  // small pipes, bulk transfers get fewer, larger splices.
  bool may_grow = st.options.buffer_size > pipe.capacity();
  std::size_t in_pipe = 0;
  bool eof = false;
  for (;;) {
    if (in_pipe == 0 && !eof) {
      ssize_t n = splice(from.native_handle(), nullptr, pipe.write_end(), nullptr, pipe.capacity(),
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        in_pipe = static_cast<std::size_t>(n);
        st.Touch();
        if (may_grow && in_pipe * 2 >= pipe.capacity()) {
          may_grow = false;
          pipe.Grow(st.options.buffer_size);
        }
      } else if (n == 0) {
        eof = true;
      } else if (errno == EAGAIN) {
        auto [ec] = co_await from.async_wait(tcp::socket::wait_read, kUseTuple);
        if (ec) {
          co_return;  // cancelled by the watchdog or the other direction
        }
        continue;
      } else {
        st.Fail(boost::system::error_code(errno, boost::system::system_category()));
        Abort(from, to);
        co_return;
      }
    }
    if (in_pipe > 0) {
      ssize_t n = splice(pipe.read_end(), nullptr, to.native_handle(), nullptr, in_pipe,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        in_pipe -= static_cast<std::size_t>(n);
        counter += static_cast<uint64_t>(n);
        st.Touch();
      } else if (n < 0 && errno == EAGAIN) {
        auto [ec] = co_await to.async_wait(tcp::socket::wait_write, kUseTuple);
        if (ec) {
          co_return;
        }
      } else {
        st.Fail(boost::system::error_code(n < 0 ? errno : EPIPE, boost::system::system_category()));
        Abort(from, to);
        co_return;
      }
      continue;
    }
    if (eof) {
      HalfClose(to, st);
      co_return;
    }
  }
}

Awaitable<void> Watchdog(Shared& st) {
  // The loser of `||` is cancelled at the end of every connection; by
  // default its next co_await would throw operation_aborted (an exception
  // per connection, measurable in a connection-per-request load). Here
  // cancellation arrives as an error code instead, which every wait checks.
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  st.watchdog = &timer;
  for (;;) {
    auto deadline = st.Deadline();
    if (Clock::now() >= deadline) {
      if (st.result.end != RelayResult::End::kError) {
        st.result.end = RelayResult::End::kIdleTimeout;
      }
      st.watchdog = nullptr;
      co_return;
    }
    timer.expires_at(deadline);
    auto [ec] = co_await timer.async_wait(kUseTuple);
    if (!ec) {
      continue;
    }
    // Cancelled. By the relay's end (the copies finished first: `||`
    // cancels us) — possibly right after a half-close asked for a re-arm —
    // or only by that re-arm request.
    auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
    if (cancelled == asio::cancellation_type::none && st.open_directions > 0 && st.rearm) {
      st.rearm = false;
      continue;
    }
    st.watchdog = nullptr;
    co_return;
  }
}

}  // namespace

Awaitable<RelayResult> Relay(tcp::socket& a, tcp::socket& b, RelayOptions options,
                             std::string initial_a_to_b) {
  Shared st;
  st.options = options;
  if (st.options.buffer_size == 0) {
    st.options.buffer_size = 16 * 1024;
  }
  if (options.splice) {
    co_await ((SpliceLoop(a, b, st, st.result.a_to_b, std::move(initial_a_to_b)) &&
               SpliceLoop(b, a, st, st.result.b_to_a, {})) ||
              Watchdog(st));
  } else {
    co_await ((CopyLoop(a, b, st, st.result.a_to_b, std::move(initial_a_to_b)) &&
               CopyLoop(b, a, st, st.result.b_to_a, {})) ||
              Watchdog(st));
  }
  co_return st.result;
}

}  // namespace vigie::net
