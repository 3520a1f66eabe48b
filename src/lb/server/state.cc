// The shared state's own logic: the maxconn gates, the backend's queue
// dispatch under its lock, and lookups.
#include "lb/server/state.h"

#include <algorithm>

namespace vigie::lb {

bool ConnGate::TryAcquire() {
  if (limit_ <= 0) {
    current_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  int cur = current_.load(std::memory_order_relaxed);
  while (cur < limit_) {
    if (current_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) {
      return true;
    }
  }
  return false;
}

// A slot freed and a waiter registering race; both sides use sequentially
// consistent operations (Release: current_ then waiting_; AddWaiter:
// waiting_ then current_), so at least one of them sees the other and the
// waiter is woken. Without waiters a release takes no lock.
void ConnGate::Release() {
  current_.fetch_sub(1);
  if (limit_ <= 0 || waiting_.load() == 0) {
    return;
  }
  WakeAll();
}

void ConnGate::AddWaiter(std::shared_ptr<asio::steady_timer> timer) {
  {
    std::lock_guard lock(mu_);
    waiters_.push_back(std::move(timer));
    waiting_.fetch_add(1);
  }
  if (current_.load() < limit_) {
    WakeAll();  // a slot freed while this waiter was on its way in
  }
}

void ConnGate::WakeAll() {
  std::vector<std::shared_ptr<asio::steady_timer>> wake;
  {
    std::lock_guard lock(mu_);
    wake.swap(waiters_);
    waiting_.store(0);
  }
  for (auto& t : wake) {
    asio::post(t->get_executor(), [t] { t->cancel(); });
  }
}

std::size_t AddressBytes(const asio::ip::address& a, std::array<std::uint8_t, 16>& out) {
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    return 4;
  }
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
    return 4;
  }
  auto b = v6.to_bytes();
  std::copy(b.begin(), b.end(), out.begin());
  return 16;
}

balance::Pick BackendRt::Select(std::span<const std::uint8_t> addr, std::size_t avoid) {
  std::lock_guard lock(mu);
  if (!queue.empty()) {
    // Queued connections go first (haproxy serves its queue before new ones).
    return balance::Pick{balance::Pick::Kind::kQueue, balance::Pick::kNone};
  }
  return pool.Select(addr, SteadyClock::now(), avoid);
}

void BackendRt::Release(std::size_t i) {
  std::lock_guard lock(mu);
  pool.ConnectionEnded(i);
  DispatchLocked();
}

void BackendRt::DispatchLocked() {
  auto now = SteadyClock::now();
  while (!queue.empty()) {
    auto& w = queue.front();
    auto pick = pool.Select(std::span<const std::uint8_t>(w->addr.data(), w->addr_len), now);
    if (pick.kind != balance::Pick::Kind::kServer) {
      break;
    }
    w->granted = true;
    w->server = pick.server;
    UncountWaiterLocked(*w);
    auto timer = w->timer;
    asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    queue.pop_front();
  }
  m.backend_queued.Set(static_cast<std::int64_t>(queue.size()));
}

ServerRt* BackendRt::EnqueueLocked(std::shared_ptr<QueueWaiter> w) {
  w->queued_for = pool.HashTarget(std::span<const std::uint8_t>(w->addr.data(), w->addr_len),
                                  SteadyClock::now());
  if (w->queued_for != balance::Pick::kNone) {
    if (pool.QueueFull(w->queued_for)) {
      return servers[w->queued_for].get();
    }
    pool.QueueChanged(w->queued_for, 1);
  }
  queue.push_back(std::move(w));
  UpdateMax(qmax, queue.size());
  m.backend_queued.Set(static_cast<std::int64_t>(queue.size()));
  return nullptr;
}

void BackendRt::UncountWaiterLocked(const QueueWaiter& w) {
  if (w.queued_for != balance::Pick::kNone) {
    pool.QueueChanged(w.queued_for, -1);
  }
}

void BackendRt::UpdateUpGauge() {
  auto now = SteadyClock::now();
  m.backend_up_servers.Set(pool.UsableActive(now) + pool.UsableBackup(now));
}

BackendRt* Snapshot::FindBackend(std::string_view name) const {
  for (const auto& b : backends) {
    if (b->cfg.name == name) {
      return b.get();
    }
  }
  return nullptr;
}

}  // namespace vigie::lb
