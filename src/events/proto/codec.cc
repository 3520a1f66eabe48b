// The proto2 wire codec for Riemann messages: Msg, Event, State, Query and
// Attribute. Decoding is a single forward pass over the bounded WireReader of
// wire.h; no recursion except for skipped unknown groups (bounded by
// DecodeLimits::max_group_depth). Encoding writes fields in field-number
// order with the writers below.
#include "events/proto/codec.h"

#include <cstring>
#include <string>

#include "events/proto/wire.h"

namespace vigie::events {

using internal::kFixed32;
using internal::kFixed64;
using internal::kLengthDelimited;
using internal::kVarint;
using internal::Unzigzag;

namespace {

// The decoder keeps the first error it meets; functions return false then.
class Decoder : private internal::WireReader {
 public:
  using WireReader::TakeError;
  using WireReader::WireReader;

  bool DecodeMsg(const uint8_t* p, const uint8_t* end, Msg& msg);
  bool DecodeEvent(const uint8_t* p, const uint8_t* end, Event& e);

 private:
  bool DecodeAttribute(const uint8_t* p, const uint8_t* end, Attribute& a);
  bool DecodeState(const uint8_t* p, const uint8_t* end, State& s);
  bool DecodeQuery(const uint8_t* p, const uint8_t* end, Query& q);
};

bool Decoder::DecodeAttribute(const uint8_t* p, const uint8_t* end, Attribute& a) {
  bool has_key = false;
  const uint8_t* start = p;
  while (p < end) {
    uint32_t field = 0, wire = 0;
    if (!ReadTag(p, end, field, wire))
      return false;
    if (field == 1 && wire == kLengthDelimited) {
      if (!ReadString(p, end, a.key))
        return false;
      has_key = true;
    } else if (field == 2 && wire == kLengthDelimited) {
      if (!ReadString(p, end, a.value))
        return false;
      a.has_value = true;
    } else if (!Skip(p, end, field, wire, 0)) {
      return false;
    }
  }
  if (!has_key)
    return Fail(Errc::kInvalidArgument, start, "attribute without required key");
  return true;
}

bool Decoder::DecodeEvent(const uint8_t* p, const uint8_t* end, Event& e) {
  while (p < end) {
    uint32_t field = 0, wire = 0;
    if (!ReadTag(p, end, field, wire))
      return false;
    uint64_t v = 0;
    switch (field) {
      case 1:
        if (wire != kVarint)
          break;
        if (!ReadVarint(p, end, v))
          return false;
        e.set_time(static_cast<int64_t>(v));
        continue;
      case 2:
        if (wire != kLengthDelimited)
          break;
        if (!ReadString(p, end, e.mutable_state()))
          return false;
        continue;
      case 3:
        if (wire != kLengthDelimited)
          break;
        if (!ReadString(p, end, e.mutable_service()))
          return false;
        continue;
      case 4:
        if (wire != kLengthDelimited)
          break;
        if (!ReadString(p, end, e.mutable_host()))
          return false;
        continue;
      case 5:
        if (wire != kLengthDelimited)
          break;
        if (!ReadString(p, end, e.mutable_description()))
          return false;
        continue;
      case 7: {
        if (wire != kLengthDelimited)
          break;
        auto& tags = e.mutable_tags();
        if (tags.size() >= limits().max_tags) {
          return Fail(Errc::kLimitExceeded, p,
                      "more than " + std::to_string(limits().max_tags) + " tags");
        }
        tags.emplace_back();
        if (!ReadString(p, end, tags.back()))
          return false;
        continue;
      }
      case 8: {
        if (wire != kFixed32)
          break;
        float f;
        if (!ReadFixed(p, end, f))
          return false;
        e.set_ttl(f);
        continue;
      }
      case 9: {
        if (wire != kLengthDelimited)
          break;
        auto& attrs = e.mutable_attributes();
        if (attrs.size() >= limits().max_attributes) {
          return Fail(Errc::kLimitExceeded, p,
                      "more than " + std::to_string(limits().max_attributes) + " attributes");
        }
        size_t len = 0;
        if (!ReadLength(p, end, len))
          return false;
        attrs.emplace_back();
        if (!DecodeAttribute(p, p + len, attrs.back()))
          return false;
        p += len;
        continue;
      }
      case 10:
        if (wire != kVarint)
          break;
        if (!ReadVarint(p, end, v))
          return false;
        e.set_time_micros(static_cast<int64_t>(v));
        continue;
      case 13:
        if (wire != kVarint)
          break;
        if (!ReadVarint(p, end, v))
          return false;
        e.set_metric_sint64(Unzigzag(v));
        continue;
      case 14: {
        if (wire != kFixed64)
          break;
        double d;
        if (!ReadFixed(p, end, d))
          return false;
        e.set_metric_d(d);
        continue;
      }
      case 15: {
        if (wire != kFixed32)
          break;
        float f;
        if (!ReadFixed(p, end, f))
          return false;
        e.set_metric_f(f);
        continue;
      }
      default:
        break;
    }
    // Unknown field, or a known one with another wire type (libprotobuf
    // treats both as unknown).
    if (!Skip(p, end, field, wire, 0))
      return false;
  }
  return true;
}

bool Decoder::DecodeState(const uint8_t* p, const uint8_t* end, State& s) {
  while (p < end) {
    uint32_t field = 0, wire = 0;
    if (!ReadTag(p, end, field, wire))
      return false;
    uint64_t v = 0;
    if (wire == kVarint && (field == 1 || field == 6)) {
      if (!ReadVarint(p, end, v))
        return false;
      if (field == 1) {
        s.time = static_cast<int64_t>(v);
      } else {
        s.once = v != 0;
      }
    } else if (wire == kLengthDelimited && field >= 2 && field <= 5) {
      std::optional<std::string>* target = field == 2   ? &s.state
                                           : field == 3 ? &s.service
                                           : field == 4 ? &s.host
                                                        : &s.description;
      if (!*target)
        target->emplace();
      if (!ReadString(p, end, **target))
        return false;
    } else if (wire == kLengthDelimited && field == 7) {
      if (s.tags.size() >= limits().max_tags) {
        return Fail(Errc::kLimitExceeded, p, "too many tags");
      }
      s.tags.emplace_back();
      if (!ReadString(p, end, s.tags.back()))
        return false;
    } else if (wire == kFixed32 && field == 8) {
      float f;
      if (!ReadFixed(p, end, f))
        return false;
      s.ttl = f;
    } else if (!Skip(p, end, field, wire, 0)) {
      return false;
    }
  }
  return true;
}

bool Decoder::DecodeQuery(const uint8_t* p, const uint8_t* end, Query& q) {
  while (p < end) {
    uint32_t field = 0, wire = 0;
    if (!ReadTag(p, end, field, wire))
      return false;
    if (field == 1 && wire == kLengthDelimited) {
      if (!q.string)
        q.string.emplace();
      if (!ReadString(p, end, *q.string))
        return false;
    } else if (!Skip(p, end, field, wire, 0)) {
      return false;
    }
  }
  return true;
}

bool Decoder::DecodeMsg(const uint8_t* p, const uint8_t* end, Msg& msg) {
  size_t n_events = 0;
  msg.ok.reset();
  msg.error.reset();
  msg.states.clear();
  msg.query.reset();
  bool ok = true;
  while (p < end && ok) {
    uint32_t field = 0, wire = 0;
    if (!ReadTag(p, end, field, wire)) {
      ok = false;
      break;
    }
    size_t len = 0;
    if (field == 6 && wire == kLengthDelimited) {
      if (n_events + msg.states.size() >= limits().max_events) {
        ok = Fail(Errc::kLimitExceeded, p,
                  "more than " + std::to_string(limits().max_events) + " events");
        break;
      }
      if (!ReadLength(p, end, len)) {
        ok = false;
        break;
      }
      // Reuse a previous decode's Event (and its string buffers) when there
      // is one.
      if (n_events < msg.events.size()) {
        msg.events[n_events].Clear();
      } else {
        msg.events.emplace_back();
      }
      SetPlace("event", n_events);
      ok = DecodeEvent(p, p + len, msg.events[n_events]);
      ClearPlace();
      ++n_events;
      p += len;
    } else if (field == 2 && wire == kVarint) {
      uint64_t v = 0;
      ok = ReadVarint(p, end, v);
      msg.ok = v != 0;
    } else if (field == 3 && wire == kLengthDelimited) {
      if (!msg.error)
        msg.error.emplace();
      ok = ReadString(p, end, *msg.error);
    } else if (field == 4 && wire == kLengthDelimited) {
      if (n_events + msg.states.size() >= limits().max_events) {
        ok = Fail(Errc::kLimitExceeded, p, "too many states");
        break;
      }
      if (!ReadLength(p, end, len)) {
        ok = false;
        break;
      }
      msg.states.emplace_back();
      SetPlace("state", msg.states.size() - 1);
      ok = DecodeState(p, p + len, msg.states.back());
      ClearPlace();
      p += len;
    } else if (field == 5 && wire == kLengthDelimited) {
      if (!ReadLength(p, end, len)) {
        ok = false;
        break;
      }
      // A repeated embedded message merges into the first (proto2 rule).
      if (!msg.query)
        msg.query.emplace();
      ok = DecodeQuery(p, p + len, *msg.query);
      p += len;
    } else {
      ok = Skip(p, end, field, wire, 0);
    }
  }
  msg.events.resize(n_events);
  return ok;
}

// Encoding ------------------------------------------------------------------

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

void PutTag(std::string& out, uint32_t field, uint32_t wire) {
  PutVarint(out, (field << 3) | wire);
}

void PutString(std::string& out, uint32_t field, std::string_view s) {
  PutTag(out, field, kLengthDelimited);
  PutVarint(out, s.size());
  out.append(s);
}

template <class T>
void PutFixed(std::string& out, uint32_t field, T v) {
  PutTag(out, field, sizeof(T) == 4 ? kFixed32 : kFixed64);
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

// Size of a length-delimited field with a one-byte tag (every field here).
size_t DelimitedSize(size_t len) {
  return 1 + VarintSize(len) + len;
}

uint64_t Zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

size_t AttributeSize(const Attribute& a) {
  return DelimitedSize(a.key.size()) + (a.has_value ? DelimitedSize(a.value.size()) : 0);
}

size_t StateSize(const State& s) {
  size_t n = 0;
  if (s.time)
    n += 1 + VarintSize(static_cast<uint64_t>(*s.time));
  if (s.state)
    n += DelimitedSize(s.state->size());
  if (s.service)
    n += DelimitedSize(s.service->size());
  if (s.host)
    n += DelimitedSize(s.host->size());
  if (s.description)
    n += DelimitedSize(s.description->size());
  if (s.once)
    n += 2;
  for (const auto& t : s.tags)
    n += DelimitedSize(t.size());
  if (s.ttl)
    n += 5;
  return n;
}

void EncodeState(const State& s, std::string& out) {
  if (s.time) {
    PutTag(out, 1, kVarint);
    PutVarint(out, static_cast<uint64_t>(*s.time));
  }
  if (s.state)
    PutString(out, 2, *s.state);
  if (s.service)
    PutString(out, 3, *s.service);
  if (s.host)
    PutString(out, 4, *s.host);
  if (s.description)
    PutString(out, 5, *s.description);
  if (s.once) {
    PutTag(out, 6, kVarint);
    PutVarint(out, *s.once ? 1 : 0);
  }
  for (const auto& t : s.tags)
    PutString(out, 7, t);
  if (s.ttl)
    PutFixed(out, 8, *s.ttl);
}

Result<Msg> DecodeBytes(const uint8_t* p, size_t n, const DecodeLimits& limits) {
  Msg msg;
  Decoder d(p, limits);
  if (!d.DecodeMsg(p, p + n, msg)) {
    return d.TakeError();
  }
  return msg;
}

}  // namespace

Result<Msg> DecodeMsg(std::span<const std::byte> bytes, const DecodeLimits& limits) {
  return DecodeBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), limits);
}

Result<Msg> DecodeMsg(std::string_view bytes, const DecodeLimits& limits) {
  return DecodeBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), limits);
}

Result<void> DecodeMsgInto(std::span<const std::byte> bytes, const DecodeLimits& limits, Msg& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  Decoder d(p, limits);
  if (!d.DecodeMsg(p, p + bytes.size(), out)) {
    return d.TakeError();
  }
  return {};
}

Result<Event> DecodeEvent(std::string_view bytes, const DecodeLimits& limits) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  Decoder d(p, limits);
  Event e;
  if (!d.DecodeEvent(p, p + bytes.size(), e)) {
    return d.TakeError();
  }
  return e;
}

Result<Msg> DecodeDatagram(std::span<const std::byte> datagram, const DecodeLimits& limits) {
  if (datagram.size() > kMaxUdpDatagram) {
    return Error(Errc::kLimitExceeded, "udp datagram of " + std::to_string(datagram.size()) +
                                           " bytes (max " + std::to_string(kMaxUdpDatagram) + ")");
  }
  return DecodeMsg(datagram, limits);
}

size_t EventEncodedSize(const Event& e) {
  size_t n = 0;
  if (e.Has(Event::kTime))
    n += 1 + VarintSize(static_cast<uint64_t>(e.time()));
  if (e.Has(Event::kState))
    n += DelimitedSize(e.state().size());
  if (e.Has(Event::kService))
    n += DelimitedSize(e.service().size());
  if (e.Has(Event::kHost))
    n += DelimitedSize(e.host().size());
  if (e.Has(Event::kDescription))
    n += DelimitedSize(e.description().size());
  for (const auto& t : e.tags())
    n += DelimitedSize(t.size());
  if (e.Has(Event::kTtl))
    n += 5;
  for (const auto& a : e.attributes())
    n += DelimitedSize(AttributeSize(a));
  if (e.Has(Event::kTimeMicros))
    n += 1 + VarintSize(static_cast<uint64_t>(e.time_micros()));
  if (e.Has(Event::kMetricSint64))
    n += 1 + VarintSize(Zigzag(e.metric_sint64()));
  if (e.Has(Event::kMetricD))
    n += 9;
  if (e.Has(Event::kMetricF))
    n += 5;
  return n;
}

void EncodeEvent(const Event& e, std::string& out) {
  if (e.Has(Event::kTime)) {
    PutTag(out, 1, kVarint);
    PutVarint(out, static_cast<uint64_t>(e.time()));
  }
  if (e.Has(Event::kState))
    PutString(out, 2, e.state());
  if (e.Has(Event::kService))
    PutString(out, 3, e.service());
  if (e.Has(Event::kHost))
    PutString(out, 4, e.host());
  if (e.Has(Event::kDescription))
    PutString(out, 5, e.description());
  for (const auto& t : e.tags())
    PutString(out, 7, t);
  if (e.Has(Event::kTtl))
    PutFixed(out, 8, e.ttl());
  for (const auto& a : e.attributes()) {
    PutTag(out, 9, kLengthDelimited);
    PutVarint(out, AttributeSize(a));
    PutString(out, 1, a.key);
    if (a.has_value)
      PutString(out, 2, a.value);
  }
  if (e.Has(Event::kTimeMicros)) {
    PutTag(out, 10, kVarint);
    PutVarint(out, static_cast<uint64_t>(e.time_micros()));
  }
  if (e.Has(Event::kMetricSint64)) {
    PutTag(out, 13, kVarint);
    PutVarint(out, Zigzag(e.metric_sint64()));
  }
  if (e.Has(Event::kMetricD))
    PutFixed(out, 14, e.metric_d());
  if (e.Has(Event::kMetricF))
    PutFixed(out, 15, e.metric_f());
}

size_t MsgEncodedSize(const Msg& msg) {
  size_t n = 0;
  if (msg.ok)
    n += 2;
  if (msg.error)
    n += DelimitedSize(msg.error->size());
  for (const auto& s : msg.states)
    n += DelimitedSize(StateSize(s));
  if (msg.query) {
    n += DelimitedSize(msg.query->string ? DelimitedSize(msg.query->string->size()) : 0);
  }
  for (const auto& e : msg.events)
    n += DelimitedSize(EventEncodedSize(e));
  return n;
}

void EncodeMsg(const Msg& msg, std::string& out) {
  out.reserve(out.size() + MsgEncodedSize(msg));
  if (msg.ok) {
    PutTag(out, 2, kVarint);
    PutVarint(out, *msg.ok ? 1 : 0);
  }
  if (msg.error)
    PutString(out, 3, *msg.error);
  for (const auto& s : msg.states) {
    PutTag(out, 4, kLengthDelimited);
    PutVarint(out, StateSize(s));
    EncodeState(s, out);
  }
  if (msg.query) {
    PutTag(out, 5, kLengthDelimited);
    if (msg.query->string) {
      PutVarint(out, DelimitedSize(msg.query->string->size()));
      PutString(out, 1, *msg.query->string);
    } else {
      PutVarint(out, 0);
    }
  }
  for (const auto& e : msg.events) {
    PutTag(out, 6, kLengthDelimited);
    PutVarint(out, EventEncodedSize(e));
    EncodeEvent(e, out);
  }
}

void AppendFrame(const Msg& msg, std::string& out) {
  size_t len = MsgEncodedSize(msg);
  char prefix[4] = {static_cast<char>((len >> 24) & 0xff), static_cast<char>((len >> 16) & 0xff),
                    static_cast<char>((len >> 8) & 0xff), static_cast<char>(len & 0xff)};
  out.append(prefix, 4);
  EncodeMsg(msg, out);
}

Msg OkReply() {
  Msg m;
  m.ok = true;
  return m;
}

Msg ErrorReply(std::string_view error) {
  Msg m;
  m.ok = false;
  m.error = std::string(error);
  return m;
}

}  // namespace vigie::events
