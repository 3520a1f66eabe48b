// IPv4/IPv6 addresses and CIDR prefixes for the egress component: strict
// textual parsing (inet_pton rules: dotted quads without leading zeros, no
// zone ids), formatting, ordering and prefix containment.
//
// Thread rules: plain values; no shared state.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigie::egress {

// One IPv4 or IPv6 address. IPv4 is stored in the first 4 bytes.
class IpAddress {
 public:
  enum class Family : uint8_t { kV4, kV6 };

  // 0.0.0.0.
  IpAddress() = default;

  // Parses a dotted quad ("10.1.2.3") or an IPv6 address ("fe80::1",
  // "::ffff:10.1.2.3") as inet_pton does: no leading zeros in IPv4 octets,
  // no brackets, no zone id ("%eth0"), no surrounding blanks. nullopt on
  // anything else.
  static std::optional<IpAddress> Parse(std::string_view text);
  // IPv4 only (same rules as Parse).
  static std::optional<IpAddress> ParseV4(std::string_view text);
  // IPv6 only (same rules as Parse); "::ffff:1.2.3.4" stays an IPv6 value.
  static std::optional<IpAddress> ParseV6(std::string_view text);

  // From a host-order IPv4 value (0x0a010203 is 10.1.2.3).
  static IpAddress V4(uint32_t host_order);
  // From 16 network-order bytes.
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // Number of meaningful bits: 32 or 128.
  int bit_width() const { return is_v4() ? 32 : 128; }
  // Network-order bytes; the first 4 for IPv4, all 16 for IPv6.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  // True for ::ffff:a.b.c.d (an IPv4 peer on a dual-stack socket).
  bool IsV4Mapped() const;
  // ::ffff:a.b.c.d becomes a.b.c.d; anything else is returned unchanged. The
  // ACL compares addresses in this form so that a mapped address cannot slip
  // past an IPv4 rule.
  IpAddress Unmapped() const;

  // Canonical text: dotted quad, or RFC 5952 IPv6 ("fe80::1").
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend std::strong_ordering operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
};

// An address prefix ("10.0.0.0/8", "fe80::/10"); a bare address is a full-
// length prefix. The host bits of the base are cleared, as Squid does for
// "192.168.1.1/24" (it warns and uses 192.168.1.0/24).
class IpPrefix {
 public:
  IpPrefix() = default;
  // `length` must be within 0..address.bit_width() (checked).
  IpPrefix(const IpAddress& address, int length);

  // "addr" or "addr/N" with N in 0..32 (IPv4) or 0..128 (IPv6), N decimal
  // without sign. nullopt on anything else.
  static std::optional<IpPrefix> Parse(std::string_view text);

  const IpAddress& base() const { return base_; }
  int length() const { return length_; }

  // True when `address` (after Unmapped()) has the same family and its first
  // length() bits equal the base's.
  bool Contains(const IpAddress& address) const;

  // "10.0.0.0/8"; a full-length prefix prints as the bare address.
  std::string ToString() const;

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpAddress base_;
  int length_ = 32;
};

}  // namespace vigie::egress
