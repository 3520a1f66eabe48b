// PROXY protocol (haproxy doc/proxy-protocol.txt) v1 and v2: encoders that
// append to a caller's buffer, and a bounded incremental decoder for the
// header a load balancer in front of us sends (`accept-proxy`) or that we
// send to servers (`send-proxy`, `send-proxy-v2`).
//
// Pure: no I/O, never throws. Thread rules: values; a Decoder has one owner.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace vigie::lb::proxy_protocol {

// v1 lines are at most 107 bytes including CRLF (spec §2.1).
inline constexpr std::size_t kV1MaxLength = 107;
// v2 fixed part: 12-byte signature, ver/cmd, fam, 16-bit length.
inline constexpr std::size_t kV2FixedLength = 16;
inline constexpr std::array<std::uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                              0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

enum class Command : std::uint8_t { kLocal = 0, kProxy = 1 };
enum class Family : std::uint8_t { kUnspec = 0, kInet = 1, kInet6 = 2, kUnix = 3 };
enum class Transport : std::uint8_t { kUnspec = 0, kStream = 1, kDgram = 2 };

// TLV types (spec §2.2).
enum TlvType : std::uint8_t {
  kTlvAlpn = 0x01,
  kTlvAuthority = 0x02,
  kTlvCrc32c = 0x03,
  kTlvNoop = 0x04,
  kTlvUniqueId = 0x05,
  kTlvSsl = 0x20,
  kTlvSslVersion = 0x21,
  kTlvSslCn = 0x22,
  kTlvSslCipher = 0x23,
  kTlvSslSigAlg = 0x24,
  kTlvSslKeyAlg = 0x25,
  kTlvNetns = 0x30,
};

struct Tlv {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(const Tlv&, const Tlv&) = default;
};

struct Header {
  int version = 1;                    // 1 or 2 (what was decoded / what to encode)
  Command command = Command::kProxy;  // v1 has no LOCAL
  Family family = Family::kUnspec;    // kUnspec = v1 "UNKNOWN"
  Transport transport = Transport::kStream;
  // IPv4 in the first 4 bytes; IPv6 all 16. For kUnix, the 108-byte paths
  // are in unix_src/unix_dst (NUL padding stripped).
  std::array<std::uint8_t, 16> src_addr{};
  std::array<std::uint8_t, 16> dst_addr{};
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::string unix_src;
  std::string unix_dst;
  std::vector<Tlv> tlvs;  // v2 only, in wire order

  friend bool operator==(const Header&, const Header&) = default;
};

// Appends "PROXY TCP4|TCP6 src dst sport dport\r\n" ("PROXY UNKNOWN\r\n"
// for other families or LOCAL). Never longer than kV1MaxLength.
void AppendV1(const Header& header, std::string& out);

struct EncodeOptions {
  bool add_crc32c = false;  // append a PP2_TYPE_CRC32C TLV over the whole header
};

// Appends the binary v2 header with header.tlvs. Fails (kLimitExceeded) if
// addresses + TLVs exceed 65535 bytes or a TLV value exceeds 65535, and
// (kInvalidArgument) for a unix path longer than 108 bytes.
Result<void> AppendV2(const Header& header, std::vector<std::uint8_t>& out,
                      const EncodeOptions& options = {});

struct Limits {
  std::size_t max_v2_length = 4096;  // whole v2 header (16 + len) we accept
  std::size_t max_tlvs = 64;
};

struct DecodeResult {
  bool complete = false;     // false: need more bytes (not an error)
  std::size_t consumed = 0;  // header length when complete
  Header header;
};

// Decodes the header at the start of `data`. Rejects as soon as the bytes
// cannot start a valid header (the receiver must not guess). Errors are
// kInvalidArgument / kLimitExceeded with a context naming the byte offset.
// A present CRC32C TLV is verified.
Result<DecodeResult> Decode(std::span<const std::uint8_t> data, const Limits& limits = {});

// Streaming form: feed bytes as they arrive; buffers at most one header.
class Decoder {
 public:
  explicit Decoder(Limits limits = {}) : limits_(limits) {}
  // Returns complete=true once the header is decoded; `consumed` counts only
  // bytes of the fed chunk that belong to the header, so the rest of the
  // chunk is payload. After completion, further Feed() calls fail.
  Result<DecodeResult> Feed(std::span<const std::uint8_t> chunk);

 private:
  Limits limits_;
  std::vector<std::uint8_t> buffer_;
  bool done_ = false;
};

// CRC32c (Castagnoli), as RFC 4960 appendix B, used by PP2_TYPE_CRC32C.
std::uint32_t Crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace vigie::lb::proxy_protocol
