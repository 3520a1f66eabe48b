// IpAddress / IpPrefix parsing and matching, on top of inet_pton/inet_ntop.
#include "egress/spec/address.h"

#include <charconv>
#include <cstring>

#include <arpa/inet.h>

#include "core/check.h"

namespace vigie::egress {
namespace {

// inet_pton needs a NUL-terminated string; addresses are short.
constexpr size_t kMaxAddressText = 64;

bool CopyToCString(std::string_view text, char (&buffer)[kMaxAddressText]) {
  if (text.empty() || text.size() >= kMaxAddressText || text.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::ParseV4(std::string_view text) {
  char buffer[kMaxAddressText];
  if (!CopyToCString(text, buffer)) {
    return std::nullopt;
  }
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, buffer, bytes.data()) != 1) {
    return std::nullopt;
  }
  IpAddress address;
  address.family_ = Family::kV4;
  address.bytes_ = bytes;
  return address;
}

std::optional<IpAddress> IpAddress::ParseV6(std::string_view text) {
  char buffer[kMaxAddressText];
  if (!CopyToCString(text, buffer)) {
    return std::nullopt;
  }
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET6, buffer, bytes.data()) != 1) {
    return std::nullopt;
  }
  return V6(bytes);
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    return ParseV6(text);
  }
  return ParseV4(text);
}

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress address;
  address.family_ = Family::kV4;
  address.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  address.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  address.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  address.bytes_[3] = static_cast<uint8_t>(host_order);
  return address;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress address;
  address.family_ = Family::kV6;
  address.bytes_ = bytes;
  return address;
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
  IpAddress address;
  address.family_ = Family::kV4;
  std::memcpy(address.bytes_.data(), bytes_.data() + 12, 4);
  return address;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  const char* text = inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof buffer);
  VIGIE_CHECK(text != nullptr, "inet_ntop failed on a valid address");
  return buffer;
}

IpPrefix::IpPrefix(const IpAddress& address, int length) : base_(address), length_(length) {
  VIGIE_CHECK(length >= 0 && length <= address.bit_width(), "prefix length out of range");
  std::array<uint8_t, 16> bytes = address.bytes();
  for (int bit = length; bit < address.bit_width(); ++bit) {
    bytes[bit / 8] = static_cast<uint8_t>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  if (address.is_v4()) {
    base_ = IpAddress::V4(static_cast<uint32_t>(bytes[0]) << 24 |
                          static_cast<uint32_t>(bytes[1]) << 16 |
                          static_cast<uint32_t>(bytes[2]) << 8 | bytes[3]);
  } else {
    base_ = IpAddress::V6(bytes);
  }
}

std::optional<IpPrefix> IpPrefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) {
    return std::nullopt;
  }
  if (slash == std::string_view::npos) {
    return IpPrefix(*address, address->bit_width());
  }
  std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) {
    return std::nullopt;
  }
  int length = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (ec != std::errc() || end != digits.data() + digits.size() || length < 0 ||
      length > address->bit_width()) {
    return std::nullopt;
  }
  return IpPrefix(*address, length);
}

bool IpPrefix::Contains(const IpAddress& address) const {
  IpAddress candidate = address.Unmapped();
  if (candidate.family() != base_.family()) {
    return false;
  }
  const auto& a = candidate.bytes();
  const auto& b = base_.bytes();
  int full_bytes = length_ / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(full_bytes)) != 0) {
    return false;
  }
  int rest = length_ % 8;
  if (rest == 0) {
    return true;
  }
  auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
  return (a[full_bytes] & mask) == (b[full_bytes] & mask);
}

std::string IpPrefix::ToString() const {
  if (length_ == base_.bit_width()) {
    return base_.ToString();
  }
  return base_.ToString() + "/" + std::to_string(length_);
}

}  // namespace vigie::egress
