// A / AAAA queries and a bounded response decoder.
#include "egress/proxy/dns_stub.h"

#include <algorithm>
#include <array>

namespace vigie::egress::proxy {
namespace {

Error Bad(std::string what) {
  return Error(Errc::kInvalidArgument, "DNS response: " + what);
}

// Skips a (possibly compressed) name at `pos`; returns the offset after it.
Result<size_t> SkipName(std::span<const uint8_t> m, size_t pos) {
  size_t labels = 0;
  while (true) {
    if (pos >= m.size())
      return Bad("name runs past the end");
    uint8_t len = m[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= m.size())
        return Bad("truncated pointer");
      size_t target = (static_cast<size_t>(len & 0x3f) << 8) | m[pos + 1];
      if (target >= pos)
        return Bad("forward compression pointer");
      return pos + 2;  // the name ends here for the reader; the target is not needed
    }
    if ((len & 0xc0) != 0)
      return Bad("unknown label type");
    if (len == 0)
      return pos + 1;
    if (++labels > 127)
      return Bad("too many labels");
    pos += 1 + len;
  }
}

uint16_t U16(std::span<const uint8_t> m, size_t pos) {
  return static_cast<uint16_t>((m[pos] << 8) | m[pos + 1]);
}

}  // namespace

Result<std::string> BuildDnsQuery(std::string_view name, uint16_t type, uint16_t id) {
  if (!name.empty() && name.back() == '.')
    name.remove_suffix(1);
  if (name.empty() || name.size() > 253)
    return Error(Errc::kInvalidArgument, "bad name for a DNS query");
  std::string q;
  q += static_cast<char>(id >> 8);
  q += static_cast<char>(id & 0xff);
  q += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, QDCOUNT 1
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63)
      return Error(Errc::kInvalidArgument, "bad label in a DNS query");
    q += static_cast<char>(label.size());
    q += label;
    name.remove_prefix(dot == std::string_view::npos ? name.size() : dot + 1);
  }
  q += '\0';
  q += static_cast<char>(type >> 8);
  q += static_cast<char>(type & 0xff);
  q += std::string("\x00\x01", 2);  // class IN
  return q;
}

Result<DnsAnswer> ParseDnsResponse(std::span<const uint8_t> m) {
  if (m.size() < 12)
    return Bad("shorter than a header");
  if (m.size() > kMaxDnsMessage)
    return Bad("too large");
  DnsAnswer out;
  out.id = U16(m, 0);
  uint16_t flags = U16(m, 2);
  if ((flags & 0x8000) == 0)
    return Bad("not a response");
  out.truncated = (flags & 0x0200) != 0;
  out.rcode = flags & 0x000f;
  uint16_t qdcount = U16(m, 4);
  uint16_t ancount = U16(m, 6);
  if (qdcount > 1)
    return Bad("more than one question");
  size_t pos = 12;
  for (uint16_t i = 0; i < qdcount; ++i) {
    VIGIE_ASSIGN_OR_RETURN(pos, SkipName(m, pos));
    pos += 4;
    if (pos > m.size())
      return Bad("truncated question");
  }
  for (uint16_t i = 0; i < ancount && i < kMaxDnsAnswers; ++i) {
    VIGIE_ASSIGN_OR_RETURN(pos, SkipName(m, pos));
    if (pos + 10 > m.size())
      return Bad("truncated record");
    uint16_t type = U16(m, pos);
    uint16_t klass = U16(m, pos + 2);
    uint32_t ttl = (static_cast<uint32_t>(U16(m, pos + 4)) << 16) | U16(m, pos + 6);
    uint16_t rdlength = U16(m, pos + 8);
    pos += 10;
    bool address_record = klass == 1 && ((type == kDnsTypeA && rdlength == 4) ||
                                         (type == kDnsTypeAaaa && rdlength == 16));
    if (address_record && pos + rdlength <= m.size())
      out.min_ttl = out.addresses.empty() ? ttl : std::min(out.min_ttl, ttl);
    if (pos + rdlength > m.size())
      return Bad("record data runs past the end");
    if (klass == 1 && type == kDnsTypeA && rdlength == 4) {
      out.addresses.push_back(IpAddress::V4({m[pos], m[pos + 1], m[pos + 2], m[pos + 3]}));
    } else if (klass == 1 && type == kDnsTypeAaaa && rdlength == 16) {
      std::array<uint8_t, 16> b;
      std::copy(m.begin() + static_cast<std::ptrdiff_t>(pos),
                m.begin() + static_cast<std::ptrdiff_t>(pos + 16), b.begin());
      out.addresses.push_back(IpAddress::V6(b).Unmapped());
    }
    pos += rdlength;
  }
  return out;
}

}  // namespace vigie::egress::proxy
