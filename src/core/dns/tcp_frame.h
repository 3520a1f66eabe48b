// DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message is
// preceded by a two-octet big-endian length. "Need more bytes" is not an
// error: the framer says how much it has and the caller reads more.
//
// Thread rules: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "core/dns/types.h"
#include "core/error.h"

namespace vigie::dns {

struct TcpFrame {
  std::span<const std::byte> message;  // the message, without its length prefix
  size_t consumed = 0;                 // octets of `buffer` used, prefix included
};

// The first complete frame at the start of `buffer`, or nullopt when more
// octets are needed. Errors: kMessageTooLarge when the announced length is
// over limits.max_message_size, kTruncated when it is below a header (12).
Result<std::optional<TcpFrame>> NextTcpFrame(std::span<const std::byte> buffer,
                                             const Limits& limits = {});

// Prefixes the message that starts at out[start] with its length: inserts the
// two octets at `start`. The message must be at most 65535 octets (checked).
void PrefixTcpLength(std::vector<std::byte>* out, size_t start);

}  // namespace vigie::dns
