// The shared accept loop and its error policy.
#include "core/accept.h"

#include <cerrno>

namespace vigie::net {

bool AcceptBackoff::IsResourceError(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) {
    return false;
  }
  switch (ec.value()) {
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

Duration AcceptBackoff::OnError(const boost::system::error_code& ec) {
  if (!IsResourceError(ec)) {
    return Duration::zero();
  }
  Duration wait = next_;
  next_ = std::min<Duration>(next_ * 2, kMax);
  return wait;
}

ConnectionLimit::Slot& ConnectionLimit::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::move(other.owner_);
  }
  return *this;
}

void ConnectionLimit::Slot::Release() {
  if (owner_) {
    owner_->open_.fetch_sub(1, std::memory_order_relaxed);
    owner_.reset();
  }
}

std::optional<ConnectionLimit::Slot> ConnectionLimit::TryAcquire(
    const std::shared_ptr<ConnectionLimit>& self) {
  uint64_t limit = self->limit();
  uint64_t cur = self->open_.load(std::memory_order_relaxed);
  do {
    if (limit != 0 && cur >= limit) {
      return std::nullopt;
    }
  } while (!self->open_.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
  return Slot(self);
}

namespace {

template <class Protocol>
Awaitable<void> RunAcceptLoop(asio::basic_socket_acceptor<Protocol>& acceptor,
                              AcceptOptions options, ServeFn<Protocol> serve) {
  AcceptBackoff backoff;
  asio::steady_timer timer(acceptor.get_executor());
  auto stopping = [&] { return !acceptor.is_open() || (options.stopping && options.stopping()); };
  while (!stopping()) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (ec == asio::error::operation_aborted || stopping()) {
      co_return;
    }
    if (ec) {
      if (options.errors != nullptr) {
        options.errors->Inc();
      }
      Duration wait = backoff.OnError(ec);
      if (wait == Duration::zero()) {
        continue;
      }
      // Logged once per wait, so a long exhaustion is a line a second at most.
      if (options.logger != nullptr) {
        options.logger->warn("{}: accept: {}; retrying in {}", options.name, ec.message(),
                             FormatDuration(wait));
      }
      timer.expires_after(wait);
      co_await timer.async_wait(kUseTuple);
      continue;
    }
    backoff.OnSuccess();
    ConnectionLimit::Slot slot;
    if (options.limit) {
      auto acquired = ConnectionLimit::TryAcquire(options.limit);
      if (!acquired) {
        if (options.refused != nullptr) {
          options.refused->Inc();
        }
        continue;  // `socket` closes as it goes out of scope
      }
      slot = std::move(*acquired);
    }
    if (options.accepted != nullptr) {
      options.accepted->Inc();
    }
    serve(std::move(socket), std::move(slot));
  }
}

}  // namespace

Awaitable<void> AcceptLoop(tcp::acceptor& acceptor, AcceptOptions options, ServeFn<tcp> serve) {
  return RunAcceptLoop<tcp>(acceptor, std::move(options), std::move(serve));
}

Awaitable<void> AcceptLoop(asio::local::stream_protocol::acceptor& acceptor, AcceptOptions options,
                           ServeFn<asio::local::stream_protocol> serve) {
  return RunAcceptLoop<asio::local::stream_protocol>(acceptor, std::move(options),
                                                     std::move(serve));
}

}  // namespace vigie::net
