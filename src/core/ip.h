// IP addresses, CIDR prefixes and listen/connect addresses ("host:port",
// "[v6]:port", "/run/x.sock"), parsed without touching the network. Pure.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace vigie {

// An IPv4 or IPv6 address. IPv4 is kept in the first 4 bytes. Ordered by
// family first (every IPv4 address before every IPv6 one), then by bytes.
class IpAddress {
 public:
  enum class Family : uint8_t { kV4, kV6 };

  // 0.0.0.0.
  IpAddress() = default;
  static IpAddress V4(std::array<uint8_t, 4> bytes);
  // From 16 network-order bytes; "::ffff:a.b.c.d" stays an IPv6 value.
  static IpAddress V6(std::array<uint8_t, 16> bytes);

  // Accepts a dotted quad ("10.1.2.3") or any RFC 4291 IPv6 text form
  // ("fe80::1", "::ffff:10.1.2.3") as inet_pton reads them: no leading zeros
  // in IPv4 octets, no brackets, no zone id ("%eth0"), no surrounding blanks,
  // no NUL. Error: `not an IP address: "<text>"`.
  [[nodiscard]] static Result<IpAddress> Parse(std::string_view text);
  // IPv4 only, same rules. Error: `not an IPv4 address: "<text>"`.
  [[nodiscard]] static Result<IpAddress> ParseV4(std::string_view text);
  // IPv6 only, same rules; "::ffff:1.2.3.4" stays an IPv6 value.
  // Error: `not an IPv6 address: "<text>"`.
  [[nodiscard]] static Result<IpAddress> ParseV6(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // Network-order bytes; the first 4 for IPv4, all 16 for IPv6.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // Number of meaningful bytes (4 or 16) and bits (32 or 128).
  std::size_t size() const { return is_v6() ? 16 : 4; }
  int bit_width() const { return is_v6() ? 128 : 32; }
  bool IsLoopback() const;
  bool IsUnspecified() const;
  // True for ::ffff:a.b.c.d (an IPv4 peer on a dual-stack socket).
  bool IsV4Mapped() const;
  // ::ffff:a.b.c.d as a.b.c.d; other addresses unchanged. ACLs compare
  // addresses in this form so that a mapped address cannot slip past an IPv4
  // rule.
  IpAddress Unmapped() const;

  // Canonical text: dotted quad, or RFC 5952 IPv6 ("fe80::1").
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
};

// A prefix such as 10.42.253.0/24 or fd00::/8. A bare address is a /32 or
// /128. The base never has host bits set below the prefix.
class Cidr {
 public:
  // 0.0.0.0/32.
  Cidr() = default;
  // `prefix_len` must be within 0..base.bit_width() (checked); host bits of
  // `base` below the prefix are cleared.
  Cidr(IpAddress base, int prefix_len);

  // "addr" or "addr/N" with N decimal digits in 0..32 (IPv4) or 0..128
  // (IPv6). Host bits set below the prefix are an error ("10.0.0.1/8"), as
  // they are almost always a typo in vigie.yaml.
  [[nodiscard]] static Result<Cidr> Parse(std::string_view text);
  // The same syntax, but host bits are cleared the way Squid reads an ACL
  // ("192.168.1.1/24" is 192.168.1.0/24): for configurations written for it.
  [[nodiscard]] static Result<Cidr> ParseClearingHostBits(std::string_view text);

  // True when `ip` is inside the prefix. IPv4-mapped IPv6 addresses match
  // IPv4 prefixes (they are compared as ip.Unmapped()).
  bool Contains(const IpAddress& ip) const;
  const IpAddress& base() const { return base_; }
  int prefix_len() const { return prefix_len_; }
  // "10.0.0.0/8"; a full-length prefix prints as the bare address.
  std::string ToString() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  IpAddress base_;
  int prefix_len_ = 32;
};

// Where to listen or connect: an internet host and port, or a unix socket path.
struct Address {
  enum class Kind { kInet, kUnix };
  Kind kind = Kind::kInet;
  std::string host;  // IP text (no brackets) or a DNS name; empty = any
  uint16_t port = 0;
  std::string path;  // unix socket path

  bool is_unix() const { return kind == Kind::kUnix; }
  // "127.0.0.1:53", "[::1]:53", "unix:/run/vigie.sock".
  std::string ToString() const;
  friend bool operator==(const Address&, const Address&) = default;
};

struct AddressOptions {
  bool allow_unix = false;     // "/path" or "unix:/path"
  bool allow_names = false;    // a DNS name as host (else the host must be an IP)
  bool allow_any_host = true;  // ":53" / "*:53" meaning all addresses
  int default_port = -1;       // used when the port is omitted; -1: port required
};

// Parses "host:port", "[v6]:port", ":port", "*:port", a bare host when a
// default port is given, and unix paths when allowed.
[[nodiscard]] Result<Address> ParseAddress(std::string_view text,
                                           const AddressOptions& options = {});

// "host:port" split the way haproxy reads its `bind` and `server` addresses:
// "[host]:port", or the port after the last ':' ("::1:84" is host ::1, port
// 84; ":::83" is host ::, port 83). Neither part is checked: the host may be
// empty, "*" or a name, the port empty, a range or an offset.
struct HostAndPort {
  std::string_view host;  // without brackets
  std::string_view port;
  bool has_port = false;  // false for a bare "10.0.0.1" or "[::1]"
};
// Errors: an unclosed '[', or anything but ":port" after ']'.
[[nodiscard]] Result<HostAndPort> SplitHostAndPort(std::string_view text);

}  // namespace vigie
