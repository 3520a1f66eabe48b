// DNS wire constants (RR types, classes, opcodes, rcodes), the decoder limits
// and the dns error category shared by the wire codec and the block lists.
//
// Thread rules: constants and plain values only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace vigie::dns {

// Resource record types used by the forwarder (RFC 1035, 3596, 6891, 9460).
namespace rr_type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kMx = 15;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kOpt = 41;
inline constexpr uint16_t kSvcb = 64;
inline constexpr uint16_t kHttps = 65;
inline constexpr uint16_t kAny = 255;
}  // namespace rr_type

namespace rr_class {
inline constexpr uint16_t kIn = 1;
inline constexpr uint16_t kCh = 3;
inline constexpr uint16_t kAny = 255;
}  // namespace rr_class

namespace opcode {
inline constexpr uint8_t kQuery = 0;
inline constexpr uint8_t kNotify = 4;
inline constexpr uint8_t kUpdate = 5;
}  // namespace opcode

// Response codes. Values above 15 need EDNS (the upper 8 bits travel in OPT).
namespace rcode {
inline constexpr uint16_t kNoError = 0;
inline constexpr uint16_t kFormErr = 1;
inline constexpr uint16_t kServFail = 2;
inline constexpr uint16_t kNxDomain = 3;
inline constexpr uint16_t kNotImp = 4;
inline constexpr uint16_t kRefused = 5;
inline constexpr uint16_t kBadVers = 16;
}  // namespace rcode

// EDNS(0) option codes (RFC 6891 registry).
namespace edns_option {
inline constexpr uint16_t kClientSubnet = 8;    // RFC 7871
inline constexpr uint16_t kCookie = 10;         // RFC 7873
inline constexpr uint16_t kPadding = 12;        // RFC 7830
inline constexpr uint16_t kExtendedError = 15;  // RFC 8914
}  // namespace edns_option

// Extended DNS Error info codes (RFC 8914 §4) a filtering resolver uses.
namespace ede {
inline constexpr uint16_t kOther = 0;
inline constexpr uint16_t kStaleAnswer = 3;
inline constexpr uint16_t kForgedAnswer = 4;
inline constexpr uint16_t kBlocked = 15;
inline constexpr uint16_t kCensored = 16;
inline constexpr uint16_t kFiltered = 17;
inline constexpr uint16_t kProhibited = 18;
inline constexpr uint16_t kNotReady = 14;
}  // namespace ede

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxLabelLength = 63;
inline constexpr size_t kMaxNameLength = 255;  // wire octets, root label included
inline constexpr size_t kMaxUdpPayloadWithoutEdns = 512;
inline constexpr uint16_t kDefaultEdnsUdpSize = 1232;  // DNS Flag Day 2020

// Bounds applied while decoding untrusted messages. Every decoder takes one;
// the defaults suit a forwarder facing the LAN and its upstreams.
struct Limits {
  // Longest message accepted (TCP messages are at most 65535 octets).
  size_t max_message_size = 65535;
  // Largest count accepted in any one section (QD, AN, NS or AR). A count
  // above this fails with Errc::kTooManyRecords before anything is allocated.
  uint16_t max_records_per_section = 256;
  // Compression pointers followed while reading one name.
  int max_pointer_hops = 32;
  // EDNS options accepted in one OPT record.
  uint16_t max_edns_options = 32;
};

// Error codes of the dns component (wire codec and block lists). Each error
// carries a context naming the offset, section or line.
enum class Errc {
  kOk = 0,
  kTruncated = 1,    // the message ends inside a field
  kBadLabel,         // reserved label type (0x40/0x80) or label over 63 octets
  kNameTooLong,      // name over 255 octets
  kBadPointer,       // compression pointer forward, into itself or into the header
  kTooManyHops,      // more compression pointers than Limits::max_pointer_hops
  kTooManyRecords,   // a section count above Limits::max_records_per_section
  kMessageTooLarge,  // over Limits::max_message_size
  kBadRdata,         // RDATA does not match its type's layout
  kBadEdns,          // OPT not in additional, several OPTs, or OPT owner not root
  kNotAQuery,        // QR set, or not exactly one question, where a query is expected
  kTrailingData,     // octets after the last record
  kBadName,          // a textual name that is not a valid domain name
  kBadLine,          // a list line that is not a rule
};

const std::error_category& DnsCategory();
std::error_code make_error_code(Errc e);  // NOLINT(readability-identifier-naming): ADL hook

}  // namespace vigie::dns

template <>
struct std::is_error_code_enum<vigie::dns::Errc> : std::true_type {};
