// PROXY protocol v1/v2 codec.
#include "lb/proxy_protocol/proxy_header.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <arpa/inet.h>

namespace vigie::lb::proxy_protocol {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::size_t kUnixAddrLen = 108;

Error Invalid(std::size_t offset, std::string_view what) {
  return Error(Errc::kInvalidArgument,
               "PROXY header offset " + std::to_string(offset) + ": " + std::string(what));
}

void PutU16(std::vector<std::uint8_t>& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

std::uint16_t GetU16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Decimal 0..65535 without leading zeros (spec §2.1).
bool ParsePort(std::string_view s, std::uint16_t& port) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0'))
    return false;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 65535)
    return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

bool ParseAddr(std::string_view s, bool v6, std::array<std::uint8_t, 16>& out) {
  if (s.size() > 45)
    return false;
  char buf[64];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  out.fill(0);
  // glibc's inet_pton(AF_INET) refuses leading zeros, as the spec asks.
  return inet_pton(v6 ? AF_INET6 : AF_INET, buf, out.data()) == 1;
}

std::string FormatAddr(const std::array<std::uint8_t, 16>& a, bool v6) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf);
  return buf;
}

Result<DecodeResult> DecodeV1(std::span<const std::uint8_t> data) {
  std::size_t n = std::min(data.size(), kV1MaxLength);
  std::string_view text(reinterpret_cast<const char*>(data.data()), n);
  std::size_t lf = text.find('\n');
  if (lf == std::string_view::npos) {
    if (data.size() >= kV1MaxLength)
      return Invalid(kV1MaxLength, "v1 line longer than 107 bytes");
    // Refuse early what cannot be a valid line: a CR not followed by LF.
    std::size_t cr = text.find('\r');
    if (cr != std::string_view::npos && cr + 1 < text.size())
      return Invalid(cr, "CR without LF");
    return DecodeResult{};
  }
  if (lf == 0 || text[lf - 1] != '\r')
    return Invalid(lf, "v1 line must end with CRLF");
  std::string_view line = text.substr(kV1Prefix.size(), lf - 1 - kV1Prefix.size());
  DecodeResult r;
  r.complete = true;
  r.consumed = lf + 1;
  r.header.version = 1;
  if (line.starts_with("UNKNOWN") && (line.size() == 7 || line[7] == ' ')) {
    // The receiver must ignore whatever follows UNKNOWN.
    r.header.family = Family::kUnspec;
    return r;
  }
  std::string_view fields[5];
  std::size_t count = 0;
  std::size_t offset = kV1Prefix.size();
  while (true) {
    std::size_t sp = line.find(' ');
    if (count == 5)
      return Invalid(offset, "too many fields in v1 line");
    fields[count++] = line.substr(0, sp);
    if (sp == std::string_view::npos)
      break;
    line.remove_prefix(sp + 1);
    offset += sp + 1;
  }
  if (count != 5)
    return Invalid(offset, "v1 line needs protocol, 2 addresses and 2 ports");
  bool v6;
  if (fields[0] == "TCP4") {
    v6 = false;
    r.header.family = Family::kInet;
  } else if (fields[0] == "TCP6") {
    v6 = true;
    r.header.family = Family::kInet6;
  } else {
    return Invalid(kV1Prefix.size(), "unknown v1 protocol (TCP4, TCP6 or UNKNOWN)");
  }
  if (!ParseAddr(fields[1], v6, r.header.src_addr))
    return Invalid(11, "bad v1 source address");
  if (!ParseAddr(fields[2], v6, r.header.dst_addr))
    return Invalid(11, "bad v1 destination address");
  if (!ParsePort(fields[3], r.header.src_port))
    return Invalid(11, "bad v1 source port");
  if (!ParsePort(fields[4], r.header.dst_port))
    return Invalid(11, "bad v1 destination port");
  return r;
}

Result<void> DecodeTlvs(std::span<const std::uint8_t> data, std::size_t base, const Limits& limits,
                        std::vector<Tlv>& out) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 3)
      return Invalid(base + pos, "truncated TLV header");
    if (out.size() >= limits.max_tlvs) {
      return Error(Errc::kLimitExceeded, "PROXY header offset " + std::to_string(base + pos) +
                                             ": more than " + std::to_string(limits.max_tlvs) +
                                             " TLVs");
    }
    std::uint16_t len = GetU16(&data[pos + 1]);
    if (data.size() - pos - 3 < len)
      return Invalid(base + pos, "TLV value runs past the header");
    Tlv t;
    t.type = data[pos];
    t.value.assign(data.begin() + static_cast<std::ptrdiff_t>(pos + 3),
                   data.begin() + static_cast<std::ptrdiff_t>(pos + 3 + len));
    out.push_back(std::move(t));
    pos += 3 + len;
  }
  return {};
}

Result<DecodeResult> DecodeV2(std::span<const std::uint8_t> data, const Limits& limits) {
  if (data.size() < kV2FixedLength)
    return DecodeResult{};
  std::uint8_t ver_cmd = data[12];
  if ((ver_cmd >> 4) != 2)
    return Invalid(12, "v2 version nibble must be 2");
  if ((ver_cmd & 0x0F) > 1)
    return Invalid(12, "v2 command must be LOCAL (0) or PROXY (1)");
  std::uint8_t fam = data[13];
  if ((fam >> 4) > 3)
    return Invalid(13, "v2 address family must be 0..3");
  if ((fam & 0x0F) > 2)
    return Invalid(13, "v2 transport must be 0..2");
  std::size_t total = kV2FixedLength + GetU16(&data[14]);
  if (total > limits.max_v2_length) {
    return Error(Errc::kLimitExceeded, "PROXY header offset 14: v2 length " +
                                           std::to_string(total) + " exceeds the limit of " +
                                           std::to_string(limits.max_v2_length));
  }
  if (data.size() < total)
    return DecodeResult{};
  DecodeResult r;
  r.complete = true;
  r.consumed = total;
  Header& h = r.header;
  h.version = 2;
  h.command = static_cast<Command>(ver_cmd & 0x0F);
  h.family = static_cast<Family>(fam >> 4);
  h.transport = static_cast<Transport>(fam & 0x0F);
  std::span<const std::uint8_t> body = data.subspan(kV2FixedLength, total - kV2FixedLength);
  std::size_t addr_len = 0;
  switch (h.family) {
    case Family::kInet:
      addr_len = 12;
      break;
    case Family::kInet6:
      addr_len = 36;
      break;
    case Family::kUnix:
      addr_len = 2 * kUnixAddrLen;
      break;
    case Family::kUnspec:
      addr_len = 0;
      break;
  }
  if (body.size() < addr_len)
    return Invalid(14, "v2 length too short for the address family");
  const std::uint8_t* a = body.data();
  if (h.family == Family::kInet) {
    std::copy(a, a + 4, h.src_addr.begin());
    std::copy(a + 4, a + 8, h.dst_addr.begin());
    h.src_port = GetU16(a + 8);
    h.dst_port = GetU16(a + 10);
  } else if (h.family == Family::kInet6) {
    std::copy(a, a + 16, h.src_addr.begin());
    std::copy(a + 16, a + 32, h.dst_addr.begin());
    h.src_port = GetU16(a + 32);
    h.dst_port = GetU16(a + 34);
  } else if (h.family == Family::kUnix) {
    auto path = [](const std::uint8_t* p) {
      const std::uint8_t* end = std::find(p, p + kUnixAddrLen, 0);
      return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(end - p));
    };
    h.unix_src = path(a);
    h.unix_dst = path(a + kUnixAddrLen);
  }
  VIGIE_TRY(DecodeTlvs(body.subspan(addr_len), kV2FixedLength + addr_len, limits, h.tlvs));
  // Verify a CRC32C TLV over the header with the checksum zeroed.
  std::size_t pos = kV2FixedLength + addr_len;
  for (const Tlv& t : h.tlvs) {
    if (t.type == kTlvCrc32c) {
      if (t.value.size() != 4)
        return Invalid(pos, "CRC32C TLV must hold 4 bytes");
      std::vector<std::uint8_t> copy(data.begin(),
                                     data.begin() + static_cast<std::ptrdiff_t>(total));
      std::fill(copy.begin() + static_cast<std::ptrdiff_t>(pos + 3),
                copy.begin() + static_cast<std::ptrdiff_t>(pos + 7), 0);
      std::uint32_t want = (std::uint32_t{t.value[0]} << 24) | (std::uint32_t{t.value[1]} << 16) |
                           (std::uint32_t{t.value[2]} << 8) | t.value[3];
      if (Crc32c(copy) != want)
        return Invalid(pos, "CRC32C mismatch");
    }
    pos += 3 + t.value.size();
  }
  return r;
}

}  // namespace

std::uint32_t Crc32c(std::span<const std::uint8_t> data, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0x82F63B78U & (0U - (crc & 1U)));
  }
  return ~crc;
}

void AppendV1(const Header& h, std::string& out) {
  bool v4 = h.family == Family::kInet;
  bool v6 = h.family == Family::kInet6;
  if (h.command == Command::kLocal || (!v4 && !v6)) {
    out += "PROXY UNKNOWN\r\n";
    return;
  }
  out += v4 ? "PROXY TCP4 " : "PROXY TCP6 ";
  out += FormatAddr(h.src_addr, v6);
  out += ' ';
  out += FormatAddr(h.dst_addr, v6);
  out += ' ';
  out += std::to_string(h.src_port);
  out += ' ';
  out += std::to_string(h.dst_port);
  out += "\r\n";
}

Result<void> AppendV2(const Header& h, std::vector<std::uint8_t>& out,
                      const EncodeOptions& options) {
  std::size_t start = out.size();
  out.insert(out.end(), kV2Signature.begin(), kV2Signature.end());
  out.push_back(static_cast<std::uint8_t>(0x20 | static_cast<std::uint8_t>(h.command)));
  Family fam = h.family;
  out.push_back(static_cast<std::uint8_t>((static_cast<std::uint8_t>(fam) << 4) |
                                          static_cast<std::uint8_t>(h.transport)));
  out.push_back(0);
  out.push_back(0);
  auto put16 = [&](std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  };
  if (fam == Family::kInet) {
    out.insert(out.end(), h.src_addr.begin(), h.src_addr.begin() + 4);
    out.insert(out.end(), h.dst_addr.begin(), h.dst_addr.begin() + 4);
    put16(h.src_port);
    put16(h.dst_port);
  } else if (fam == Family::kInet6) {
    out.insert(out.end(), h.src_addr.begin(), h.src_addr.end());
    out.insert(out.end(), h.dst_addr.begin(), h.dst_addr.end());
    put16(h.src_port);
    put16(h.dst_port);
  } else if (fam == Family::kUnix) {
    for (const std::string* p : {&h.unix_src, &h.unix_dst}) {
      if (p->size() > kUnixAddrLen) {
        out.resize(start);
        return Error(Errc::kInvalidArgument, "unix path longer than 108 bytes");
      }
      out.insert(out.end(), p->begin(), p->end());
      out.insert(out.end(), kUnixAddrLen - p->size(), 0);
    }
  }
  for (const Tlv& t : h.tlvs) {
    if (t.value.size() > 0xFFFF) {
      out.resize(start);
      return Error(Errc::kLimitExceeded, "TLV value longer than 65535 bytes");
    }
    out.push_back(t.type);
    put16(static_cast<std::uint16_t>(t.value.size()));
    out.insert(out.end(), t.value.begin(), t.value.end());
  }
  std::size_t crc_at = 0;
  if (options.add_crc32c) {
    crc_at = out.size() + 3;
    out.insert(out.end(), {kTlvCrc32c, 0, 4, 0, 0, 0, 0});
  }
  std::size_t len = out.size() - start - kV2FixedLength;
  if (len > 0xFFFF) {
    out.resize(start);
    return Error(Errc::kLimitExceeded, "v2 header longer than 65535 bytes");
  }
  PutU16(out, start + 14, static_cast<std::uint16_t>(len));
  if (options.add_crc32c) {
    std::uint32_t crc = Crc32c(std::span<const std::uint8_t>(out).subspan(start));
    out[crc_at] = static_cast<std::uint8_t>(crc >> 24);
    out[crc_at + 1] = static_cast<std::uint8_t>(crc >> 16);
    out[crc_at + 2] = static_cast<std::uint8_t>(crc >> 8);
    out[crc_at + 3] = static_cast<std::uint8_t>(crc);
  }
  return {};
}

Result<DecodeResult> Decode(std::span<const std::uint8_t> data, const Limits& limits) {
  // Which signature can this be? Compare what we have so far.
  std::size_t n1 = std::min(data.size(), kV1Prefix.size());
  bool maybe_v1 = std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n1),
                             reinterpret_cast<const std::uint8_t*>(kV1Prefix.data()));
  std::size_t n2 = std::min(data.size(), kV2Signature.size());
  bool maybe_v2 = std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n2),
                             kV2Signature.begin());
  if (!maybe_v1 && !maybe_v2)
    return Invalid(0, "not a PROXY protocol header");
  if (maybe_v1 && data.size() < kV1Prefix.size())
    return DecodeResult{};
  if (maybe_v1)
    return DecodeV1(data);
  return DecodeV2(data, limits);
}

Result<DecodeResult> Decoder::Feed(std::span<const std::uint8_t> chunk) {
  if (done_)
    return Error(Errc::kInvalidArgument, "PROXY header already decoded");
  std::size_t before = buffer_.size();
  // Never buffer more than the largest header we accept.
  std::size_t cap = std::max(limits_.max_v2_length, kV1MaxLength);
  std::size_t take = std::min(chunk.size(), cap - before);
  buffer_.insert(buffer_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
  VIGIE_ASSIGN_OR_RETURN(DecodeResult r, Decode(buffer_, limits_));
  if (!r.complete) {
    if (buffer_.size() >= cap) {
      return Error(Errc::kLimitExceeded,
                   "PROXY header larger than " + std::to_string(cap) + " bytes");
    }
    return r;
  }
  done_ = true;
  r.consumed -= before;
  buffer_.clear();
  return r;
}

}  // namespace vigie::lb::proxy_protocol
