// The answer cache: wire-form entries with TTL offsets, LRU eviction under
// a byte bound, negative caching from the SOA (RFC 2308), serve-stale.
#include "dns/cache/cache.h"

#include <algorithm>
#include <functional>

#include "core/check.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

uint16_t Get16(std::span<const std::byte> w, size_t at) {
  return static_cast<uint16_t>((std::to_integer<uint16_t>(w[at]) << 8) |
                               std::to_integer<uint16_t>(w[at + 1]));
}

void Put32(std::vector<std::byte>& w, size_t at, uint32_t v) {
  w[at] = std::byte(v >> 24);
  w[at + 1] = std::byte(v >> 16);
  w[at + 2] = std::byte(v >> 8);
  w[at + 3] = std::byte(v);
}

// Skips a possibly compressed name; returns the offset after it.
Result<size_t> SkipName(std::span<const std::byte> w, size_t at) {
  for (int labels = 0; labels < 128; ++labels) {
    if (at >= w.size()) {
      return Errc::kTruncated;
    }
    auto len = std::to_integer<uint8_t>(w[at]);
    if (len == 0) {
      return at + 1;
    }
    if ((len & 0xC0) == 0xC0) {
      if (at + 2 > w.size()) {
        return Errc::kTruncated;
      }
      return at + 2;
    }
    if ((len & 0xC0) != 0) {
      return Errc::kBadLabel;
    }
    at += 1 + len;
  }
  return Errc::kNameTooLong;
}

// Elapsed whole seconds, never negative.
uint32_t SecondsBetween(CacheTime from, CacheTime to) {
  if (to <= from) {
    return 0;
  }
  auto s = std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
  return s > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(s);
}

}  // namespace

std::string CacheKey(const Name& name, uint16_t type, uint16_t klass) {
  std::string key;
  CacheKeyInto(name, type, klass, &key);
  return key;
}

void CacheKeyInto(const Name& name, uint16_t type, uint16_t klass, std::string* out) {
  std::string& key = *out;
  key.assign(name.wire());
  for (char& c : key) {
    c = static_cast<char>(AsciiLower(static_cast<uint8_t>(c)));
  }
  key.push_back(static_cast<char>(type >> 8));
  key.push_back(static_cast<char>(type & 0xFF));
  key.push_back(static_cast<char>(klass >> 8));
  key.push_back(static_cast<char>(klass & 0xFF));
}

Result<std::vector<uint16_t>> TtlOffsets(std::span<const std::byte> wire) {
  if (wire.size() < kHeaderSize) {
    return Errc::kTruncated;
  }
  const uint16_t qd = Get16(wire, 4);
  const uint32_t rr = uint32_t{Get16(wire, 6)} + Get16(wire, 8) + Get16(wire, 10);
  size_t at = kHeaderSize;
  for (uint16_t i = 0; i < qd; ++i) {
    VIGIE_ASSIGN_OR_RETURN(at, SkipName(wire, at));
    at += 4;
  }
  std::vector<uint16_t> out;
  out.reserve(rr);
  for (uint32_t i = 0; i < rr; ++i) {
    VIGIE_ASSIGN_OR_RETURN(at, SkipName(wire, at));
    if (at + 10 > wire.size()) {
      return Errc::kTruncated;
    }
    out.push_back(static_cast<uint16_t>(at + 4));
    at += 10 + Get16(wire, at + 8);
  }
  if (at > wire.size()) {
    return Errc::kTruncated;
  }
  return out;
}

std::optional<Cacheable> CacheableSubset(const Message& response) {
  if (!response.header.qr || response.header.tc || response.questions.size() != 1) {
    return std::nullopt;
  }
  const uint16_t rc = response.FullRcode();
  if (rc != rcode::kNoError && rc != rcode::kNxDomain) {
    return std::nullopt;
  }
  const Question& q = response.questions[0];
  Cacheable out;
  out.message.header = response.header;
  out.message.header.id = 0;
  out.message.header.tc = false;
  out.message.questions = response.questions;

  // Follow the CNAME chain from the question name (bounded: a chain longer
  // than 16 is not worth caching whole).
  std::vector<Name> chain = {q.name};
  std::vector<bool> taken(response.answers.size(), false);
  bool grew = true;
  for (int round = 0; grew && round < 16; ++round) {
    grew = false;
    for (size_t i = 0; i < response.answers.size(); ++i) {
      const ResourceRecord& rr = response.answers[i];
      if (taken[i] || rr.klass != q.klass) {
        continue;
      }
      if (std::find(chain.begin(), chain.end(), rr.name) == chain.end()) {
        continue;
      }
      taken[i] = true;
      grew = true;
      out.message.answers.push_back(rr);
      if (rr.type == rr_type::kCname && q.type != rr_type::kCname) {
        auto target = RdataName(rr);
        if (target && std::find(chain.begin(), chain.end(), *target) == chain.end()) {
          chain.push_back(*target);
        }
      }
    }
  }
  uint32_t ttl = UINT32_MAX;
  for (const auto& rr : out.message.answers) {
    ttl = std::min(ttl, rr.ttl);
  }
  bool has_final = false;
  for (const auto& rr : out.message.answers) {
    if (rr.type == q.type || q.type == rr_type::kAny) {
      has_final = true;
    }
  }
  if (rc == rcode::kNoError && has_final) {
    out.kind = CacheKind::kPositive;
    out.ttl = ttl;
    return out;
  }
  // NXDOMAIN or NODATA (possibly after a CNAME chain): needs a SOA, and
  // only the SOA of a zone that holds the name that does not exist (the end
  // of the chain) says for how long (RFC 2308 §3); an SOA for another zone
  // is an upstream's error or a forgery, and is not cached.
  for (const auto& rr : response.authorities) {
    if (rr.type != rr_type::kSoa || rr.klass != q.klass || !chain.back().IsSubdomainOf(rr.name)) {
      continue;
    }
    auto soa = ParseSoa(rr);
    if (!soa) {
      continue;
    }
    out.kind = CacheKind::kNegative;
    out.ttl = std::min({ttl, rr.ttl, soa->minimum});
    out.message.authorities.push_back(rr);
    return out;
  }
  if (rc == rcode::kNoError && !out.message.answers.empty()) {
    // A CNAME chain without final data and without SOA: cache the chain.
    out.kind = CacheKind::kPositive;
    out.ttl = ttl;
    return out;
  }
  return std::nullopt;
}

size_t Cache::Entry::Bytes() const {
  // Key twice (entry and index view is free), wire, offsets, TTLs, list
  // node and hash-table node overheads (measured order of magnitude).
  return sizeof(Entry) + key.capacity() + wire.capacity() + ttl_offsets.capacity() * 2 +
         ttls.capacity() * 4 + 64;
}

Cache::Cache(CacheConfig config) : config_(config) {}

bool Cache::Insert(const Cacheable& c, CacheTime now) {
  if (c.message.questions.size() != 1) {
    return false;
  }
  const bool negative = c.kind == CacheKind::kNegative;
  auto clamp = [&](uint32_t t) {
    if (negative) {
      return std::min(t, config_.max_negative_ttl);
    }
    return std::clamp(t, std::min(config_.min_ttl, config_.max_ttl), config_.max_ttl);
  };
  const uint32_t ttl = clamp(c.ttl);
  if (ttl == 0) {
    return false;
  }
  Message m = c.message;
  m.header.id = 0;
  m.edns.reset();
  m.additionals.clear();
  for (auto* section : {&m.answers, &m.authorities}) {
    for (auto& rr : *section) {
      rr.ttl = clamp(rr.ttl);
    }
  }
  Entry e;
  const Question& q = m.questions[0];
  e.key = CacheKey(q.name, q.type, q.klass);
  auto encoded = Encode(m, &e.wire);
  if (encoded.truncated) {
    return false;
  }
  auto offsets = TtlOffsets(e.wire);
  if (!offsets) {
    return false;
  }
  e.ttl_offsets = std::move(*offsets);
  for (auto* section : {&m.answers, &m.authorities}) {
    for (auto& rr : *section) {
      e.ttls.push_back(rr.ttl);
    }
  }
  if (e.ttls.size() != e.ttl_offsets.size()) {
    return false;
  }
  e.inserted = now;
  e.expires = now + std::chrono::seconds(ttl);
  e.ttl = ttl;
  e.kind = c.kind;
  const size_t need = e.Bytes();
  if (need > config_.max_bytes) {
    return false;
  }
  e.tag = TagOf(e.key);
  if (const size_t cell = FindCell(e.key, e.tag); cell != std::string_view::npos) {
    Erase(cells_[cell].entry);
  }
  EvictFor(need);
  lru_.push_front(std::move(e));
  InsertCell(lru_.front().tag, lru_.begin());
  bytes_ += need;
  ++stats_.inserts;
  return true;
}

std::optional<CacheHit> Cache::Lookup(std::string_view key, CacheTime now, bool allow_stale) {
  CacheHit hit;
  if (!Lookup(key, now, allow_stale, &hit)) {
    return std::nullopt;
  }
  return hit;
}

bool Cache::Lookup(std::string_view key, CacheTime now, bool allow_stale, CacheHit* out) {
  const size_t cell = FindCell(key, TagOf(key));
  if (cell == std::string_view::npos) {
    if (!allow_stale) {
      ++stats_.misses;
    }
    return false;
  }
  const Lru::iterator it = cells_[cell].entry;
  Entry& e = *it;
  const bool expired = now >= e.expires;
  if (expired) {
    const bool in_window =
        config_.stale_window > 0 && now < e.expires + std::chrono::seconds(config_.stale_window);
    if (!in_window) {
      Erase(it);
      if (!allow_stale) {
        ++stats_.misses;
      }
      return false;
    }
    if (!allow_stale) {
      ++stats_.misses;
      return false;
    }
  }
  // Most recently used to the front.
  lru_.splice(lru_.begin(), lru_, it);
  CacheHit& hit = *out;
  hit.kind = e.kind;
  hit.stale = expired;
  hit.prefetch = false;
  // Assignment reuses the caller's buffer when it is large enough.
  hit.wire = e.wire;
  const uint32_t elapsed = SecondsBetween(e.inserted, now);
  for (size_t i = 0; i < e.ttl_offsets.size(); ++i) {
    uint32_t t =
        expired ? config_.stale_answer_ttl : (e.ttls[i] > elapsed ? e.ttls[i] - elapsed : 0);
    Put32(hit.wire, e.ttl_offsets[i], t);
  }
  ++e.hits;
  if (expired) {
    ++stats_.stale_hits;
  } else {
    ++stats_.hits;
    const uint32_t left = e.ttl > elapsed ? e.ttl - elapsed : 0;
    if (!e.prefetching && e.hits >= config_.prefetch_min_hits && config_.prefetch_percent > 0 &&
        uint64_t{left} * 100 <= uint64_t{e.ttl} * config_.prefetch_percent) {
      e.prefetching = true;
      hit.prefetch = true;
    }
  }
  return true;
}

void Cache::PrefetchDone(std::string_view key) {
  if (const size_t cell = FindCell(key, TagOf(key)); cell != std::string_view::npos) {
    cells_[cell].entry->prefetching = false;
  }
}

void Cache::Clear() {
  cells_.clear();
  used_cells_ = 0;
  cell_bits_ = 0;
  lru_.clear();
  bytes_ = 0;
}

uint64_t Cache::TagOf(std::string_view key) {
  return std::hash<std::string_view>{}(key) | (uint64_t{1} << 63);
}

size_t Cache::Home(uint64_t tag) const {
  // Fibonacci hashing: the top bits of the product depend on every bit of
  // the tag (ShardedCache already used its low bits to pick the shard).
  return static_cast<size_t>((tag * 0x9E3779B97F4A7C15ull) >> (64 - cell_bits_));
}

size_t Cache::FindCell(std::string_view key, uint64_t tag) const {
  if (cells_.empty()) {
    return std::string_view::npos;
  }
  const size_t mask = cells_.size() - 1;
  for (size_t i = Home(tag);; i = (i + 1) & mask) {
    const Cell& c = cells_[i];
    if (c.tag == 0) {
      return std::string_view::npos;
    }
    if (c.tag == tag && c.entry->key == key) {
      return i;
    }
  }
}

void Cache::InsertCell(uint64_t tag, Lru::iterator entry) {
  if (2 * (used_cells_ + 1) > cells_.size()) {
    std::vector<Cell> old = std::move(cells_);
    cell_bits_ = std::max(cell_bits_ + 1, 4);
    cells_.assign(size_t{1} << cell_bits_, Cell{});
    used_cells_ = 0;
    for (const Cell& c : old) {
      if (c.tag != 0) {
        InsertCell(c.tag, c.entry);
      }
    }
  }
  const size_t mask = cells_.size() - 1;
  size_t i = Home(tag);
  while (cells_[i].tag != 0) {
    i = (i + 1) & mask;
  }
  cells_[i] = Cell{tag, entry};
  ++used_cells_;
}

// Backward-shift deletion: later cells of the probe run move into the hole
// unless their home lies cyclically in (hole, j], so lookups never stop
// early.
void Cache::EraseCell(size_t cell) {
  const size_t mask = cells_.size() - 1;
  size_t hole = cell;
  for (size_t j = (cell + 1) & mask; cells_[j].tag != 0; j = (j + 1) & mask) {
    const size_t home = Home(cells_[j].tag);
    const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      cells_[hole] = cells_[j];
      hole = j;
    }
  }
  cells_[hole] = Cell{};
  --used_cells_;
}

void Cache::Erase(Lru::iterator it) {
  bytes_ -= it->Bytes();
  const size_t cell = FindCell(it->key, it->tag);
  VIGIE_CHECK(cell != std::string_view::npos, "cache entry missing from its index");
  EraseCell(cell);
  lru_.erase(it);
}

void Cache::EvictFor(size_t bytes) {
  while (!lru_.empty() && bytes_ + bytes > config_.max_bytes) {
    Erase(std::prev(lru_.end()));
    ++stats_.evictions;
  }
}

CacheStats Cache::stats() const {
  CacheStats s = stats_;
  s.entries = lru_.size();
  s.bytes = bytes_;
  return s;
}

ShardedCache::ShardedCache(CacheConfig config, size_t shards) {
  shards = std::max<size_t>(1, shards);
  config.max_bytes = std::max<size_t>(config.max_bytes / shards, 4096);
  for (size_t i = 0; i < shards; ++i) {
    auto s = std::make_unique<Shard>();
    s->cache = std::make_unique<Cache>(config);
    shards_.push_back(std::move(s));
  }
}

ShardedCache::Shard& ShardedCache::For(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

bool ShardedCache::Insert(const Cacheable& c, CacheTime now) {
  if (c.message.questions.size() != 1) {
    return false;
  }
  const Question& q = c.message.questions[0];
  const std::string key = CacheKey(q.name, q.type, q.klass);
  Shard& s = For(key);
  std::lock_guard lock(s.mu);
  return s.cache->Insert(c, now);
}

std::optional<CacheHit> ShardedCache::Lookup(std::string_view key, CacheTime now,
                                             bool allow_stale) {
  Shard& s = For(key);
  std::lock_guard lock(s.mu);
  return s.cache->Lookup(key, now, allow_stale);
}

bool ShardedCache::Lookup(std::string_view key, CacheTime now, bool allow_stale, CacheHit* out) {
  Shard& s = For(key);
  std::lock_guard lock(s.mu);
  return s.cache->Lookup(key, now, allow_stale, out);
}

void ShardedCache::PrefetchDone(std::string_view key) {
  Shard& s = For(key);
  std::lock_guard lock(s.mu);
  s.cache->PrefetchDone(key);
}

void ShardedCache::Clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    s->cache->Clear();
  }
}

CacheStats ShardedCache::stats() const {
  CacheStats total;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    CacheStats one = s->cache->stats();
    total.hits += one.hits;
    total.stale_hits += one.stale_hits;
    total.misses += one.misses;
    total.inserts += one.inserts;
    total.evictions += one.evictions;
    total.entries += one.entries;
    total.bytes += one.bytes;
  }
  return total;
}

}  // namespace vigie::dns
