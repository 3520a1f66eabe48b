// ServerPool: haproxy's balancing algorithms over a plain vector of servers.
#include "lb/balance/server_pool.h"

#include <algorithm>

namespace vigie::lb::balance {
namespace {

constexpr std::int64_t kEweightMax = kMaxUserWeight * kWeightScale;  // SRV_EWGHT_MAX

std::int64_t Seconds(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

}  // namespace

std::uint32_t FullHash(std::uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  // Spread over the ring by a large prime close to 3/4 of 2^32.
  return a * 3221225473U;
}

std::uint32_t SourceHash(std::span<const std::uint8_t> address) {
  // XOR of the address' 32-bit big-endian words, then the avalanche.
  std::uint32_t h = 0;
  for (std::size_t l = 0; l + 4 <= address.size(); l += 4) {
    h ^= (std::uint32_t{address[l]} << 24) | (std::uint32_t{address[l + 1]} << 16) |
         (std::uint32_t{address[l + 2]} << 8) | std::uint32_t{address[l + 3]};
  }
  return FullHash(h);
}

ServerPool::ServerPool(PoolOptions options, std::vector<ServerSpec> servers) : options_(options) {
  servers_.reserve(servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i) {
    State st;
    st.spec = std::move(servers[i]);
    if (st.spec.id == 0)
      st.spec.id = static_cast<int>(i) + 1;
    st.spec.weight = std::clamp(st.spec.weight, 0, kMaxUserWeight);
    st.user_weight = st.spec.weight;
    servers_.push_back(std::move(st));
  }
}

std::size_t ServerPool::Find(std::string_view name) const {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].spec.name == name)
      return i;
  }
  return Pick::kNone;
}

void ServerPool::SetHealthy(std::size_t i, bool healthy, Clock::time_point now) {
  State& s = servers_[i];
  if (healthy && !s.healthy) {
    s.ramp_start = now;
    s.ramping = s.spec.slowstart.count() > 0;
  }
  s.healthy = healthy;
  Reposition(i);
}

void ServerPool::SetAdmin(std::size_t i, AdminState state, Clock::time_point now) {
  State& s = servers_[i];
  if (s.admin == AdminState::kMaint && state != AdminState::kMaint) {
    s.ramp_start = now;
    s.ramping = s.spec.slowstart.count() > 0;
  }
  s.admin = state;
  Reposition(i);
}

Result<void> ServerPool::SetWeight(std::size_t i, int weight) {
  if (weight < 0 || weight > kMaxUserWeight) {
    return Error(Errc::kInvalidArgument,
                 "Absolute weight can only be between 0 and 256 inclusive.");
  }
  State& s = servers_[i];
  if (options_.algorithm == Algorithm::kStaticRr && weight != 0 && weight != s.spec.weight) {
    return Error(
        Errc::kInvalidArgument,
        "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
  }
  s.user_weight = weight;
  Reposition(i);
  return {};
}

int ServerPool::EffectiveWeight(std::size_t i, Clock::time_point now) const {
  const State& s = servers_[i];
  if (!s.healthy || s.admin != AdminState::kReady || s.user_weight == 0)
    return 0;
  int w = kWeightScale;
  bool dynamic = options_.algorithm != Algorithm::kStaticRr;
  if (s.ramping && dynamic) {
    // haproxy's server_recalc_eweight(): whole seconds, slowstart rounded up.
    std::int64_t ss = (s.spec.slowstart.count() + 999) / 1000;
    std::int64_t elapsed = Seconds(now - s.ramp_start);
    if (elapsed >= 0 && elapsed < ss) {
      w = static_cast<int>((kWeightScale * elapsed + ss) / ss);
    }
  }
  return s.user_weight * w;
}

int ServerPool::DynamicMaxconn(std::size_t i, Clock::time_point now) const {
  const State& s = servers_[i];
  if (s.spec.maxconn == 0)
    return 0;
  if (s.ramping) {
    // The slot count grows from 1 to maxconn over the slowstart period.
    std::int64_t ss = s.spec.slowstart.count();
    std::int64_t elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - s.ramp_start).count();
    if (elapsed >= 0 && elapsed < ss) {
      return std::max<int>(1, static_cast<int>(s.spec.maxconn * elapsed / ss));
    }
  }
  return s.spec.maxconn;
}

bool ServerPool::Full(std::size_t i, Clock::time_point now) const {
  int cap = DynamicMaxconn(i, now);
  return cap > 0 && servers_[i].served >= cap;
}

std::vector<std::size_t> ServerPool::Candidates(Clock::time_point now) const {
  std::vector<std::size_t> active;
  std::vector<std::size_t> backup;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (!Usable(i, now))
      continue;
    (servers_[i].spec.backup ? backup : active).push_back(i);
  }
  if (!active.empty())
    return active;
  if (backup.empty() || options_.allbackups)
    return backup;
  return {backup.front()};  // haproxy: the first usable backup only
}

Pick ServerPool::Take(std::size_t i) {
  ++servers_[i].served;
  Reposition(i);
  return Pick{Pick::Kind::kServer, i};
}

void ServerPool::ConnectionStarted(std::size_t i) {
  ++servers_[i].served;
  Reposition(i);
}

void ServerPool::ConnectionEnded(std::size_t i) {
  if (servers_[i].served > 0)
    --servers_[i].served;
  Reposition(i);
}

int ServerPool::UsableActive(Clock::time_point now) const {
  int n = 0;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (!servers_[i].spec.backup && Usable(i, now))
      ++n;
  }
  return n;
}

int ServerPool::UsableBackup(Clock::time_point now) const {
  int n = 0;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].spec.backup && Usable(i, now))
      ++n;
  }
  return n;
}

Pick ServerPool::Select(std::span<const std::uint8_t> client_address, Clock::time_point now,
                        std::size_t avoid) {
  std::vector<std::size_t> c = Candidates(now);
  if (c.empty())
    return Pick{};
  if (avoid != Pick::kNone && c.size() > 1)
    std::erase(c, avoid);
  switch (options_.algorithm) {
    case Algorithm::kRoundRobin:
      return SelectRoundRobin(c, now);
    case Algorithm::kStaticRr:
      return SelectStatic(c, now);
    case Algorithm::kLeastConn:
      return SelectLeastConn(c, now);
    case Algorithm::kSource:
      return SelectSource(c, client_address, now);
    case Algorithm::kFirst:
      return SelectFirst(c, now);
  }
  return Pick{};
}

// Smooth weighted round robin: every free candidate gains its weight, the
// richest is picked and pays the total. Weight changes apply at once; the
// sequence interleaves servers (5:1:1 gives a a b a c a a, not a a a a a b c).
Pick ServerPool::SelectRoundRobin(const std::vector<std::size_t>& c, Clock::time_point now) {
  std::int64_t total = 0;
  std::size_t best = Pick::kNone;
  for (std::size_t i : c) {
    if (Full(i, now))
      continue;
    State& s = servers_[i];
    int w = EffectiveWeight(i, now);
    s.smooth_current += w;
    total += w;
    if (best == Pick::kNone || s.smooth_current > servers_[best].smooth_current)
      best = i;
  }
  if (best == Pick::kNone)
    return Pick{Pick::Kind::kQueue, Pick::kNone};
  servers_[best].smooth_current -= total;
  return Take(best);
}

// haproxy's lb_map: a table of sum(weights) slots filled so that equal
// weights keep declaration order, walked in turn.
Pick ServerPool::SelectStatic(const std::vector<std::size_t>& c, Clock::time_point now) {
  std::vector<std::pair<std::size_t, int>> key;
  key.reserve(c.size());
  for (std::size_t i : c)
    key.emplace_back(i, servers_[i].user_weight);
  if (key != map_key_) {
    map_key_ = key;
    map_.clear();
    int tot = 0;
    for (const auto& [i, w] : key)
      tot += w;
    std::vector<std::int64_t> wscore(c.size(), 0);
    for (int o = 0; o < tot; ++o) {
      std::size_t best = Pick::kNone;
      std::int64_t max = 0;
      for (std::size_t k = 0; k < key.size(); ++k) {
        if (tot == 1) {
          best = k;
          break;
        }
        wscore[k] += key[k].second;
        std::int64_t v = (wscore[k] + tot) / tot;
        if (best == Pick::kNone || v > max) {
          max = v;
          best = k;
        }
      }
      map_.push_back(key[best].first);
      if (tot != 1)
        wscore[best] -= tot;
    }
    map_index_ = 0;
  }
  if (map_.empty())
    return Pick{};
  for (std::size_t n = 0; n < map_.size(); ++n) {
    std::size_t i = map_[map_index_ % map_.size()];
    map_index_ = (map_index_ + 1) % map_.size();
    if (!Full(i, now))
      return Take(i);
  }
  return Pick{Pick::Kind::kQueue, Pick::kNone};
}

// haproxy's lb_fwlc: lowest served/weight; equal keys go in the order the
// servers took that position (so ties rotate).
Pick ServerPool::SelectLeastConn(const std::vector<std::size_t>& c, Clock::time_point now) {
  std::size_t best = Pick::kNone;
  std::int64_t best_key = 0;
  for (std::size_t i : c) {
    if (Full(i, now))
      continue;
    std::int64_t key = servers_[i].served * kEweightMax / EffectiveWeight(i, now);
    if (best == Pick::kNone || key < best_key ||
        (key == best_key && servers_[i].position_seq < servers_[best].position_seq)) {
      best = i;
      best_key = key;
    }
  }
  if (best == Pick::kNone)
    return Pick{Pick::Kind::kQueue, Pick::kNone};
  return Take(best);
}

// haproxy's lb_chash: each server owns eweight points full_hash(id*4096+n)
// on a 32-bit ring; the client goes to the closest point. A server leaving
// takes only its points away, so only its clients move.
Pick ServerPool::SelectSource(const std::vector<std::size_t>& c, std::span<const std::uint8_t> addr,
                              Clock::time_point now) {
  std::size_t chosen = HashChoose(c, addr, now);
  if (chosen == Pick::kNone)
    return Pick{};
  if (Full(chosen, now))
    return Pick{Pick::Kind::kQueue, chosen};
  return Take(chosen);
}

std::size_t ServerPool::HashTarget(std::span<const std::uint8_t> addr, Clock::time_point now) {
  if (options_.algorithm != Algorithm::kSource)
    return Pick::kNone;
  return HashChoose(Candidates(now), addr, now);
}

std::size_t ServerPool::HashChoose(const std::vector<std::size_t>& c,
                                   std::span<const std::uint8_t> addr, Clock::time_point now) {
  std::vector<std::pair<std::size_t, int>> key;
  key.reserve(c.size());
  for (std::size_t i : c)
    key.emplace_back(i, EffectiveWeight(i, now));
  if (key != ring_key_) {
    ring_key_ = key;
    ring_.clear();
    for (const auto& [i, w] : key) {
      for (int n = 0; n < w; ++n) {
        std::uint32_t k = static_cast<std::uint32_t>(servers_[i].spec.id) *
                              static_cast<std::uint32_t>(kEweightMax) +
                          static_cast<std::uint32_t>(n);
        ring_.emplace_back(FullHash(k), i);
      }
    }
    std::sort(ring_.begin(), ring_.end());
  }
  if (ring_.empty())
    return Pick::kNone;
  std::size_t chosen;
  if (c.size() == 1) {
    chosen = c.front();
  } else {
    std::uint32_t h = SourceHash(addr);
    auto next = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(h, std::size_t{0}));
    if (next == ring_.end())
      next = ring_.begin();
    auto prev = next == ring_.begin() ? ring_.end() - 1 : next - 1;
    chosen = next->second;
    if (prev->second != next->second) {
      std::uint32_t dp = h - prev->first;  // modular distances
      std::uint32_t dn = next->first - h;
      if (dp <= dn)
        chosen = prev->second;
    }
  }
  return chosen;
}

Pick ServerPool::SelectFirst(const std::vector<std::size_t>& c, Clock::time_point now) {
  std::vector<std::size_t> by_id = c;
  std::sort(by_id.begin(), by_id.end(), [this](std::size_t a, std::size_t b) {
    return servers_[a].spec.id < servers_[b].spec.id;
  });
  for (std::size_t i : by_id) {
    if (!Full(i, now))
      return Take(i);
  }
  return Pick{Pick::Kind::kQueue, Pick::kNone};
}

}  // namespace vigie::lb::balance
