// Fuzz target: bytes through the TCP framer (fed in two pieces) and every
// frame through the decoder; decoded messages must re-encode and decode to
// the same value, and JSON rendering must not fail.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/check.h"
#include "events/proto/codec.h"
#include "events/proto/framer.h"
#include "events/proto/json.h"

namespace {

void CheckMsg(std::span<const std::byte> bytes) {
  vigie::events::DecodeLimits limits;
  limits.max_events = 1000;
  auto msg = vigie::events::DecodeMsg(bytes, limits);
  if (!msg)
    return;
  std::string wire;
  vigie::events::EncodeMsg(*msg, wire);
  VIGIE_CHECK(wire.size() == vigie::events::MsgEncodedSize(*msg), "size mismatch");
  auto again = vigie::events::DecodeMsg(wire, limits);
  VIGIE_CHECK(static_cast<bool>(again), "re-encoded message does not decode");
  std::string wire2;
  vigie::events::EncodeMsg(*again, wire2);
  VIGIE_CHECK(wire == wire2, "encoding is not stable");
  for (const auto& e : msg->events) {
    std::string json = vigie::events::EventToJson(e);
    VIGIE_CHECK(!json.empty() && json.front() == '{', "bad json");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> all(reinterpret_cast<const std::byte*>(data), size);
  // The raw input as a UDP datagram / bare Msg.
  CheckMsg(all);
  // The input as a TCP stream, split in the middle.
  vigie::events::FrameReader reader(1u << 16);
  size_t half = size / 2;
  reader.Feed(all.subspan(0, half));
  for (int round = 0; round < 2; ++round) {
    while (true) {
      auto next = reader.Next();
      if (!next || !next->has_value())
        break;
      CheckMsg(**next);
    }
    if (round == 0)
      reader.Feed(all.subspan(half));
  }
  // JSON ingest path.
  (void)vigie::events::ParseEventJson(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
