// vigie::dns::Cache: the forwarder's answer cache as a pure structure.
// Positive and negative (RFC 2308) answers keyed by (name, type, class),
// stored in wire form with the offsets of their TTL fields so a hit is a copy
// and a few patches; TTL floor and cap; TTLs counted down from a `now`
// passed in; a memory bound with LRU eviction; hit/miss counters; a
// serve-stale lookup (RFC 8767) and a prefetch signal for popular entries
// near expiry. CacheableSubset() keeps only the records of the question and
// its CNAME chain.
//
// Thread rules: Cache is single-threaded (no locks, no I/O, no clock);
// ShardedCache wraps N Caches behind one mutex each and is safe from any
// thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dns/message.h"

namespace vigie::dns {

using CacheTime = std::chrono::steady_clock::time_point;

struct CacheConfig {
  // Upper bound on the octets held (entries, keys and bookkeeping).
  size_t max_bytes = size_t{64} << 20;
  // TTL floor and cap for positive answers (seconds).
  uint32_t min_ttl = 0;
  uint32_t max_ttl = 86400;
  // Cap for negative answers (NXDOMAIN / NODATA), RFC 2308 §5.
  uint32_t max_negative_ttl = 3600;
  // How long past expiry an entry may still be served when upstreams fail
  // (RFC 8767 §5 suggests 1-3 days). 0 disables serve-stale.
  uint32_t stale_window = 86400;
  // TTL put on stale answers (RFC 8767 §4 suggests 30 s).
  uint32_t stale_answer_ttl = 30;
  // Prefetch: a hit on an entry with at most this share of its TTL left
  // (percent), hit at least `prefetch_min_hits` times, signals a refresh.
  uint32_t prefetch_percent = 10;
  uint32_t prefetch_min_hits = 2;
};

// The cache key: lowercased wire name, type and class, in one string.
std::string CacheKey(const Name& name, uint16_t type, uint16_t klass);
// The same key written over *out (its buffer reused: no allocation on the
// query path once it has grown).
void CacheKeyInto(const Name& name, uint16_t type, uint16_t klass, std::string* out);

// What a response is worth caching as.
enum class CacheKind : uint8_t { kPositive, kNegative };

// The records of `response` that may be cached for `question`: answer RRs
// owned by the question name or by a target of the CNAME chain that starts
// there (other answers dropped), and for negative answers the SOA of the
// authority section; the additional section and EDNS are dropped.
// Returns nullopt when the response must not be cached: TC set, rcode other
// than NOERROR/NXDOMAIN, question mismatch, or a negative answer without SOA.
struct Cacheable {
  Message message;  // header, question and the kept records; no EDNS
  CacheKind kind = CacheKind::kPositive;
  uint32_t ttl = 0;  // seconds, before floor/cap
};
std::optional<Cacheable> CacheableSubset(const Message& response);

struct CacheHit {
  // The cached response in wire form: ID 0, the stored question, TTLs
  // decremented to what is left (or the stale TTL), no OPT record. The
  // caller patches the ID, flags and question case and appends its OPT.
  std::vector<std::byte> wire;
  bool stale = false;     // past expiry, served because the caller allowed it
  bool prefetch = false;  // popular and near expiry: refresh it in the background
  CacheKind kind = CacheKind::kPositive;
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t stale_hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t evictions = 0;
  size_t entries = 0;
  size_t bytes = 0;
};

class Cache {
 public:
  explicit Cache(CacheConfig config = {});

  // Stores a response (normally CacheableSubset's). Its TTL is clamped to
  // [min_ttl, max_ttl] (positive) or capped at max_negative_ttl (negative);
  // a TTL of 0 after clamping is not stored. Every record's TTL in the stored
  // wire is clamped the same way. Evicts least recently used entries to stay
  // under max_bytes. Returns false when not stored.
  bool Insert(const Cacheable& c, CacheTime now);

  // A fresh entry for `key`, or with `allow_stale` an expired one still
  // inside the stale window. Counts a hit or a miss (a stale lookup that
  // finds nothing is not counted again).
  std::optional<CacheHit> Lookup(std::string_view key, CacheTime now, bool allow_stale = false);
  // The same lookup into *out, whose wire buffer is reused (the query path
  // lends its reply buffer, so a hit allocates nothing). On false *out is
  // unspecified apart from keeping its buffer.
  bool Lookup(std::string_view key, CacheTime now, bool allow_stale, CacheHit* out);

  // Forgets everything.
  void Clear();
  // Marks a prefetch for `key` as finished (or failed), so the next
  // near-expiry hit may signal again.
  void PrefetchDone(std::string_view key);

  CacheStats stats() const;
  const CacheConfig& config() const { return config_; }

 private:
  struct Entry {
    std::string key;
    std::vector<std::byte> wire;
    std::vector<uint16_t> ttl_offsets;
    std::vector<uint32_t> ttls;  // per record, as stored
    CacheTime inserted;
    CacheTime expires;
    uint32_t ttl = 0;
    uint32_t hits = 0;
    bool prefetching = false;
    CacheKind kind = CacheKind::kPositive;
    uint64_t tag = 0;  // TagOf(key)
    size_t Bytes() const;
  };
  using Lru = std::list<Entry>;

  // The key index: open addressing with linear probing, at most half full,
  // positions by Fibonacci hashing of the key's hash. A lookup reads one
  // cell (hash and entry side by side) and compares the key only on a hash
  // match: no division and no node to chase, as std::unordered_map has.
  struct Cell {
    uint64_t tag = 0;  // the key's hash with the top bit set; 0: empty
    Lru::iterator entry;
  };
  static uint64_t TagOf(std::string_view key);
  size_t Home(uint64_t tag) const;
  size_t FindCell(std::string_view key, uint64_t tag) const;  // npos when absent
  void InsertCell(uint64_t tag, Lru::iterator entry);
  void EraseCell(size_t cell);

  void Erase(Lru::iterator it);
  void EvictFor(size_t bytes);

  CacheConfig config_;
  Lru lru_;                  // front = most recently used
  std::vector<Cell> cells_;  // size a power of two (or empty before the first insert)
  size_t used_cells_ = 0;
  int cell_bits_ = 0;
  size_t bytes_ = 0;
  CacheStats stats_;
};

// N independent Caches selected by key hash, each behind its own mutex, so
// workers share one cache without contending on one lock. max_bytes is split
// between the shards.
class ShardedCache {
 public:
  explicit ShardedCache(CacheConfig config = {}, size_t shards = 16);
  bool Insert(const Cacheable& c, CacheTime now);
  std::optional<CacheHit> Lookup(std::string_view key, CacheTime now, bool allow_stale = false);
  bool Lookup(std::string_view key, CacheTime now, bool allow_stale, CacheHit* out);
  void PrefetchDone(std::string_view key);
  void Clear();
  CacheStats stats() const;

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unique_ptr<Cache> cache;
  };
  Shard& For(std::string_view key);
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Walks a well-formed message and returns the offsets of the TTL field of
// every record in the answer, authority and additional sections (OPT
// included when present). Used on messages this process encoded.
Result<std::vector<uint16_t>> TtlOffsets(std::span<const std::byte> wire);

}  // namespace vigie::dns
