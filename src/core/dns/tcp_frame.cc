// TCP length-prefix framing.
#include "core/dns/tcp_frame.h"

#include <string>

#include "core/check.h"

namespace vigie::dns {

Result<std::optional<TcpFrame>> NextTcpFrame(std::span<const std::byte> buffer,
                                             const Limits& limits) {
  if (buffer.size() < 2) {
    return std::optional<TcpFrame>();
  }
  size_t len = (std::to_integer<size_t>(buffer[0]) << 8) | std::to_integer<size_t>(buffer[1]);
  if (len > limits.max_message_size) {
    return Error(Errc::kMessageTooLarge, "TCP frame of " + std::to_string(len) + " octets, limit " +
                                             std::to_string(limits.max_message_size));
  }
  if (len < kHeaderSize) {
    return Error(Errc::kTruncated,
                 "TCP frame of " + std::to_string(len) + " octets is shorter than a header");
  }
  if (buffer.size() - 2 < len) {
    return std::optional<TcpFrame>();
  }
  return std::optional<TcpFrame>(TcpFrame{buffer.subspan(2, len), 2 + len});
}

void PrefixTcpLength(std::vector<std::byte>* out, size_t start) {
  VIGIE_CHECK(start <= out->size(), "PrefixTcpLength start past the end");
  size_t len = out->size() - start;
  VIGIE_CHECK(len <= 0xFFFF, "TCP message over 65535 octets");
  std::byte prefix[2] = {static_cast<std::byte>(len >> 8), static_cast<std::byte>(len & 0xFF)};
  out->insert(out->begin() + static_cast<std::ptrdiff_t>(start), prefix, prefix + 2);
}

}  // namespace vigie::dns
