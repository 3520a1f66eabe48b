// Token buckets in an LRU table (see rate_limiter.h).
#include "dns/ratelimit/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vigie::dns {
namespace {

size_t PerShard(size_t total, size_t shards) {
  return std::max<size_t>(1, total / shards);
}

int64_t IntervalNs(const RateLimitConfig& c) {
  return c.qps > 0 ? std::max<int64_t>(1, std::llround(1e9 / c.qps)) : 0;
}

int64_t TauNs(const RateLimitConfig& c) {
  return static_cast<int64_t>(
      std::llround((c.capacity() - 1) * static_cast<double>(IntervalNs(c))));
}

}  // namespace

ClientKey ClientKeyOf(const IpAddress& client, int v4_prefix, int v6_prefix) {
  const IpAddress ip = client.Unmapped();
  ClientKey k{};
  k[0] = ip.is_v4() ? 4 : 6;
  const int prefix = std::clamp(ip.is_v4() ? v4_prefix : v6_prefix, 0, ip.is_v4() ? 32 : 128);
  const auto& bytes = ip.bytes();
  for (int i = 0; i < static_cast<int>(ip.size()); ++i) {
    const int bits = std::clamp(prefix - i * 8, 0, 8);
    const auto mask = static_cast<uint8_t>(bits == 0 ? 0 : 0xFF << (8 - bits));
    k[static_cast<size_t>(i) + 1] = bytes[static_cast<size_t>(i)] & mask;
  }
  return k;
}

size_t ClientKeyHash::operator()(const ClientKey& k) const {
  // FNV-1a: keys are attacker-chosen, but each shard's table is bounded and
  // the hash only spreads them; a collision costs time, not memory.
  uint64_t h = 1469598103934665603ULL;
  for (uint8_t b : k) {
    h = (h ^ b) * 1099511628211ULL;
  }
  return static_cast<size_t>(h ^ (h >> 29));
}

RateLimiter::RateLimiter(const RateLimitConfig& config, size_t max_entries)
    : interval_ns_(IntervalNs(config)),
      tau_ns_(TauNs(config)),
      max_entries_(std::max<size_t>(1, max_entries)) {}

bool RateLimiter::Allow(const ClientKey& key, int64_t now_ns) {
  if (interval_ns_ <= 0) {
    return true;
  }
  auto it = map_.find(key);
  if (it == map_.end()) {
    lru_.push_front(Bucket{key, now_ns + interval_ns_});
    map_.emplace(key, lru_.begin());
    Evict();
    return true;
  }
  Bucket& b = *it->second;
  lru_.splice(lru_.begin(), lru_, it->second);
  const int64_t tat = std::max(b.tat, now_ns);
  if (tat - now_ns > tau_ns_) {
    return false;
  }
  b.tat = tat + interval_ns_;
  return true;
}

void RateLimiter::Reconfigure(const RateLimitConfig& config, size_t max_entries) {
  interval_ns_ = IntervalNs(config);
  tau_ns_ = TauNs(config);
  max_entries_ = std::max<size_t>(1, max_entries);
  Evict();
}

void RateLimiter::Evict() {
  while (map_.size() > max_entries_) {
    map_.erase(lru_.back().key);
    lru_.pop_back();
    ++evictions_;
  }
}

ShardedRateLimiter::ShardedRateLimiter(const RateLimitConfig& config, size_t shards)
    : config_(config) {
  enabled_ = config.enabled();
  v4_prefix_ = config.v4_prefix;
  v6_prefix_ = config.v6_prefix;
  shards = std::max<size_t>(1, shards);
  for (size_t i = 0; i < shards; ++i) {
    auto s = std::make_unique<Shard>();
    s->limiter = std::make_unique<RateLimiter>(config, PerShard(config.max_entries, shards));
    shards_.push_back(std::move(s));
  }
}

bool ShardedRateLimiter::Allow(const IpAddress& client, int64_t now_ns) {
  if (!enabled_.load(std::memory_order_relaxed)) {
    return true;
  }
  // The prefix lengths change on reload only; a query racing a reload may
  // use the old ones once.
  const ClientKey key = ClientKeyOf(client, v4_prefix_.load(std::memory_order_relaxed),
                                    v6_prefix_.load(std::memory_order_relaxed));
  Shard& s = *shards_[ClientKeyHash{}(key) % shards_.size()];
  std::lock_guard lock(s.mu);
  return s.limiter->Allow(key, now_ns);
}

void ShardedRateLimiter::Reconfigure(const RateLimitConfig& config) {
  std::lock_guard lock(config_mu_);
  const bool prefixes_changed =
      config.v4_prefix != config_.v4_prefix || config.v6_prefix != config_.v6_prefix;
  config_ = config;
  enabled_ = config.enabled();
  v4_prefix_ = config.v4_prefix;
  v6_prefix_ = config.v6_prefix;
  for (auto& s : shards_) {
    std::lock_guard shard_lock(s->mu);
    const size_t per = PerShard(config.max_entries, shards_.size());
    if (prefixes_changed) {
      s->limiter = std::make_unique<RateLimiter>(config, per);
    } else {
      s->limiter->Reconfigure(config, per);
    }
  }
}

size_t ShardedRateLimiter::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->limiter->size();
  }
  return n;
}

uint64_t ShardedRateLimiter::evictions() const {
  uint64_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->limiter->evictions();
  }
  return n;
}

}  // namespace vigie::dns
