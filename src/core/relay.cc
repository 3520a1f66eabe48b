// The relay: one heap object per relayed connection drives both directions
// and a watchdog timer with plain completion handlers. (It was three
// coroutines joined with Asio's awaitable operators; each `&&`/`||` spawns
// child coroutines and a parallel group, which cost more user-space CPU per
// short connection than the rest of the proxy: see docs/benchmarks.md.)
#include "core/relay.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vigie::net {
namespace {

using Clock = std::chrono::steady_clock;

bool IsCleanEnd(const boost::system::error_code& ec) {
  return ec == asio::error::eof;
}

// Copy mode: reads and sends one direction makes in place before letting
// the other connections on its worker have a turn (see RelayOp::Pump).
constexpr int kPumpRounds = 8;

// Copy mode: a direction's first buffer; it grows to buffer_size once a
// read fills it (see RelayOp::GrowIfStreaming).
constexpr std::size_t kInitialCopyBuffer = 16 * 1024;

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

// One relay. Thread rules: everything runs on the sockets' io_context.
// Lifetime: every pending operation holds one count in `pending_`; the
// object deletes itself and completes the caller's handler when the count
// falls to zero, i.e. after both directions have ended and the watchdog's
// last wait has returned.
class RelayOp {
 public:
  using Handler = asio::any_completion_handler<void(RelayResult)>;

  RelayOp(tcp::socket& a, tcp::socket& b, RelayOptions options, std::string initial,
          Handler handler)
      : options_(options),
        handler_(std::move(handler)),
        timer_(a.get_executor()),
        dirs_{{&a, &b, &result_.a_to_b, std::move(initial)}, {&b, &a, &result_.b_to_a, {}}} {
    if (options_.buffer_size == 0) {
      options_.buffer_size = RelayOptions().buffer_size;
    }
  }

  void Start() {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) {
      // The caller's coroutine was cancelled: end both directions as an
      // error on either side would.
      slot.assign([this](asio::cancellation_type) { Abort(); });
    }
    dirs_[0].splice = options_.splice_a_to_b;
    dirs_[1].splice = options_.splice_b_to_a;
    if (dirs_[0].splice || dirs_[1].splice) {
      // splice(2) blocks on a blocking socket even with SPLICE_F_NONBLOCK;
      // either direction's splice touches both sockets.
      boost::system::error_code ec;
      dirs_[0].from->native_non_blocking(true, ec);
      dirs_[1].from->native_non_blocking(true, ec);
    }
    for (Direction& d : dirs_) {
      if (d.splice) {
        d.pipe.emplace();
        if (!d.pipe->ok()) {
          Fail(boost::system::error_code(errno, boost::system::system_category()));
          break;
        }
        d.may_grow = options_.buffer_size > d.pipe->capacity();
      } else {
        d.size = std::min(kInitialCopyBuffer, options_.buffer_size);
        // Uninitialised on purpose: zeroing 2 x 16 KiB per connection
        // showed in connection-per-request profiles; only bytes read are sent.
        d.buf.reset(new char[d.size]);
      }
    }
    ++pending_;  // held by Start until both directions are under way
    if (result_.end == RelayResult::End::kError) {
      // Completed from the executor, never from inside the initiation.
      dirs_[0].done = dirs_[1].done = true;
      asio::post(timer_.get_executor(), [this] { Release(); });
      return;
    }
    ArmWatchdog();
    for (Direction& d : dirs_) {
      if (!d.initial.empty()) {
        WriteInitial(d);
      } else if (&d == &dirs_[0] && !d.splice) {
        FirstRead(d);
      } else {
        Next(d);
      }
    }
    if (pending_ == 1) {
      // Everything ended in place: complete from the executor, never from
      // inside the initiation.
      asio::post(timer_.get_executor(), [this] { Release(); });
      return;
    }
    Release();
  }

 private:
  struct Direction {
    Direction(tcp::socket* f, tcp::socket* t, uint64_t* c, std::string i)
        : from(f), to(t), counter(c), initial(std::move(i)) {}
    tcp::socket* from;
    tcp::socket* to;
    uint64_t* counter;
    std::string initial;
    std::unique_ptr<char[]> buf;  // copy mode, `size` bytes
    std::size_t size = 0;
    bool grow = false;         // the last read filled `buf`: enlarge it before the next
    bool splice = false;       // zero-copy: from -> pipe -> to
    std::optional<Pipe> pipe;  // splice mode
    std::size_t in_pipe = 0;
    bool may_grow = false;
    bool eof = false;
    bool done = false;
    bool looked_for_fin = false;  // see FinishIfFinFollows
  };

  void Touch() { last_activity_ = Clock::now(); }

  void Count(Direction& d, uint64_t n) {
    if (n == 0) {
      return;
    }
    *d.counter += n;
    if (options_.on_progress) {
      options_.on_progress(&d == &dirs_[0], n);
    }
  }

  Clock::time_point Deadline() const {
    auto idle = last_activity_ + options_.idle_timeout;
    if (open_directions_ < 2) {
      return std::min(idle, half_closed_at_ + options_.half_close_timeout);
    }
    return idle;
  }

  void Fail(const boost::system::error_code& ec) {
    if (result_.end != RelayResult::End::kError) {
      result_.end = RelayResult::End::kError;
      result_.error = ec;
    }
  }

  // An error on either side, the idle timeout or the caller's cancellation
  // ends both directions: their pending operations return
  // operation_aborted.
  void Abort() {
    aborted_ = true;
    boost::system::error_code ignored;
    dirs_[0].from->cancel(ignored);
    dirs_[1].from->cancel(ignored);
  }

  void Next(Direction& d) {
    if (d.splice) {
      SpliceStep(d);
    } else {
      ReadSome(d);
    }
  }

  void WriteInitial(Direction& d) {
    ++pending_;
    asio::async_write(*d.to, asio::buffer(d.initial),
                      [this, &d](boost::system::error_code ec, std::size_t n) {
                        if (ec) {
                          EndWithError(d, ec);
                        } else {
                          Count(d, n);
                          d.initial.clear();
                          d.initial.shrink_to_fit();
                          Next(d);
                        }
                        Release();
                      });
  }

  // The first read from `a`, in place. The client has most likely sent its
  // request while the caller connected, and Asio would post even a read
  // that succeeds at once, so forwarding it would wait a full pass of the
  // worker's queue; here accept, connect and forward run in one go, as in
  // haproxy. When nothing is waiting yet (a protocol where the server
  // speaks first, a CONNECT tunnel before the client's first bytes) this
  // costs one recv more: Asio's read then tries once more before it waits.
  // The result goes where an Asio read's would (OnRead).
  void FirstRead(Direction& d) {
    ssize_t got = RecvSome(d.from->native_handle(), d.buf.get(), d.size);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ReadSome(d);
      return;
    }
    boost::system::error_code ec;
    if (got < 0) {
      ec.assign(errno, boost::system::system_category());
    } else if (got == 0) {
      ec = asio::error::eof;
    }
    OnRead(d, ec, got > 0 ? static_cast<std::size_t>(got) : 0);
  }

  // Copy mode: read, then write all of it, until EOF or an error.
  void ReadSome(Direction& d) {
    if (aborted_) {  // a completion that raced the abort must not start more
      DirectionDone(d);
      return;
    }
    GrowIfStreaming(d);
    ++pending_;
    d.from->async_read_some(asio::buffer(d.buf.get(), d.size),
                            [this, &d](boost::system::error_code ec, std::size_t n) {
                              OnRead(d, ec, n);
                              Release();
                            });
  }

  void OnRead(Direction& d, boost::system::error_code ec, std::size_t n) {
    if (ec) {
      if (IsCleanEnd(ec)) {
        HalfClose(d);
      } else {
        EndWithError(d, ec);
      }
      return;
    }
    Touch();
    if (&d == &dirs_[1] && !d.looked_for_fin && n < d.size && !aborted_) {
      d.looked_for_fin = true;
      if (FinishIfFinFollows(d, n)) {
        return;
      }
    }
    d.grow = n == d.size && d.size < options_.buffer_size;
    Pump(d, n);
  }

  // The server's first answer (b to a) was a short read: many servers close
  // right after it (HTTP with `Connection: close`, HTTP/1.0, short TCP
  // exchanges), so look once more before sending. If its FIN is already
  // here, the answer goes out corked (MSG_MORE) and the shutdown that
  // follows adds the FIN to the same segment, as haproxy does when it sees
  // the server's read0 with the data: one segment and one ACK fewer per
  // connection (connection-per-request through lb: 22.0 -> 20.1 segments
  // per request on loopback, haproxy 20.4). Costs one recv per connection
  // whose server stays open. Returns true when it has finished the
  // direction; otherwise `n` counts any bytes it read.
  bool FinishIfFinFollows(Direction& d, std::size_t& n) {
    ssize_t got = RecvSome(d.from->native_handle(), d.buf.get() + n, d.size - n);
    if (got > 0) {
      n += static_cast<std::size_t>(got);
      return false;
    }
    if (got < 0) {
      return false;  // EAGAIN: the server stays open; a real error shows on the next read
    }
    // Cork only when the shutdown follows at once (HalfClose); as the
    // second direction to end, the caller's close sends the FIN.
    int more = open_directions_ == 2 ? MSG_MORE : 0;
    ssize_t sent = SendSome(d.to->native_handle(), d.buf.get(), n, more);
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      EndWithError(d, boost::system::error_code(errno, boost::system::system_category()));
      return true;
    }
    std::size_t done = sent > 0 ? static_cast<std::size_t>(sent) : 0;
    Count(d, done);
    if (done < n) {
      WriteRest(d, done, n - done);  // then reads the EOF again
    } else {
      HalfClose(d);
    }
    return true;
  }

  // Sends the `n` bytes just read at once, while they are in the CPU's
  // cache, and goes on reading and sending in place for as long as reads
  // fill the buffer (more is waiting), up to kPumpRounds. Through Asio
  // alone every read and write completion waits its turn in the io_context
  // queue, so a busy worker reads for all its connections, then writes for
  // all of them; in place, a bulk transfer costs half the user CPU per MiB
  // (the kernel's share is unchanged). The sockets are non-blocking; Asio
  // is only asked to wait when the kernel would block, and the round limit
  // keeps one busy connection from starving the others on its worker.
  void Pump(Direction& d, std::size_t n) {
    const int to = d.to->native_handle();
    const int from = d.from->native_handle();
    for (int round = 1;; ++round) {
      ssize_t sent = SendSome(to, d.buf.get(), n);
      if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        EndWithError(d, boost::system::error_code(errno, boost::system::system_category()));
        return;
      }
      std::size_t done = sent > 0 ? static_cast<std::size_t>(sent) : 0;
      Count(d, done);
      if (done < n) {
        WriteRest(d, done, n - done);
        return;
      }
      if (n < d.size || round == kPumpRounds || aborted_) {
        ReadSome(d);  // a short read: most likely drained; let Asio wait
        return;
      }
      GrowIfStreaming(d);
      ssize_t got = RecvSome(from, d.buf.get(), d.size);
      if (got > 0) {
        n = static_cast<std::size_t>(got);
        d.grow = n == d.size && d.size < options_.buffer_size;
        continue;
      }
      if (got == 0) {
        HalfClose(d);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ReadSome(d);
      } else {
        EndWithError(d, boost::system::error_code(errno, boost::system::system_category()));
      }
      return;
    }
  }

  // A read filled the buffer, so more was likely waiting: a bulk transfer.
  // Its buffer becomes options_.buffer_size (called when the buffer is
  // empty). Each recv/send pair then moves 4x the bytes for about the same
  // kernel work per call, and the larger reads let the kernel's receive
  // buffer autotuning open the window (at 16 KiB per read the backend's
  // receive buffer stayed at 128 KiB and 1 MiB objects cost about twice the
  // kernel time they cost at 64 KiB). Interactive connections keep 16 KiB.
  void GrowIfStreaming(Direction& d) {
    if (d.grow) {
      d.grow = false;
      d.size = options_.buffer_size;
      d.buf.reset(new char[d.size]);
    }
  }

  static ssize_t RecvSome(int fd, char* buf, std::size_t n) {
    ssize_t got;
    do {
      got = ::recv(fd, buf, n, MSG_DONTWAIT);
    } while (got < 0 && errno == EINTR);
    return got;
  }

  static ssize_t SendSome(int fd, const char* data, std::size_t n, int flags = 0) {
    ssize_t sent;
    do {
      sent = ::send(fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL | flags);
    } while (sent < 0 && errno == EINTR);
    return sent;
  }

  // The receiver is slow: let Asio write the rest when it can.
  void WriteRest(Direction& d, std::size_t offset, std::size_t len) {
    ++pending_;
    asio::async_write(*d.to, asio::buffer(d.buf.get() + offset, len),
                      [this, &d](boost::system::error_code wec, std::size_t written) {
                        if (wec) {
                          EndWithError(d, wec);
                        } else {
                          Count(d, written);
                          Touch();
                          ReadSome(d);
                        }
                        Release();
                      });
  }

  // Zero-copy mode: socket -> pipe -> socket with splice(2). The sockets
  // are non-blocking; the reactor is only consulted when a splice would
  // block, so a busy tunnel costs two splice calls per pipeful. A pipe
  // starts at the kernel's default and grows to buffer_size the first time
  // one read fills half of it (a pipe slot holds one skb fragment, so a full
  // pipe may hold less than its capacity): interactive tunnels keep small
  // pipes, bulk transfers get fewer, larger splices.
  void SpliceStep(Direction& d) {
    Pipe& pipe = *d.pipe;
    for (;;) {
      if (d.in_pipe == 0 && !d.eof) {
        ssize_t n = splice(d.from->native_handle(), nullptr, pipe.write_end(), nullptr,
                           pipe.capacity(), SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          d.in_pipe = static_cast<std::size_t>(n);
          Touch();
          if (d.may_grow && d.in_pipe * 2 >= pipe.capacity()) {
            d.may_grow = false;
            pipe.Grow(options_.buffer_size);
          }
        } else if (n == 0) {
          d.eof = true;
        } else if (errno == EAGAIN) {
          WaitThenSplice(d, *d.from, tcp::socket::wait_read);
          return;
        } else {
          EndWithError(d, boost::system::error_code(errno, boost::system::system_category()));
          return;
        }
      }
      if (d.in_pipe > 0) {
        ssize_t n = splice(pipe.read_end(), nullptr, d.to->native_handle(), nullptr, d.in_pipe,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          d.in_pipe -= static_cast<std::size_t>(n);
          Count(d, static_cast<uint64_t>(n));
          Touch();
        } else if (n < 0 && errno == EAGAIN) {
          WaitThenSplice(d, *d.to, tcp::socket::wait_write);
          return;
        } else {
          EndWithError(d, boost::system::error_code(n < 0 ? errno : EPIPE,
                                                    boost::system::system_category()));
          return;
        }
        continue;
      }
      if (d.eof) {
        HalfClose(d);
        return;
      }
    }
  }

  void WaitThenSplice(Direction& d, tcp::socket& s, tcp::socket::wait_type w) {
    ++pending_;
    s.async_wait(w, [this, &d](boost::system::error_code ec) {
      if (ec) {
        DirectionDone(d);  // cancelled by the watchdog or the other direction
      } else {
        SpliceStep(d);
      }
      Release();
    });
  }

  // A cancelled operation ends its direction quietly: whoever cancelled it
  // recorded why.
  void EndWithError(Direction& d, const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) {
      Fail(ec);
      Abort();
    }
    DirectionDone(d);
  }

  // A direction has finished reading and written all it read: pass the FIN
  // on, and note the time. The second direction to finish skips the
  // shutdown: both peers have sent their FIN and everything was read, so the
  // close that follows Relay (see relay.h) sends this FIN without a reset,
  // one syscall per connection less.
  void HalfClose(Direction& d) {
    if (open_directions_ == 2) {
      boost::system::error_code ignored;
      d.to->shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (--open_directions_ == 1) {
      half_closed_at_ = Clock::now();
      // The deadline may have moved earlier: the watchdog recomputes it.
      rearm_ = true;
      timer_.cancel();
    }
    DirectionDone(d);
  }

  void DirectionDone(Direction& d) {
    d.done = true;
    if (dirs_[0].done && dirs_[1].done) {
      timer_.cancel();
    }
  }

  void ArmWatchdog() {
    auto deadline = Deadline();
    if (Clock::now() >= deadline) {
      if (result_.end != RelayResult::End::kError) {
        result_.end = RelayResult::End::kIdleTimeout;
      }
      Abort();
      return;
    }
    timer_.expires_at(deadline);
    ++pending_;
    timer_.async_wait([this](boost::system::error_code ec) {
      bool finished = dirs_[0].done && dirs_[1].done;
      if (!finished && (!ec || rearm_)) {
        rearm_ = false;
        ArmWatchdog();
      }
      Release();
    });
  }

  void Release() {
    if (--pending_ > 0) {
      return;
    }
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) {
      slot.clear();
    }
    Handler handler = std::move(handler_);
    RelayResult result = result_;
    delete this;
    std::move(handler)(result);
  }

  RelayOptions options_;
  Handler handler_;
  asio::steady_timer timer_;
  RelayResult result_;
  Clock::time_point last_activity_ = Clock::now();
  Clock::time_point half_closed_at_{};
  int open_directions_ = 2;
  bool rearm_ = false;
  bool aborted_ = false;
  int pending_ = 0;
  Direction dirs_[2];
};

}  // namespace

Awaitable<RelayResult> Relay(tcp::socket& a, tcp::socket& b, RelayOptions options,
                             std::string initial_a_to_b) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(RelayResult)>(
      [](RelayOp::Handler handler, tcp::socket* from_a, tcp::socket* from_b, RelayOptions opts,
         std::string initial) {
        (new RelayOp(*from_a, *from_b, opts, std::move(initial), std::move(handler)))->Start();
      },
      asio::use_awaitable, &a, &b, options, std::move(initial_a_to_b));
}

}  // namespace vigie::net
