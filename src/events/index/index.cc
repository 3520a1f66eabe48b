// EventIndex internals: a dense slot array (its strings interned in the
// StringPool of string_pool.h) with an open-addressing key table (4 bytes
// per bucket, backward-shift deletion), a hashed timing wheel threaded
// through the slots, and the snapshot codec.
#include "events/index/index.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/check.h"
#include "events/index/string_pool.h"
#include "events/proto/codec.h"

namespace vigie::events {

using index_internal::kNone;
using index_internal::Mix;
using index_internal::StringPool;

namespace {

constexpr std::string_view kSnapshotMagic = "VIGIEIX1";
constexpr size_t kSnapshotBatch = 1000;

// Protobuf bytes of an event's rare fields (5 description, 7 tags,
// 9 attributes), the same encoding as on the wire.
void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutField(std::string& out, char tag, std::string_view s) {
  out.push_back(tag);
  PutVarint(out, s.size());
  out.append(s);
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void EncodeExtras(const Event& e, std::string& out) {
  out.clear();
  if (e.Has(Event::kDescription))
    PutField(out, 0x2a, e.description());
  for (const std::string& t : e.tags())
    PutField(out, 0x3a, t);
  for (const Attribute& a : e.attributes()) {
    size_t len = 1 + VarintSize(a.key.size()) + a.key.size() +
                 (a.has_value ? 1 + VarintSize(a.value.size()) + a.value.size() : 0);
    out.push_back(0x4a);
    PutVarint(out, len);
    PutField(out, 0x0a, a.key);
    if (a.has_value)
      PutField(out, 0x12, a.value);
  }
}

// Walks self-written extras: calls fn(tag, bytes) per field.
template <class Fn>
void ForEachExtra(std::string_view blob, Fn&& fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  const auto* end = p + blob.size();
  while (p < end) {
    uint8_t tag = *p++;
    uint64_t len = 0;
    for (int shift = 0; p < end; shift += 7) {
      uint8_t b = *p++;
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80)
        break;
    }
    std::string_view bytes(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    p += len;
    if (!fn(tag, bytes))
      return;
  }
}

// An attribute's key and value (value absent -> has_value false).
void SplitAttribute(std::string_view bytes, std::string_view& key, std::string_view& value,
                    bool& has_value) {
  has_value = false;
  ForEachExtra(bytes, [&](uint8_t tag, std::string_view b) {
    if (tag == 0x0a)
      key = b;
    if (tag == 0x12) {
      value = b;
      has_value = true;
    }
    return true;
  });
}

}  // namespace

struct EventIndex::Impl {
  enum Flags : uint8_t {
    kHasTtl = 1,
    kMetricInt = 2,
    kMetricDouble = 4,
  };

  // One stored event: 56 bytes plus its extras blob.
  struct Slot {
    int64_t time = 0;  // unix micros
    union {
      int64_t i;
      double d;
    } metric{0};
    std::unique_ptr<char[]> extra;  // uint32 length, then protobuf bytes
    uint32_t host = 0, service = 0, state = 0;
    float ttl = 0;
    uint32_t prev = kNone, next = kNone;  // timing-wheel list
    uint16_t bucket = kNoBucket;
    uint8_t flags = 0;

    std::string_view Extra() const {
      if (!extra)
        return {};
      uint32_t len;
      std::memcpy(&len, extra.get(), 4);
      return {extra.get() + 4, len};
    }
  };
  static_assert(sizeof(Slot) <= 56, "keep slots compact");

  static constexpr uint16_t kNoBucket = 0xffff;
  static constexpr size_t kWheelBuckets = 4096;       // power of two
  static constexpr int64_t kGranularity = 1'000'000;  // 1 s
  static constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();

  explicit Impl(IndexOptions o) : options(o) { ClearAll(); }

  IndexOptions options;
  StringPool pool;
  std::vector<Slot> slots;
  std::vector<uint32_t> table;  // 0 = empty, else slot index + 1
  std::vector<uint32_t> wheel;  // bucket heads (slot index or kNone)
  int64_t cursor = kUnset;      // last wheel bucket (absolute) processed
  size_t blob_bytes = 0;        // extras blobs, their length prefixes included
  size_t blob_count = 0;
  uint64_t evictions = 0;
  std::string scratch;

  // The byte budget (IndexOptions::max_bytes) charges each event its slot
  // and two key-table buckets (the table is at most half full), each blob
  // its bytes plus glibc malloc's usual 16 bytes of overhead, and the
  // interned strings (StringPool::bytes). Vector slack is not charged: it
  // does not shrink when events leave, and charging it would make the
  // budget jump by half the index when a vector doubles.
  static constexpr size_t kSlotCharge = sizeof(Slot) + 2 * sizeof(uint32_t);
  static constexpr size_t kBlobOverhead = 16;

  size_t Bytes() const {
    return slots.size() * kSlotCharge + blob_bytes + blob_count * kBlobOverhead + pool.bytes();
  }

  // What `e` would be charged stored alone, its extras encoded in `extras`:
  // an upper bound (its strings may already be interned).
  static size_t Charge(const Event& e, std::string_view extras) {
    size_t n = kSlotCharge + (extras.empty() ? 0 : extras.size() + 4 + kBlobOverhead);
    for (Event::Field f : {Event::kHost, Event::kService, Event::kState}) {
      if (e.Has(f)) {
        n += StringPool::Charge(f == Event::kHost      ? e.host().size()
                                : f == Event::kService ? e.service().size()
                                                       : e.state().size());
      }
    }
    return n;
  }

  void ClearAll() {
    std::vector<Slot>().swap(slots);
    pool.Reset();
    table = std::vector<uint32_t>(16, 0);
    wheel.assign(kWheelBuckets, kNone);
    cursor = kUnset;
    blob_bytes = 0;
    blob_count = 0;
  }

  static uint64_t KeyHash(uint32_t host, uint32_t service) {
    return Mix((static_cast<uint64_t>(host) << 32) | service);
  }

  // Table position holding `slot_index`'s key, or of an empty bucket.
  size_t Probe(uint32_t host, uint32_t service) const {
    size_t mask = table.size() - 1;
    for (size_t i = KeyHash(host, service) & mask;; i = (i + 1) & mask) {
      uint32_t v = table[i];
      if (v == 0)
        return i;
      const Slot& s = slots[v - 1];
      if (s.host == host && s.service == service)
        return i;
    }
  }

  void GrowTable() {
    std::vector<uint32_t> old = std::move(table);
    table.assign(old.size() * 2, 0);
    size_t mask = table.size() - 1;
    for (uint32_t v : old) {
      if (v == 0)
        continue;
      const Slot& s = slots[v - 1];
      size_t i = KeyHash(s.host, s.service) & mask;
      while (table[i] != 0)
        i = (i + 1) & mask;
      table[i] = v;
    }
  }

  void EraseTableAt(size_t i) {
    size_t mask = table.size() - 1;
    table[i] = 0;
    for (size_t j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
      const Slot& s = slots[table[j] - 1];
      size_t home = KeyHash(s.host, s.service) & mask;
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        table[i] = table[j];
        table[j] = 0;
        i = j;
      }
    }
  }

  // Looks a key up without interning: kNone when absent.
  uint32_t FindSlot(const IndexKey& key) const {
    uint32_t host = 0, service = 0;
    if (key.host) {
      host = pool.Find(*key.host);
      if (host == kNone)
        return kNone;
    }
    if (key.service) {
      service = pool.Find(*key.service);
      if (service == kNone)
        return kNone;
    }
    uint32_t v = table[Probe(host, service)];
    return v == 0 ? kNone : v - 1;
  }

  // Wheel ---------------------------------------------------------------

  double TtlSeconds(const Slot& s) const {
    return (s.flags & kHasTtl) != 0 ? static_cast<double>(s.ttl) : options.default_ttl_seconds;
  }

  bool IsExpired(const Slot& s, int64_t now) const {
    // riemann.index: (< ttl (- now time)), in seconds.
    double age = static_cast<double>(now - s.time) / 1e6;
    return TtlSeconds(s) < age;
  }

  void WheelLink(uint32_t idx, int64_t now) {
    Slot& s = slots[idx];
    double ttl = TtlSeconds(s);
    if (std::isnan(ttl) || ttl == HUGE_VAL) {
      s.bucket = kNoBucket;  // never expires
      s.prev = s.next = kNone;
      return;
    }
    if (cursor == kUnset)
      cursor = FloorDiv(now, kGranularity);
    double deadline = static_cast<double>(s.time) + ttl * 1e6;
    int64_t b = deadline >= 9e18 ? cursor + static_cast<int64_t>(kWheelBuckets) - 1
                : deadline <= -9e18
                    ? cursor
                    : FloorDiv(static_cast<int64_t>(std::ceil(deadline)), kGranularity);
    if (b < cursor)
      b = cursor;
    auto wb = static_cast<uint16_t>(static_cast<uint64_t>(b) & (kWheelBuckets - 1));
    s.bucket = wb;
    s.prev = kNone;
    s.next = wheel[wb];
    if (s.next != kNone)
      slots[s.next].prev = idx;
    wheel[wb] = idx;
  }

  void WheelUnlink(uint32_t idx) {
    Slot& s = slots[idx];
    if (s.bucket == kNoBucket)
      return;
    if (s.prev != kNone) {
      slots[s.prev].next = s.next;
    } else {
      wheel[s.bucket] = s.next;
    }
    if (s.next != kNone)
      slots[s.next].prev = s.prev;
    s.prev = s.next = kNone;
    s.bucket = kNoBucket;
  }

  static int64_t FloorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
  }

  // Slots ---------------------------------------------------------------

  void SetBlob(Slot& s, const std::string& bytes) {
    if (s.Extra() == bytes)
      return;  // the usual case: unchanged attributes
    if (s.extra) {
      blob_bytes -= s.Extra().size() + 4;
      --blob_count;
    }
    s.extra.reset();
    if (bytes.empty())
      return;
    s.extra = std::make_unique<char[]>(bytes.size() + 4);
    auto len = static_cast<uint32_t>(bytes.size());
    std::memcpy(s.extra.get(), &len, 4);
    std::memcpy(s.extra.get() + 4, bytes.data(), bytes.size());
    blob_bytes += bytes.size() + 4;
    ++blob_count;
  }

  // Fills `s` from `e`, its extras already encoded in `scratch`.
  void Fill(Slot& s, const Event& e, int64_t now) {
    auto t = e.GetTimeMicros();
    s.time = t ? *t : now;
    uint32_t state = e.Has(Event::kState) ? pool.Acquire(e.state()) : 0;
    pool.Release(s.state);
    s.state = state;
    s.flags = 0;
    if (e.Has(Event::kTtl)) {
      s.flags |= kHasTtl;
      s.ttl = e.ttl();
    } else {
      s.ttl = 0;
    }
    s.metric.i = 0;
    if (auto m = e.GetMetric()) {
      if (m->is_integer) {
        s.flags |= kMetricInt;
        s.metric.i = m->i;
      } else {
        s.flags |= kMetricDouble;
        s.metric.d = m->d;
      }
    }
    SetBlob(s, scratch);
  }

  // Removes slot idx (swap with the last slot).
  void RemoveSlot(uint32_t idx) {
    Slot& s = slots[idx];
    WheelUnlink(idx);
    EraseTableAt(Probe(s.host, s.service));
    pool.Release(s.host);
    pool.Release(s.service);
    pool.Release(s.state);
    if (s.extra) {
      blob_bytes -= s.Extra().size() + 4;
      --blob_count;
    }
    auto last = static_cast<uint32_t>(slots.size() - 1);
    if (idx != last) {
      Slot& moved = slots[last];
      // Re-point the table entry and wheel links of the moved slot.
      table[Probe(moved.host, moved.service)] = idx + 1;
      if (moved.bucket != kNoBucket) {
        if (moved.prev != kNone) {
          slots[moved.prev].next = idx;
        } else {
          wheel[moved.bucket] = idx;
        }
        if (moved.next != kNone)
          slots[moved.next].prev = idx;
      }
      slots[idx] = std::move(moved);
    }
    slots.pop_back();
  }

  // The slot the reaper would remove first, other than `keep`: the head
  // of the first non-empty wheel bucket from the cursor, so by deadline to
  // the second (a TTL beyond the wheel's turn of 4,096 s counts modulo the
  // turn); then, when every other event never expires, any of them.
  // kNone when `keep` is the only event.
  uint32_t SoonestDue(uint32_t keep) const {
    if (cursor != kUnset) {
      for (size_t k = 0; k < kWheelBuckets; ++k) {
        auto b = static_cast<size_t>(static_cast<uint64_t>(cursor + static_cast<int64_t>(k)) &
                                     (kWheelBuckets - 1));
        for (uint32_t i = wheel[b]; i != kNone; i = slots[i].next) {
          if (i != keep)
            return i;
        }
      }
    }
    if (slots.size() < 2)
      return kNone;
    return keep == 0 ? 1 : 0;
  }

  // Evicts the events due soonest until the index is within its byte
  // budget; `keep` (the event just written) stays.
  void EvictToBudget(uint32_t keep) {
    while (Bytes() > options.max_bytes) {
      uint32_t victim = SoonestDue(keep);
      if (victim == kNone)
        return;
      // RemoveSlot moves the last slot into the victim's place.
      auto last = static_cast<uint32_t>(slots.size() - 1);
      RemoveSlot(victim);
      if (keep == last)
        keep = victim;
      ++evictions;
    }
  }

  Event Materialize(const Slot& s) const {
    Event e;
    if (s.extra) {
      auto r = DecodeEvent(s.Extra());
      VIGIE_CHECK(static_cast<bool>(r), "index extras blob does not decode");
      e = std::move(*r);
    }
    if (s.host != 0)
      e.set_host(pool.Get(s.host));
    if (s.service != 0)
      e.set_service(pool.Get(s.service));
    if (s.state != 0)
      e.set_state(pool.Get(s.state));
    e.SetTimeMicros(s.time);
    if ((s.flags & kHasTtl) != 0)
      e.set_ttl(s.ttl);
    if ((s.flags & kMetricInt) != 0)
      e.SetMetric(Metric::Int(s.metric.i));
    if ((s.flags & kMetricDouble) != 0)
      e.SetMetric(Metric::Double(s.metric.d));
    return e;
  }
};

namespace {

// The query evaluator's view of a slot: no materialisation.
class SlotFieldSource final : public FieldSource {
 public:
  SlotFieldSource(const EventIndex::Impl& impl, const EventIndex::Impl::Slot& s)
      : impl_(impl), s_(s) {}

  QueryValue Get(FieldId id, std::string_view attribute) const override {
    using Impl = EventIndex::Impl;
    auto str = [&](uint32_t sid) {
      return sid == 0 ? QueryValue::Nil() : QueryValue::String(impl_.pool.Get(sid));
    };
    switch (id) {
      case FieldId::kHost:
        return str(s_.host);
      case FieldId::kService:
        return str(s_.service);
      case FieldId::kState:
        return str(s_.state);
      case FieldId::kMetric:
        if ((s_.flags & Impl::kMetricInt) != 0)
          return QueryValue::Int(s_.metric.i);
        if ((s_.flags & Impl::kMetricDouble) != 0)
          return QueryValue::Double(s_.metric.d);
        return QueryValue::Nil();
      case FieldId::kTime:
        return TimeValue(s_.time);
      case FieldId::kTtl:
        return (s_.flags & Impl::kHasTtl) != 0 ? QueryValue::Double(s_.ttl) : QueryValue::Nil();
      case FieldId::kDescription: {
        QueryValue v;
        ForEachExtra(s_.Extra(), [&](uint8_t tag, std::string_view b) {
          if (tag == 0x2a)
            v = QueryValue::String(b);
          return tag != 0x2a;
        });
        return v;
      }
      case FieldId::kTags: {
        QueryValue v;
        ForEachExtra(s_.Extra(), [&](uint8_t tag, std::string_view) {
          if (tag == 0x3a)
            v = QueryValue::Tags();
          return tag != 0x3a;
        });
        return v;
      }
      case FieldId::kAttribute: {
        QueryValue v;
        ForEachExtra(s_.Extra(), [&](uint8_t tag, std::string_view b) {
          if (tag != 0x4a)
            return true;
          std::string_view key, value;
          bool has_value;
          SplitAttribute(b, key, value, has_value);
          if (key != attribute)
            return true;
          v = QueryValue::String(has_value ? value : std::string_view());
          return false;
        });
        return v;
      }
    }
    return QueryValue::Nil();
  }

  bool HasTag(std::string_view tag) const override {
    bool found = false;
    ForEachExtra(s_.Extra(), [&](uint8_t t, std::string_view b) {
      if (t == 0x3a && b == tag)
        found = true;
      return !found;
    });
    return found;
  }

 private:
  const EventIndex::Impl& impl_;
  const EventIndex::Impl::Slot& s_;
};

}  // namespace

EventIndex::EventIndex(IndexOptions options) : impl_(std::make_unique<Impl>(options)) {}
EventIndex::~EventIndex() = default;

Result<void> EventIndex::Upsert(const Event& e, int64_t now_micros) {
  Impl& m = *impl_;
  IndexKey key;
  if (e.Has(Event::kHost))
    key.host = e.host();
  if (e.Has(Event::kService))
    key.service = e.service();
  if (e.Has(Event::kState) && e.state() == "expired") {
    Delete(key);
    return {};
  }
  EncodeExtras(e, m.scratch);
  if (size_t charge = Impl::Charge(e, m.scratch); charge > m.options.max_bytes) {
    return Error(Errc::kLimitExceeded, "event of " + std::to_string(charge) +
                                           " bytes exceeds the index budget of " +
                                           std::to_string(m.options.max_bytes) + " bytes");
  }
  uint32_t idx = m.FindSlot(key);
  if (idx == kNone) {
    if (m.slots.size() >= m.options.max_events) {
      return Error(Errc::kLimitExceeded,
                   "event index is full (" + std::to_string(m.options.max_events) + " events)");
    }
    if ((m.slots.size() + 1) * 2 > m.table.size())
      m.GrowTable();
    idx = static_cast<uint32_t>(m.slots.size());
    Impl::Slot& s = m.slots.emplace_back();
    s.host = key.host ? m.pool.Acquire(*key.host) : 0;
    s.service = key.service ? m.pool.Acquire(*key.service) : 0;
    m.table[m.Probe(s.host, s.service)] = idx + 1;
  } else {
    m.WheelUnlink(idx);
  }
  m.Fill(m.slots[idx], e, now_micros);
  m.WheelLink(idx, now_micros);
  if (m.Bytes() > m.options.max_bytes)
    m.EvictToBudget(idx);
  return {};
}

bool EventIndex::Delete(const IndexKey& key) {
  uint32_t idx = impl_->FindSlot(key);
  if (idx == kNone)
    return false;
  impl_->RemoveSlot(idx);
  return true;
}

std::optional<Event> EventIndex::Lookup(const IndexKey& key) const {
  uint32_t idx = impl_->FindSlot(key);
  if (idx == kNone)
    return std::nullopt;
  return impl_->Materialize(impl_->slots[idx]);
}

std::vector<Event> EventIndex::Expire(int64_t now_micros) {
  Impl& m = *impl_;
  std::vector<Event> out;
  if (m.cursor == Impl::kUnset)
    return out;
  int64_t to = std::max(Impl::FloorDiv(now_micros, Impl::kGranularity), m.cursor);
  int64_t from = m.cursor;
  if (to - from >= static_cast<int64_t>(Impl::kWheelBuckets)) {
    from = to - static_cast<int64_t>(Impl::kWheelBuckets) + 1;  // one full turn covers all
  }
  for (int64_t b = from; b <= to; ++b) {
    auto wb = static_cast<size_t>(static_cast<uint64_t>(b) & (Impl::kWheelBuckets - 1));
    uint32_t idx = m.wheel[wb];
    while (idx != kNone) {
      Impl::Slot& s = m.slots[idx];
      uint32_t next = s.next;
      if (m.IsExpired(s, now_micros)) {
        Event e;
        if (m.options.expired_keep_all_fields) {
          e = m.Materialize(s);
        } else {
          if (s.host != 0)
            e.set_host(m.pool.Get(s.host));
          if (s.service != 0)
            e.set_service(m.pool.Get(s.service));
        }
        e.set_state("expired");
        e.SetTimeMicros(now_micros);
        out.push_back(std::move(e));
        // Removing idx moves the last slot into idx; if that was `next`,
        // follow it to its new place.
        auto last = static_cast<uint32_t>(m.slots.size() - 1);
        m.RemoveSlot(idx);
        if (next == last)
          next = idx;
      }
      idx = next;
    }
  }
  m.cursor = to;
  return out;
}

void EventIndex::Search(const EventQuery& q, const std::function<void(const Event&)>& fn) const {
  SearchWhile(q, [&fn](const Event& e) {
    fn(e);
    return true;
  });
}

bool EventIndex::SearchWhile(const EventQuery& q,
                             const std::function<bool(const Event&)>& fn) const {
  const Impl& m = *impl_;
  if (auto key = q.ExactHostService()) {
    IndexKey k;
    if (key->host)
      k.host = *key->host;
    if (key->service)
      k.service = *key->service;
    uint32_t idx = m.FindSlot(k);
    return idx == kNone || fn(m.Materialize(m.slots[idx]));
  }
  bool all = q.IsTrue();
  for (const Impl::Slot& s : m.slots) {
    if ((all || q.Matches(SlotFieldSource(m, s))) && !fn(m.Materialize(s)))
      return false;
  }
  return true;
}

std::vector<Event> EventIndex::Search(const EventQuery& q, size_t limit) const {
  std::vector<Event> out;
  if (limit == 0)
    return out;
  SearchWhile(q, [&](const Event& e) {
    out.push_back(e);
    return out.size() < limit;
  });
  return out;
}

size_t EventIndex::bytes() const {
  return impl_->Bytes();
}

uint64_t EventIndex::evictions() const {
  return impl_->evictions;
}

void EventIndex::set_max_bytes(size_t max_bytes) {
  impl_->options.max_bytes = max_bytes;
}

size_t EventIndex::size() const {
  return impl_->slots.size();
}

void EventIndex::Clear() {
  impl_->ClearAll();
}

size_t EventIndex::MemoryUsage() const {
  const Impl& m = *impl_;
  // 16 bytes of allocator overhead per blob is typical for glibc malloc.
  size_t blobs = m.blob_bytes + m.blob_count * Impl::kBlobOverhead;
  return m.slots.capacity() * sizeof(Impl::Slot) + m.table.capacity() * sizeof(uint32_t) +
         m.wheel.capacity() * sizeof(uint32_t) + m.pool.MemoryUsage() + blobs;
}

Result<void> EventIndex::SaveSnapshot(
    const std::function<Result<void>(std::string_view chunk)>& write) const {
  const Impl& m = *impl_;
  std::string buf(kSnapshotMagic);
  Msg msg;
  for (size_t i = 0; i < m.slots.size(); i += kSnapshotBatch) {
    msg.events.clear();
    for (size_t j = i; j < std::min(m.slots.size(), i + kSnapshotBatch); ++j) {
      msg.events.push_back(m.Materialize(m.slots[j]));
    }
    AppendFrame(msg, buf);
    VIGIE_TRY(write(buf));
    buf.clear();
  }
  AppendFrame(OkReply(), buf);
  return write(buf);
}

Result<size_t> EventIndex::LoadSnapshot(std::string_view bytes, int64_t now_micros) {
  if (!bytes.starts_with(kSnapshotMagic)) {
    return Error(Errc::kInvalidArgument, "snapshot: bad magic (expected VIGIEIX1)");
  }
  size_t pos = kSnapshotMagic.size();
  size_t loaded = 0;
  Msg msg;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4)
      break;
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + pos);
    size_t len = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
    if (bytes.size() - pos - 4 < len)
      break;
    std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(bytes.data() + pos + 4),
                                     len);
    auto r = DecodeMsgInto(frame, DecodeLimits{}, msg);
    if (!r) {
      return std::move(r).error().WithContext("snapshot frame at offset " + std::to_string(pos));
    }
    pos += 4 + len;
    if (msg.ok == true && msg.events.empty()) {
      if (pos != bytes.size()) {
        return Error(Errc::kInvalidArgument,
                     "snapshot: trailing bytes at offset " + std::to_string(pos));
      }
      return loaded;
    }
    for (const Event& e : msg.events) {
      VIGIE_TRY(Upsert(e, now_micros));
      ++loaded;
    }
  }
  return Error(Errc::kInvalidArgument,
               "snapshot: truncated at offset " + std::to_string(pos) + " (no end marker)");
}

}  // namespace vigie::events
