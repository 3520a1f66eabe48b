// The bounded message decoder and typed RDATA helpers.
#include "core/dns/message.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"

namespace vigie::dns {
namespace {

const uint8_t* Bytes(std::span<const std::byte> s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t Get32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

void Put16(std::vector<std::byte>& out, uint16_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v & 0xFF));
}
void Put32(std::vector<std::byte>& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xFFFF));
}
void PutName(std::vector<std::byte>& out, const Name& n) {
  auto w = n.wire();
  const auto* b = reinterpret_cast<const std::byte*>(w.data());
  out.insert(out.end(), b, b + w.size());
}

const char* SectionName(int section) {
  static const char* const kNames[] = {"question", "answer", "authority", "additional"};
  return kNames[section];
}

Error At(Errc code, size_t offset, int section, std::string_view what) {
  return Error(code, std::string(SectionName(section)) + " section, offset " +
                         std::to_string(offset) + ": " + std::string(what));
}

// RDATA layouts of the types whose RDATA holds domain names: RFC 1035's
// (compressible, RFC 3597 §4) and those RFC 3597 §4 asks receivers to
// decompress too (RP, AFSDB, RT, PX, SRV, NAPTR).
enum class Field : uint8_t { kName, kFixed2, kFixed4, kFixed6, kFixed20, kString };

std::span<const Field> RdataLayout(uint16_t type) {
  static constexpr Field kOneName[] = {Field::kName};
  static constexpr Field kTwoNames[] = {Field::kName, Field::kName};
  static constexpr Field kSoa[] = {Field::kName, Field::kName, Field::kFixed20};
  static constexpr Field kPrefName[] = {Field::kFixed2, Field::kName};
  static constexpr Field kPx[] = {Field::kFixed2, Field::kName, Field::kName};
  static constexpr Field kSrv[] = {Field::kFixed6, Field::kName};
  static constexpr Field kNaptr[] = {Field::kFixed4, Field::kString, Field::kString, Field::kString,
                                     Field::kName};
  switch (type) {
    case rr_type::kNs:
    case 3:  // MD
    case 4:  // MF
    case rr_type::kCname:
    case 7:  // MB
    case 8:  // MG
    case 9:  // MR
    case rr_type::kPtr:
      return kOneName;
    case rr_type::kSoa:
      return kSoa;
    case 14:  // MINFO
    case 17:  // RP
      return kTwoNames;
    case rr_type::kMx:
    case 18:  // AFSDB
    case 21:  // RT
      return kPrefName;
    case 26:  // PX
      return kPx;
    case rr_type::kSrv:
      return kSrv;
    case 35:  // NAPTR
      return kNaptr;
    default:
      return {};
  }
}

size_t FixedSize(Field f) {
  switch (f) {
    case Field::kFixed2:
      return 2;
    case Field::kFixed4:
      return 4;
    case Field::kFixed6:
      return 6;
    case Field::kFixed20:
      return 20;
    case Field::kName:
    case Field::kString:
      break;
  }
  return 0;
}

// Walks RDATA at [start, end) of `msg` by `layout`. Names are read with
// `limits` (pointers relative to msg); `on_name(offset_in_rdata_out, name)`
// and `on_octets(from, to)` receive the pieces in order. Errors kBadRdata.
template <class OnName, class OnOctets>
Result<void> WalkRdata(std::span<const std::byte> msg, size_t start, size_t end,
                       std::span<const Field> layout, const Limits& limits, OnName on_name,
                       OnOctets on_octets) {
  size_t pos = start;
  for (Field f : layout) {
    if (f == Field::kName) {
      if (pos >= end) {
        return Error(Errc::kBadRdata,
                     "offset " + std::to_string(pos) + ": RDATA ends before a name");
      }
      Name n;
      // Bound the read to the RDATA so a name cannot spill into the next record.
      auto next = ReadName(msg.first(end), pos, limits, &n);
      if (!next) {
        return Error(Errc::kBadRdata, "RDATA name: " + next.error().ToString());
      }
      on_name(n);
      pos = *next;
      continue;
    }
    if (pos >= end) {
      return Error(Errc::kBadRdata,
                   "offset " + std::to_string(pos) + ": RDATA too short for its type");
    }
    size_t n = f == Field::kString ? 1 + std::to_integer<size_t>(msg[pos]) : FixedSize(f);
    if (end - pos < n) {
      return Error(Errc::kBadRdata,
                   "offset " + std::to_string(pos) + ": RDATA too short for its type");
    }
    on_octets(pos, pos + n);
    pos += n;
  }
  if (pos != end) {
    return Error(Errc::kBadRdata,
                 "offset " + std::to_string(pos) + ": octets after the RDATA fields");
  }
  return {};
}

// Copies RDATA with the names inside it expanded.
Result<std::vector<std::byte>> ExpandRdata(std::span<const std::byte> msg, size_t start, size_t len,
                                           uint16_t type, const Limits& limits, int section) {
  std::vector<std::byte> out;
  out.reserve(len + 16);
  auto r = WalkRdata(
      msg, start, start + len, RdataLayout(type), limits, [&](const Name& n) { PutName(out, n); },
      [&](size_t from, size_t to) {
        out.insert(out.end(), msg.begin() + static_cast<std::ptrdiff_t>(from),
                   msg.begin() + static_cast<std::ptrdiff_t>(to));
      });
  if (!r) {
    return At(Errc::kBadRdata, start, section, r.error().context());
  }
  return out;
}

Result<void> DecodeOptions(const uint8_t* p, size_t len, size_t base, const Limits& limits,
                           Edns* edns) {
  size_t pos = 0;
  while (pos < len) {
    if (edns->options.size() >= limits.max_edns_options) {
      return At(Errc::kBadEdns, base + pos, 3, "more EDNS options than the limit");
    }
    if (len - pos < 4) {
      return At(Errc::kBadEdns, base + pos, 3, "EDNS option header cut short");
    }
    uint16_t code = Get16(p + pos);
    uint16_t olen = Get16(p + pos + 2);
    pos += 4;
    if (len - pos < olen) {
      return At(Errc::kBadEdns, base + pos, 3, "EDNS option longer than the OPT RDATA");
    }
    EdnsOption opt;
    opt.code = code;
    const auto* b = reinterpret_cast<const std::byte*>(p + pos);
    opt.data.assign(b, b + olen);
    edns->options.push_back(std::move(opt));
    pos += olen;
  }
  return {};
}

}  // namespace

Result<Header> DecodeHeader(std::span<const std::byte> wire) {
  if (wire.size() < kHeaderSize) {
    return Error(Errc::kTruncated, "header: " + std::to_string(wire.size()) + " of 12 octets");
  }
  const uint8_t* p = Bytes(wire);
  Header h;
  h.id = Get16(p);
  h.qr = (p[2] & 0x80) != 0;
  h.opcode = static_cast<uint8_t>((p[2] >> 3) & 0x0F);
  h.aa = (p[2] & 0x04) != 0;
  h.tc = (p[2] & 0x02) != 0;
  h.rd = (p[2] & 0x01) != 0;
  h.ra = (p[3] & 0x80) != 0;
  h.z = (p[3] & 0x40) != 0;
  h.ad = (p[3] & 0x20) != 0;
  h.cd = (p[3] & 0x10) != 0;
  h.rcode = p[3] & 0x0F;
  h.qdcount = Get16(p + 4);
  h.ancount = Get16(p + 6);
  h.nscount = Get16(p + 8);
  h.arcount = Get16(p + 10);
  return h;
}

void EncodeHeader(const Header& h, std::span<std::byte, kHeaderSize> out) {
  auto b = [](unsigned v) { return static_cast<std::byte>(v & 0xFF); };
  out[0] = b(h.id >> 8);
  out[1] = b(h.id);
  out[2] = b((h.qr ? 0x80u : 0u) | ((h.opcode & 0x0Fu) << 3) | (h.aa ? 0x04u : 0u) |
             (h.tc ? 0x02u : 0u) | (h.rd ? 0x01u : 0u));
  out[3] = b((h.ra ? 0x80u : 0u) | (h.z ? 0x40u : 0u) | (h.ad ? 0x20u : 0u) | (h.cd ? 0x10u : 0u) |
             (h.rcode & 0x0Fu));
  out[4] = b(h.qdcount >> 8);
  out[5] = b(h.qdcount);
  out[6] = b(h.ancount >> 8);
  out[7] = b(h.ancount);
  out[8] = b(h.nscount >> 8);
  out[9] = b(h.nscount);
  out[10] = b(h.arcount >> 8);
  out[11] = b(h.arcount);
}

std::optional<ExtendedError> Edns::FindExtendedError() const {
  for (const auto& o : options) {
    if (o.code == edns_option::kExtendedError && o.data.size() >= 2) {
      ExtendedError e;
      e.info_code = static_cast<uint16_t>((std::to_integer<unsigned>(o.data[0]) << 8) |
                                          std::to_integer<unsigned>(o.data[1]));
      e.extra_text.assign(reinterpret_cast<const char*>(o.data.data()) + 2, o.data.size() - 2);
      // RFC 8914 §2: the text is not NUL-terminated, but tolerate one.
      while (!e.extra_text.empty() && e.extra_text.back() == '\0') {
        e.extra_text.pop_back();
      }
      return e;
    }
  }
  return std::nullopt;
}

void Edns::AddExtendedError(const ExtendedError& e) {
  EdnsOption o;
  o.code = edns_option::kExtendedError;
  Put16(o.data, e.info_code);
  const auto* b = reinterpret_cast<const std::byte*>(e.extra_text.data());
  o.data.insert(o.data.end(), b, b + e.extra_text.size());
  options.push_back(std::move(o));
}

uint16_t Message::FullRcode() const {
  uint16_t code = header.rcode & 0x0F;
  if (edns) {
    code = static_cast<uint16_t>(code | (edns->extended_rcode << 4));
  }
  return code;
}

void Message::SetFullRcode(uint16_t code) {
  header.rcode = static_cast<uint8_t>(code & 0x0F);
  if (edns) {
    edns->extended_rcode = static_cast<uint8_t>(code >> 4);
  } else {
    VIGIE_CHECK(code <= 0x0F, "extended rcode without EDNS");
  }
}

std::vector<ResourceRecord>& Message::SectionRecords(Section s) {
  switch (s) {
    case Section::kAnswer:
      return answers;
    case Section::kAuthority:
      return authorities;
    case Section::kAdditional:
      break;
  }
  return additionals;
}

const std::vector<ResourceRecord>& Message::SectionRecords(Section s) const {
  return const_cast<Message*>(this)->SectionRecords(s);
}

Result<Message> DecodeMessage(std::span<const std::byte> wire, const Limits& limits) {
  if (wire.size() > limits.max_message_size) {
    return Error(Errc::kMessageTooLarge, std::to_string(wire.size()) + " octets, limit " +
                                             std::to_string(limits.max_message_size));
  }
  VIGIE_ASSIGN_OR_RETURN(Header h, DecodeHeader(wire));
  const uint8_t* p = Bytes(wire);
  const size_t size = wire.size();
  const uint16_t counts[4] = {h.qdcount, h.ancount, h.nscount, h.arcount};
  for (int s = 0; s < 4; ++s) {
    if (counts[s] > limits.max_records_per_section) {
      return At(Errc::kTooManyRecords, 4 + 2 * static_cast<size_t>(s), s,
                "count " + std::to_string(counts[s]) + " over the limit " +
                    std::to_string(limits.max_records_per_section));
    }
  }
  // Each question takes at least 5 octets and each record 11: refuse counts
  // the message cannot hold before reserving anything.
  size_t min_size = kHeaderSize + 5u * h.qdcount + 11u * (h.ancount + h.nscount + h.arcount);
  if (min_size > size) {
    return Error(Errc::kTruncated, "section counts need at least " + std::to_string(min_size) +
                                       " octets, message has " + std::to_string(size));
  }

  Message m;
  m.header = h;
  size_t pos = kHeaderSize;
  m.questions.reserve(h.qdcount);
  for (uint16_t i = 0; i < h.qdcount; ++i) {
    Question q;
    VIGIE_ASSIGN_OR_RETURN(pos, ReadName(wire, pos, limits, &q.name));
    if (size - pos < 4) {
      return At(Errc::kTruncated, pos, 0, "question type/class cut short");
    }
    q.type = Get16(p + pos);
    q.klass = Get16(p + pos + 2);
    pos += 4;
    m.questions.push_back(std::move(q));
  }
  for (int s = 1; s < 4; ++s) {
    auto& records = m.SectionRecords(static_cast<Section>(s - 1));
    records.reserve(counts[s]);
    for (uint16_t i = 0; i < counts[s]; ++i) {
      const size_t rr_start = pos;
      ResourceRecord rr;
      VIGIE_ASSIGN_OR_RETURN(pos, ReadName(wire, pos, limits, &rr.name));
      if (size - pos < 10) {
        return At(Errc::kTruncated, pos, s, "record fixed fields cut short");
      }
      rr.type = Get16(p + pos);
      rr.klass = Get16(p + pos + 2);
      rr.ttl = Get32(p + pos + 4);
      const uint16_t rdlength = Get16(p + pos + 8);
      pos += 10;
      if (size - pos < rdlength) {
        return At(Errc::kTruncated, pos, s,
                  "RDLENGTH " + std::to_string(rdlength) + " runs past the end of the message");
      }
      if (rr.type == rr_type::kOpt) {
        if (s != 3) {
          return At(Errc::kBadEdns, rr_start, s, "OPT record outside the additional section");
        }
        if (m.edns) {
          return At(Errc::kBadEdns, rr_start, s, "more than one OPT record");
        }
        if (!rr.name.IsRoot()) {
          return At(Errc::kBadEdns, rr_start, s, "OPT owner is not the root");
        }
        Edns e;
        e.udp_size = rr.klass;
        e.extended_rcode = static_cast<uint8_t>(rr.ttl >> 24);
        e.version = static_cast<uint8_t>((rr.ttl >> 16) & 0xFF);
        e.dnssec_ok = (rr.ttl & 0x8000) != 0;
        e.flags = static_cast<uint16_t>(rr.ttl & 0x7FFF);
        VIGIE_TRY(DecodeOptions(p + pos, rdlength, pos, limits, &e));
        m.edns = std::move(e);
        pos += rdlength;
        continue;
      }
      if ((rr.type == rr_type::kA && rdlength != 4) ||
          (rr.type == rr_type::kAaaa && rdlength != 16)) {
        return At(Errc::kBadRdata, pos, s,
                  "address RDATA of " + std::to_string(rdlength) + " octets");
      }
      if (RdataHasNames(rr.type)) {
        VIGIE_ASSIGN_OR_RETURN(rr.rdata, ExpandRdata(wire, pos, rdlength, rr.type, limits, s));
      } else {
        rr.rdata.assign(wire.begin() + static_cast<std::ptrdiff_t>(pos),
                        wire.begin() + static_cast<std::ptrdiff_t>(pos + rdlength));
      }
      pos += rdlength;
      records.push_back(std::move(rr));
    }
  }
  if (pos != size) {
    return Error(Errc::kTrailingData, "offset " + std::to_string(pos) + ": " +
                                          std::to_string(size - pos) +
                                          " octets after the last record");
  }
  return m;
}

Result<Message> DecodeQuery(std::span<const std::byte> wire, const Limits& limits) {
  VIGIE_ASSIGN_OR_RETURN(Header h, DecodeHeader(wire));
  if (h.qr) {
    return Error(Errc::kNotAQuery, "header: QR bit set");
  }
  if (h.qdcount != 1) {
    return Error(Errc::kNotAQuery,
                 "header: " + std::to_string(h.qdcount) + " questions, a query has exactly 1");
  }
  return DecodeMessage(wire, limits);
}

bool HasCompressibleRdata(uint16_t type) {
  return type == rr_type::kNs || type == rr_type::kCname || type == rr_type::kPtr ||
         type == rr_type::kMx || type == rr_type::kSoa || (type >= 3 && type <= 9) || type == 14;
}

bool RdataHasNames(uint16_t type) {
  return !RdataLayout(type).empty();
}

Result<std::vector<RdataNameRef>> RdataNames(const ResourceRecord& rr) {
  std::vector<RdataNameRef> names;
  std::span<const std::byte> data(rr.rdata);
  Limits no_pointers;
  no_pointers.max_pointer_hops = 0;
  size_t out_pos = 0;
  VIGIE_TRY(WalkRdata(
      data, 0, data.size(), RdataLayout(rr.type), no_pointers,
      [&](const Name& n) {
        names.push_back({out_pos, n});
        out_pos += n.wire_size();
      },
      [&](size_t from, size_t to) { out_pos += to - from; }));
  return names;
}

Result<Name> RdataName(const ResourceRecord& rr) {
  if (rr.type != rr_type::kNs && rr.type != rr_type::kCname && rr.type != rr_type::kPtr) {
    return Error(Errc::kBadRdata, "type " + std::to_string(rr.type) + " has no single name RDATA");
  }
  VIGIE_ASSIGN_OR_RETURN(auto names, RdataNames(rr));
  return std::move(names[0].name);
}

Result<Soa> ParseSoa(const ResourceRecord& rr) {
  if (rr.type != rr_type::kSoa) {
    return Error(Errc::kBadRdata, "not a SOA record");
  }
  VIGIE_ASSIGN_OR_RETURN(auto names, RdataNames(rr));
  Soa soa;
  soa.mname = std::move(names[0].name);
  soa.rname = std::move(names[1].name);
  const auto* p = reinterpret_cast<const uint8_t*>(rr.rdata.data()) + rr.rdata.size() - 20;
  soa.serial = Get32(p);
  soa.refresh = Get32(p + 4);
  soa.retry = Get32(p + 8);
  soa.expire = Get32(p + 12);
  soa.minimum = Get32(p + 16);
  return soa;
}

Result<Mx> ParseMx(const ResourceRecord& rr) {
  if (rr.type != rr_type::kMx) {
    return Error(Errc::kBadRdata, "not an MX record");
  }
  VIGIE_ASSIGN_OR_RETURN(auto names, RdataNames(rr));
  Mx mx;
  mx.preference = Get16(reinterpret_cast<const uint8_t*>(rr.rdata.data()));
  mx.exchange = std::move(names[0].name);
  return mx;
}

ResourceRecord MakeA(const Name& owner, uint32_t ttl, std::array<uint8_t, 4> address) {
  ResourceRecord rr{owner, rr_type::kA, rr_class::kIn, ttl, {}};
  for (uint8_t b : address) {
    rr.rdata.push_back(static_cast<std::byte>(b));
  }
  return rr;
}

ResourceRecord MakeAaaa(const Name& owner, uint32_t ttl, std::array<uint8_t, 16> address) {
  ResourceRecord rr{owner, rr_type::kAaaa, rr_class::kIn, ttl, {}};
  for (uint8_t b : address) {
    rr.rdata.push_back(static_cast<std::byte>(b));
  }
  return rr;
}

ResourceRecord MakeCname(const Name& owner, uint32_t ttl, const Name& target) {
  ResourceRecord rr{owner, rr_type::kCname, rr_class::kIn, ttl, {}};
  PutName(rr.rdata, target);
  return rr;
}

ResourceRecord MakeSoa(const Name& owner, uint32_t ttl, const Soa& soa) {
  ResourceRecord rr{owner, rr_type::kSoa, rr_class::kIn, ttl, {}};
  PutName(rr.rdata, soa.mname);
  PutName(rr.rdata, soa.rname);
  Put32(rr.rdata, soa.serial);
  Put32(rr.rdata, soa.refresh);
  Put32(rr.rdata, soa.retry);
  Put32(rr.rdata, soa.expire);
  Put32(rr.rdata, soa.minimum);
  return rr;
}

}  // namespace vigie::dns
