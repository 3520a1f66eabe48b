// Per-client query rate limiting (dnsdist's MaxQPSIPRule, unbound's
// ip-ratelimit): one token bucket per client prefix (IPv4 /32 and IPv6 /56
// by default) in a table bounded by entry count, least recently seen
// clients evicted first, so a flood from spoofed sources cannot grow memory.
//
// Thread rules: RateLimiter is single-threaded; ShardedRateLimiter is safe
// from any thread (one lock per shard). Time is passed in by the caller
// (nanoseconds on any monotonic clock), so tests use a fake time.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/ip.h"

namespace vigie::dns {

struct RateLimitConfig {
  double qps = 0;    // refill rate per client prefix; 0 = no limit
  double burst = 0;  // bucket size; 0 = max(qps, 1)
  int v4_prefix = 32;
  int v6_prefix = 56;
  size_t max_entries = 65536;  // clients tracked at once (whole table)

  bool enabled() const { return qps > 0; }
  double capacity() const { return burst > 0 ? burst : (qps >= 1 ? qps : 1); }
};

// The client's prefix as a table key: family byte + masked address.
using ClientKey = std::array<uint8_t, 17>;
ClientKey ClientKeyOf(const IpAddress& client, int v4_prefix, int v6_prefix);

struct ClientKeyHash {
  size_t operator()(const ClientKey& k) const;
};

class RateLimiter {
 public:
  explicit RateLimiter(const RateLimitConfig& config, size_t max_entries);

  // Takes one token from the client's bucket at time `now_ns`; false when
  // the bucket is empty (the query is over the limit). A client not in the
  // table starts with a full bucket.
  bool Allow(const ClientKey& key, int64_t now_ns);

  // New rate/burst for existing and future buckets (tokens are kept, capped
  // to the new capacity). The entry bound changes too, evicting at once.
  void Reconfigure(const RateLimitConfig& config, size_t max_entries);

  size_t size() const { return map_.size(); }
  uint64_t evictions() const { return evictions_; }

 private:
  // GCRA, the token bucket in integer time: `tat` is when the bucket would
  // be full again; a query is over the limit when that is more than `tau_`
  // ahead of now. Exact where floating-point tokens drift.
  struct Bucket {
    ClientKey key;
    int64_t tat = 0;
  };
  void Evict();

  int64_t interval_ns_;  // 1 / qps
  int64_t tau_ns_;       // (burst - 1) / qps
  size_t max_entries_;
  uint64_t evictions_ = 0;
  std::list<Bucket> lru_;  // front = most recently seen
  std::unordered_map<ClientKey, std::list<Bucket>::iterator, ClientKeyHash> map_;
};

// RateLimiter split in shards by key hash, each behind its own mutex; the
// entry bound is divided between the shards.
class ShardedRateLimiter {
 public:
  explicit ShardedRateLimiter(const RateLimitConfig& config, size_t shards = 16);

  bool Allow(const IpAddress& client, int64_t now_ns);
  void Reconfigure(const RateLimitConfig& config);
  size_t size() const;
  uint64_t evictions() const;

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unique_ptr<RateLimiter> limiter;
  };
  std::mutex config_mu_;  // config_, held by Reconfigure
  RateLimitConfig config_;
  std::atomic<bool> enabled_{false};
  std::atomic<int> v4_prefix_{32};
  std::atomic<int> v6_prefix_{56};
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace vigie::dns
