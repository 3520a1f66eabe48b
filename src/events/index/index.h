// EventIndex: Riemann's index (riemann.index) — the latest event per
// (host, service), TTL expiry, query search, and a snapshot format so the
// state survives a restart. Compact by design: host, service and state
// strings are interned, an event is a 56-byte slot plus its rare fields
// (description, tags, attributes) in one packed blob, and expiry uses a
// hashed timing wheel instead of scanning everything (see docs/events.md).
//
// Time is unix microseconds passed in by the caller (`now_micros`); nothing
// here reads a clock.
//
// Thread rules: not thread-safe. One owner thread mutates and searches; the
// server shards by key or serialises access.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "events/proto/event.h"
#include "events/query/query.h"

namespace vigie::events {

struct IndexOptions {
  // TTL of events that carry none (riemann.index/default-ttl).
  double default_ttl_seconds = 60;
  // Bound on distinct keys; inserting a new key beyond it fails.
  size_t max_events = 10'000'000;
  // Bound on the bytes the stored events are charged (EventIndex::bytes()).
  // Past it, the events due to expire soonest are evicted to make room;
  // an event charged more than the whole budget is refused.
  size_t max_bytes = size_t{1} << 30;
  // Expired events keep only host and service (Riemann's default); true
  // keeps every field, as Riemann's `:keep-keys :all`.
  bool expired_keep_all_fields = false;
};

// A key: nullopt is nil (an event without host / service).
struct IndexKey {
  std::optional<std::string_view> host;
  std::optional<std::string_view> service;
};

class EventIndex {
 public:
  explicit EventIndex(IndexOptions options = {});
  ~EventIndex();
  EventIndex(const EventIndex&) = delete;
  EventIndex& operator=(const EventIndex&) = delete;

  // riemann.index/insert: stores `e` as the latest event of its (host,
  // service), replacing the previous one. An event with state "expired"
  // deletes the key instead. An event without time gets `now_micros`.
  // Errc::kLimitExceeded when a new key would exceed max_events.
  [[nodiscard]] Result<void> Upsert(const Event& e, int64_t now_micros);

  // Removes the key; true when something was removed.
  bool Delete(const IndexKey& key);

  // The stored event of a key.
  std::optional<Event> Lookup(const IndexKey& key) const;

  // riemann reaper: removes every event with now - time > ttl (strictly;
  // ttl defaults to default_ttl_seconds) and returns, for each, the event
  // Riemann emits: host and service kept (or all fields, see IndexOptions),
  // state "expired", time = now. Events whose ttl is NaN or infinite never
  // expire. Cost is proportional to the events due, not to the index size.
  std::vector<Event> Expire(int64_t now_micros);

  // Calls `fn` for every stored event matching `q` (a direct lookup when
  // q.ExactHostService() is set, else a scan). Order is unspecified.
  // Expired-but-not-yet-reaped events are included, as in Riemann.
  void Search(const EventQuery& q, const std::function<void(const Event&)>& fn) const;
  // The same, collected; at most `limit` events.
  std::vector<Event> Search(const EventQuery& q, size_t limit = SIZE_MAX) const;
  // As Search, until `fn` returns false: the scan stops there. Returns
  // false when it was stopped.
  bool SearchWhile(const EventQuery& q, const std::function<bool(const Event&)>& fn) const;

  size_t size() const;
  void Clear();
  // Approximate heap bytes held (slots, tables, interned strings, blobs).
  size_t MemoryUsage() const;
  // Bytes charged to the stored events against max_bytes: per event its
  // slot and share of the key table, its extras blob with the allocator's
  // overhead, plus the interned strings. Kept as events come and go, O(1).
  // 0 for an empty index.
  size_t bytes() const;
  // Events evicted to keep bytes() within max_bytes, since construction.
  uint64_t evictions() const;
  // A new budget (a reload); it applies from the next Upsert.
  void set_max_bytes(size_t max_bytes);

  // Snapshot: "VIGIEIX1" then Riemann TCP frames (4-byte big-endian length +
  // Msg) of up to 1000 events each, then a final frame holding Msg{ok:true}
  // that marks the snapshot complete. `write` receives the bytes in chunks;
  // its error stops the save.
  [[nodiscard]] Result<void> SaveSnapshot(
      const std::function<Result<void>(std::string_view chunk)>& write) const;
  // Loads a snapshot (merging into what is stored) and returns the number
  // of events read. A truncated or corrupt snapshot fails with the offset;
  // events read before the failure stay loaded.
  [[nodiscard]] Result<size_t> LoadSnapshot(std::string_view bytes, int64_t now_micros);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigie::events
