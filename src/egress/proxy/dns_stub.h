// A minimal DNS stub for the proxy's resolver: the A / AAAA query a stub
// sends to a recursive server, and a bounded decoder of the answer that keeps
// only the addresses. (Components may not include each other, so this does
// not use src/dns; it needs nothing beyond RFC 1035 §4.)
//
// Thread rules: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ip.h"

namespace vigie::egress::proxy {

inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr size_t kMaxDnsMessage = 4096;
inline constexpr size_t kMaxDnsAnswers = 64;

// A recursion-desired query for `name` (a host name as the proxy accepts
// them: letters, digits, '-', '_', '.'). Errors: an empty or over-long name
// or label (kInvalidArgument).
Result<std::string> BuildDnsQuery(std::string_view name, uint16_t type, uint16_t id);

struct DnsAnswer {
  uint16_t id = 0;
  int rcode = 0;
  bool truncated = false;
  std::vector<IpAddress> addresses;  // A and AAAA records of class IN, in order
  // The smallest TTL (seconds) of those records; 0 when there are none.
  uint32_t min_ttl = 0;
};

// Decodes a response. Every length and pointer is checked against the
// message; at most kMaxDnsAnswers records are read; compression pointers
// must point backwards. Errors: kInvalidArgument naming the problem.
Result<DnsAnswer> ParseDnsResponse(std::span<const uint8_t> message);

}  // namespace vigie::egress::proxy
