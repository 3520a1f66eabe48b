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

// An IPv4 or IPv6 address. IPv4 is kept in the first 4 bytes.
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress V4(std::array<uint8_t, 4> bytes);
  static IpAddress V6(std::array<uint8_t, 16> bytes);

  // Accepts dotted IPv4 and any RFC 4291 IPv6 text form (no brackets, no zone).
  [[nodiscard]] static Result<IpAddress> Parse(std::string_view text);

  bool is_v4() const { return !v6_; }
  bool is_v6() const { return v6_; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  std::size_t size() const { return v6_ ? 16 : 4; }
  bool IsLoopback() const;
  bool IsUnspecified() const;
  // ::ffff:a.b.c.d as a.b.c.d; other addresses unchanged.
  IpAddress Unmapped() const;

  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
  bool v6_ = false;
};

// A prefix such as 10.42.253.0/24 or fd00::/8. A bare address is a /32 or
// /128. Host bits set below the prefix are an error ("10.0.0.1/8"), as they
// are almost always a typo.
class Cidr {
 public:
  Cidr() = default;
  Cidr(IpAddress base, int prefix_len);
  [[nodiscard]] static Result<Cidr> Parse(std::string_view text);

  // True when `ip` is inside the prefix. IPv4-mapped IPv6 addresses match
  // IPv4 prefixes.
  bool Contains(const IpAddress& ip) const;
  const IpAddress& base() const { return base_; }
  int prefix_len() const { return prefix_len_; }
  std::string ToString() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  IpAddress base_;
  int prefix_len_ = 0;
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

}  // namespace vigie
