// IP address, CIDR and address parsing.
#include "core/ip.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <arpa/inet.h>

#include "core/check.h"

namespace vigie {
namespace {

std::string Quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

bool IsValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok || ++label > 63) {
      return false;
    }
  }
  return true;
}

}  // namespace

IpAddress IpAddress::V4(std::array<uint8_t, 4> bytes) {
  IpAddress ip;
  std::copy(bytes.begin(), bytes.end(), ip.bytes_.begin());
  return ip;
}

IpAddress IpAddress::V6(std::array<uint8_t, 16> bytes) {
  IpAddress ip;
  ip.bytes_ = bytes;
  ip.family_ = Family::kV6;
  return ip;
}

namespace {

// inet_pton of `text` into `out` (16 bytes). inet_pton needs a NUL-terminated
// string; the longest valid text is 45 bytes ("ffff:...:255.255.255.255"). An
// embedded NUL would end the text early, so it is refused.
bool TextToBytes(std::string_view text, int family, uint8_t* out) {
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) {
    return false;
  }
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(family, buf, out) == 1;
}

}  // namespace

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  bool v6 = text.find(':') != std::string_view::npos;
  IpAddress ip;
  if (!TextToBytes(text, v6 ? AF_INET6 : AF_INET, ip.bytes_.data())) {
    return Error(Errc::kInvalidArgument, "not an IP address: " + Quote(text));
  }
  ip.family_ = v6 ? Family::kV6 : Family::kV4;
  return ip;
}

Result<IpAddress> IpAddress::ParseV4(std::string_view text) {
  IpAddress ip;
  if (!TextToBytes(text, AF_INET, ip.bytes_.data())) {
    return Error(Errc::kInvalidArgument, "not an IPv4 address: " + Quote(text));
  }
  return ip;
}

Result<IpAddress> IpAddress::ParseV6(std::string_view text) {
  IpAddress ip;
  if (!TextToBytes(text, AF_INET6, ip.bytes_.data())) {
    return Error(Errc::kInvalidArgument, "not an IPv6 address: " + Quote(text));
  }
  ip.family_ = Family::kV6;
  return ip;
}

bool IpAddress::IsLoopback() const {
  IpAddress u = Unmapped();
  if (u.is_v4()) {
    return u.bytes_[0] == 127;
  }
  static constexpr std::array<uint8_t, 16> kLoop = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return u.bytes_ == kLoop;
}

bool IpAddress::IsUnspecified() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + static_cast<long>(size()),
                     [](uint8_t b) { return b == 0; });
}

bool IpAddress::IsV4Mapped() const {
  if (!is_v6()) {
    return false;
  }
  for (int i = 0; i < 10; ++i) {
    if (bytes_[i] != 0) {
      return false;
    }
  }
  return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

IpAddress IpAddress::Unmapped() const {
  if (!IsV4Mapped()) {
    return *this;
  }
  return V4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const char* text = inet_ntop(is_v6() ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof(buf));
  VIGIE_CHECK(text != nullptr, "inet_ntop failed on a valid address");
  return buf;
}

Cidr::Cidr(IpAddress base, int prefix_len) : prefix_len_(prefix_len) {
  VIGIE_CHECK(prefix_len >= 0 && prefix_len <= base.bit_width(), "prefix length out of range");
  std::array<uint8_t, 16> bytes = base.bytes();
  for (int bit = prefix_len; bit < base.bit_width(); ++bit) {
    auto i = static_cast<std::size_t>(bit / 8);
    bytes[i] = static_cast<uint8_t>(bytes[i] & ~(0x80u >> (bit % 8)));
  }
  base_ =
      base.is_v6() ? IpAddress::V6(bytes) : IpAddress::V4({bytes[0], bytes[1], bytes[2], bytes[3]});
}

namespace {

// "addr" or "addr/N": the address and the prefix length, not yet checked for
// host bits.
Result<std::pair<IpAddress, int>> ParseCidrParts(std::string_view text) {
  std::size_t slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  auto ip = IpAddress::Parse(addr_text);
  if (!ip) {
    return Error(Errc::kInvalidArgument, "not a CIDR: " + Quote(text));
  }
  int max_len = ip->bit_width();
  int len = max_len;
  if (slash != std::string_view::npos) {
    std::string_view len_text = text.substr(slash + 1);
    if (len_text.empty() || len_text.size() > 3 ||
        !std::all_of(len_text.begin(), len_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return Error(Errc::kInvalidArgument, "bad prefix length in " + Quote(text));
    }
    len = std::stoi(std::string(len_text));
    if (len > max_len) {
      return Error(Errc::kInvalidArgument, "prefix length " + std::string(len_text) +
                                               " is longer than " + std::to_string(max_len) +
                                               " in " + Quote(text));
    }
  }
  return std::pair(*ip, len);
}

}  // namespace

Result<Cidr> Cidr::Parse(std::string_view text) {
  VIGIE_ASSIGN_OR_RETURN(auto parts, ParseCidrParts(text));
  const auto& [ip, len] = parts;
  // Host bits below the prefix must be zero.
  const auto& b = ip.bytes();
  for (int bit = len; bit < ip.bit_width(); ++bit) {
    if ((b[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1) {
      return Error(Errc::kInvalidArgument,
                   "host bits set in " + Quote(text) + " (did you mean a /" +
                       std::to_string(ip.bit_width()) + " or the network address?)");
    }
  }
  return Cidr(ip, len);
}

Result<Cidr> Cidr::ParseClearingHostBits(std::string_view text) {
  VIGIE_ASSIGN_OR_RETURN(auto parts, ParseCidrParts(text));
  return Cidr(parts.first, parts.second);
}

bool Cidr::Contains(const IpAddress& candidate) const {
  IpAddress ip = candidate.Unmapped();
  if (ip.family() != base_.family()) {
    return false;
  }
  const auto& a = ip.bytes();
  const auto& b = base_.bytes();
  int full = prefix_len_ / 8;
  for (int i = 0; i < full; ++i) {
    if (a[static_cast<std::size_t>(i)] != b[static_cast<std::size_t>(i)]) {
      return false;
    }
  }
  int rest = prefix_len_ % 8;
  if (rest == 0) {
    return true;
  }
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[static_cast<std::size_t>(full)] & mask) == (b[static_cast<std::size_t>(full)] & mask);
}

std::string Cidr::ToString() const {
  if (prefix_len_ == base_.bit_width()) {
    return base_.ToString();
  }
  return base_.ToString() + "/" + std::to_string(prefix_len_);
}

std::string Address::ToString() const {
  if (kind == Kind::kUnix) {
    return "unix:" + path;
  }
  std::string h = host.empty() ? "*" : host;
  if (h.find(':') != std::string::npos) {
    h = "[" + h + "]";
  }
  return h + ":" + std::to_string(port);
}

Result<Address> ParseAddress(std::string_view text, const AddressOptions& options) {
  Address out;
  if (text.empty()) {
    return Error(Errc::kInvalidArgument, "empty address");
  }
  if (text.starts_with("unix:") || text.front() == '/') {
    if (!options.allow_unix) {
      return Error(Errc::kInvalidArgument,
                   "unix socket paths are not accepted here: " + Quote(text));
    }
    out.kind = Address::Kind::kUnix;
    out.path = std::string(text.starts_with("unix:") ? text.substr(5) : text);
    if (out.path.empty() || out.path.front() != '/') {
      return Error(Errc::kInvalidArgument, "unix socket path must be absolute: " + Quote(text));
    }
    if (out.path.size() >= 108) {
      return Error(Errc::kInvalidArgument,
                   "unix socket path longer than 107 bytes: " + Quote(text));
    }
    return out;
  }
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Error(Errc::kInvalidArgument, "missing ']' in " + Quote(text));
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Error(Errc::kInvalidArgument, "expected ':' after ']' in " + Quote(text));
      }
      port_text = rest.substr(1);
      has_port = true;
    }
    auto ip = IpAddress::Parse(host);
    if (!ip || !ip->is_v6()) {
      return Error(Errc::kInvalidArgument, "not an IPv6 address in brackets: " + Quote(text));
    }
  } else {
    std::size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return Error(Errc::kInvalidArgument, "IPv6 addresses need brackets when a port follows: " +
                                               Quote(text) + " (write [addr]:port)");
    }
    if (colon == std::string_view::npos) {
      if (options.default_port < 0) {
        return Error(Errc::kInvalidArgument,
                     "missing port in " + Quote(text) + " (write host:port)");
      }
      host = text;
    } else {
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
      has_port = true;
    }
    if (host == "*") {
      host = {};
    }
    if (host.empty()) {
      if (!options.allow_any_host) {
        return Error(Errc::kInvalidArgument, "a host is required in " + Quote(text));
      }
    } else if (!IpAddress::Parse(host)) {
      if (!options.allow_names) {
        return Error(Errc::kInvalidArgument,
                     "not an IP address: " + Quote(host) + " in " + Quote(text));
      }
      if (!IsValidHostName(host)) {
        return Error(Errc::kInvalidArgument, "not a host name or IP address: " + Quote(host));
      }
    }
  }
  out.host = std::string(host);
  if (!has_port) {
    if (options.default_port < 0) {
      return Error(Errc::kInvalidArgument, "missing port in " + Quote(text) + " (write host:port)");
    }
    out.port = static_cast<uint16_t>(options.default_port);
    return out;
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return Error(Errc::kInvalidArgument, "bad port " + Quote(port_text) + " in " + Quote(text));
  }
  int port = std::stoi(std::string(port_text));
  if (port > 65535) {
    return Error(Errc::kInvalidArgument,
                 "port " + std::string(port_text) + " is out of range (0-65535)");
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

Result<HostAndPort> SplitHostAndPort(std::string_view text) {
  HostAndPort out;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Error(Errc::kInvalidArgument, "missing ']' in " + Quote(text));
    }
    out.host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Error(Errc::kInvalidArgument, "expected ':' after ']' in " + Quote(text));
      }
      out.port = rest.substr(1);
      out.has_port = true;
    }
    return out;
  }
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = text;
    return out;
  }
  out.host = text.substr(0, colon);
  out.port = text.substr(colon + 1);
  out.has_port = true;
  return out;
}

}  // namespace vigie
