// Hand-written, bounded protobuf (proto2) codec for the Riemann messages of
// proto/event.h, wire-compatible with riemann.proto (see docs/events.md).
// Decoding follows libprotobuf: unknown fields (and known fields with the
// wrong wire type) are skipped, the last value of a singular field wins,
// repeated embedded Query messages merge, and an Attribute without its
// required key fails the whole message.
//
// The protobuf wire reader under the decoder is wire.h (internal).
//
// Thread rules: free functions over caller-owned values; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "events/proto/event.h"

namespace vigie::events {

// Bounds applied while decoding untrusted bytes. Exceeding one fails the
// decode with Errc::kLimitExceeded naming the field and offset.
struct DecodeLimits {
  size_t max_events = 100'000;         // events + states per Msg
  size_t max_tags = 1'000;             // per event
  size_t max_attributes = 1'000;       // per event
  size_t max_string_bytes = 1u << 20;  // any single string field
  int max_group_depth = 16;            // nesting of skipped unknown groups
};

// Largest UDP datagram Riemann accepts (riemann.transport.udp :max-size).
inline constexpr size_t kMaxUdpDatagram = 16384;

// Decodes one Msg. Errors are Errc::kInvalidArgument (malformed: "msg: truncated
// varint at offset 12", "event[3].attributes[0]: missing required key") or
// Errc::kLimitExceeded.
[[nodiscard]] Result<Msg> DecodeMsg(std::span<const std::byte> bytes,
                                    const DecodeLimits& limits = {});
[[nodiscard]] Result<Msg> DecodeMsg(std::string_view bytes, const DecodeLimits& limits = {});

// Decodes into `out`, reusing the storage of its events (and their strings)
// from a previous decode: the hot path of a connection. On error `out` holds
// unspecified (valid) contents.
[[nodiscard]] Result<void> DecodeMsgInto(std::span<const std::byte> bytes,
                                         const DecodeLimits& limits, Msg& out);

// Decodes one Event message body (no Msg around it).
[[nodiscard]] Result<Event> DecodeEvent(std::string_view bytes, const DecodeLimits& limits = {});

// A UDP datagram: one bare Msg, at most kMaxUdpDatagram bytes (bigger ones
// fail with Errc::kLimitExceeded, as Riemann drops them).
[[nodiscard]] Result<Msg> DecodeDatagram(std::span<const std::byte> datagram,
                                         const DecodeLimits& limits = {});

// Appends the proto2 encoding of `msg` to `out`. Fields are written in
// field-number order, as libprotobuf does, so output is byte-identical to
// SerializeToString of the same message.
void EncodeMsg(const Msg& msg, std::string& out);
void EncodeEvent(const Event& event, std::string& out);
// Encoded size of an Event body / a Msg, without encoding.
size_t EventEncodedSize(const Event& event);
size_t MsgEncodedSize(const Msg& msg);

// Appends a TCP frame: 4-byte big-endian length, then the Msg.
void AppendFrame(const Msg& msg, std::string& out);

// Ready-made server replies.
Msg OkReply();
Msg ErrorReply(std::string_view error);

}  // namespace vigie::events
