// The DNS message model and its bounded decoder: header, questions, resource
// records (RDATA kept as bytes, with compressed names inside RDATA expanded
// so the bytes stand alone), EDNS(0) OPT with its
// options (RFC 6891) and Extended DNS Errors (RFC 8914), and typed accessors
// for the RDATA a forwarder must read or rewrite.
//
// Thread rules: value types and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/dns/name.h"
#include "core/dns/types.h"
#include "core/error.h"

namespace vigie::dns {

// The fixed 12-octet header (RFC 1035 §4.1.1, RFC 2535 AD/CD bits). The
// counts are what the wire said when decoding; the encoder ignores them and
// writes the sizes of the Message's sections.
struct Header {
  uint16_t id = 0;
  bool qr = false;
  uint8_t opcode = 0;  // 4 bits
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool z = false;
  bool ad = false;
  bool cd = false;
  uint8_t rcode = 0;  // low 4 bits; EDNS carries the upper 8
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;

  friend bool operator==(const Header&, const Header&) = default;
};

// Decodes the header alone (a server uses it to answer FORMERR with the
// right ID when the rest does not decode). Error: kTruncated below 12 octets.
Result<Header> DecodeHeader(std::span<const std::byte> wire);
// Writes the 12 header octets at `out`.
void EncodeHeader(const Header& h, std::span<std::byte, kHeaderSize> out);

struct Question {
  Name name;
  uint16_t type = rr_type::kA;
  uint16_t klass = rr_class::kIn;

  // Same name (case-insensitive), type and class.
  friend bool operator==(const Question&, const Question&) = default;
};

struct ResourceRecord {
  Name name;
  uint16_t type = 0;
  uint16_t klass = rr_class::kIn;
  uint32_t ttl = 0;
  // RDATA octets, uncompressed: names inside the RDATA of the types listed
  // by RdataHasNames() are stored expanded, so the record can be re-encoded
  // anywhere.
  std::vector<std::byte> rdata;

  friend bool operator==(const ResourceRecord&, const ResourceRecord&) = default;
};

struct EdnsOption {
  uint16_t code = 0;
  std::vector<std::byte> data;
  friend bool operator==(const EdnsOption&, const EdnsOption&) = default;
};

// RFC 8914 Extended DNS Error: an info code and optional UTF-8 text.
struct ExtendedError {
  uint16_t info_code = 0;
  std::string extra_text;
  friend bool operator==(const ExtendedError&, const ExtendedError&) = default;
};

// The EDNS(0) pseudo-record (RFC 6891 §6): the OPT RR's class is the UDP
// payload size, its TTL carries the extended rcode, version and flags.
struct Edns {
  uint16_t udp_size = kDefaultEdnsUdpSize;
  uint8_t extended_rcode = 0;  // upper 8 bits of the 12-bit rcode
  uint8_t version = 0;
  bool dnssec_ok = false;  // the DO bit
  uint16_t flags = 0;      // the other 15 flag bits (Z), kept as received
  std::vector<EdnsOption> options;

  // The first Extended DNS Error option, if any and well formed.
  std::optional<ExtendedError> FindExtendedError() const;
  void AddExtendedError(const ExtendedError& e);

  friend bool operator==(const Edns&, const Edns&) = default;
};

enum class Section { kAnswer, kAuthority, kAdditional };

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;
  // Additional records without the OPT pseudo-record, which is in `edns`.
  std::vector<ResourceRecord> additionals;
  std::optional<Edns> edns;

  // The 12-bit rcode: header.rcode plus edns->extended_rcode << 4.
  uint16_t FullRcode() const;
  // Sets header.rcode and, when EDNS is present, its extended part. An rcode
  // above 15 without EDNS is an invariant violation (checked).
  void SetFullRcode(uint16_t code);

  std::vector<ResourceRecord>& SectionRecords(Section s);
  const std::vector<ResourceRecord>& SectionRecords(Section s) const;
};

// Decodes a whole message. Every count is checked against
// limits.max_records_per_section before anything is read; every field is
// bounds-checked; at most one OPT, only in the additional section, owned by
// the root; A and AAAA RDATA must be 4 and 16 octets; octets after the last
// record are an error (kTrailingData). Errors name the offset and section.
Result<Message> DecodeMessage(std::span<const std::byte> wire, const Limits& limits = {});

// Decodes a message that must be a query: QR clear and exactly one question
// (Errc::kNotAQuery otherwise). The opcode is not checked: the server answers
// NOTIMP for opcodes it does not serve.
Result<Message> DecodeQuery(std::span<const std::byte> wire, const Limits& limits = {});

// Typed RDATA. These read records produced by DecodeMessage or the Make*
// helpers (expanded names). Error kBadRdata when the layout does not match.
struct Soa {
  Name mname;
  Name rname;
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;
  friend bool operator==(const Soa&, const Soa&) = default;
};
struct Mx {
  uint16_t preference = 0;
  Name exchange;
};

// The single name of NS, CNAME or PTR RDATA.
Result<Name> RdataName(const ResourceRecord& rr);
Result<Soa> ParseSoa(const ResourceRecord& rr);
Result<Mx> ParseMx(const ResourceRecord& rr);
// The names inside the RDATA of the types that hold names (see
// RdataHasNames), with their offsets in rr.rdata. Empty for other types.
struct RdataNameRef {
  size_t offset = 0;
  Name name;
};
Result<std::vector<RdataNameRef>> RdataNames(const ResourceRecord& rr);
// True for the RFC 1035 types whose RDATA names may be compressed on the
// wire (NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX): the encoder
// compresses these.
bool HasCompressibleRdata(uint16_t type);
// True for the types whose RDATA holds names the decoder expands: the RFC
// 1035 ones above plus RP, AFSDB, RT, PX, SRV and NAPTR (RFC 3597 §4).
bool RdataHasNames(uint16_t type);

ResourceRecord MakeA(const Name& owner, uint32_t ttl, std::array<uint8_t, 4> address);
ResourceRecord MakeAaaa(const Name& owner, uint32_t ttl, std::array<uint8_t, 16> address);
ResourceRecord MakeCname(const Name& owner, uint32_t ttl, const Name& target);
ResourceRecord MakeSoa(const Name& owner, uint32_t ttl, const Soa& soa);

}  // namespace vigie::dns
