// Fuzz target: Decode() must never crash on any input; whatever decodes
// must re-encode and decode to the same header (round trip), and feeding
// the same bytes one at a time must give the same answer.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "lb/proxy_protocol/proxy_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigie::lb::proxy_protocol;
  std::span<const std::uint8_t> in(data, size);
  auto r = Decode(in);
  Decoder dec;
  vigie::Result<DecodeResult> streamed = DecodeResult{};
  for (std::size_t i = 0; i < size; ++i) {
    streamed = dec.Feed(in.subspan(i, 1));
    if (!streamed || streamed->complete)
      break;
  }
  if (r && r->complete) {
    if (!streamed || !streamed->complete || !(streamed->header == r->header))
      std::abort();
    const Header& h = r->header;
    bool has_crc = false;
    for (const Tlv& t : h.tlvs)
      has_crc = has_crc || t.type == kTlvCrc32c;
    if (h.version == 2 && h.family == Family::kUnix && has_crc) {
      // Bytes after a path's NUL are not kept, so the checksum cannot be
      // reproduced; nothing to compare.
    } else if (h.version == 2) {
      std::vector<std::uint8_t> out;
      if (!AppendV2(h, out))
        std::abort();
      auto again = Decode(out);
      if (!again || !again->complete || !(again->header == h) || again->consumed != out.size()) {
        std::abort();
      }
    } else {
      std::string out;
      AppendV1(h, out);
      if (out.size() > kV1MaxLength)
        std::abort();
      auto again = Decode(std::span<const std::uint8_t>(
          reinterpret_cast<const std::uint8_t*>(out.data()), out.size()));
      if (!again || !again->complete || !(again->header == h))
        std::abort();
    }
  } else if (r && streamed && streamed->complete) {
    std::abort();  // streaming completed where the whole buffer did not
  }
  return 0;
}
