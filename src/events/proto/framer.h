// FrameReader: splits a Riemann TCP byte stream into frames (4-byte
// big-endian length, then that many bytes of Msg). "Need more bytes" is not
// an error; a frame announcing more than the configured maximum is, and the
// server answers it with ErrorReply(...) and closes the connection.
//
// Thread rules: one FrameReader per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/error.h"

namespace vigie::events {

// Default cap on one frame's payload (Riemann itself has none).
inline constexpr size_t kDefaultMaxFrame = 8u << 20;
// A reader's buffer at rest: after a larger frame it shrinks back to at
// most this, as soon as what it holds fits (the server reads 64 KiB at a
// time: a connection whose frames are under 64 KiB stays under it).
inline constexpr size_t kFrameReaderRetainBytes = 256u << 10;

class FrameReader {
 public:
  explicit FrameReader(size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}

  // Copies bytes received from the peer into the reader.
  void Feed(std::span<const std::byte> bytes);

  // Zero-copy alternative to Feed: a writable region of at least `min_size`
  // bytes at the end of the buffer; read into it, then Commit(n) the n bytes
  // actually received. The span is invalidated by any other call.
  std::span<std::byte> Prepare(size_t min_size);
  void Commit(size_t n);

  // The next complete frame's payload, or nullopt when more bytes are needed.
  // Errc::kLimitExceeded when the announced length exceeds max_frame (the
  // reader stays failed: every later call returns the same error). The span
  // stays valid until the next call to Feed, Prepare or Next.
  [[nodiscard]] Result<std::optional<std::span<const std::byte>>> Next();

  // Bytes buffered but not yet returned as frames.
  size_t buffered() const { return end_ - begin_; }
  size_t max_frame() const { return max_frame_; }
  // Bytes the buffer holds allocated (what the connection costs at rest).
  size_t capacity() const { return buf_.capacity(); }

 private:
  // Makes room for `extra` more bytes; shrinks the buffer back to its
  // normal size when what it holds and `extra` fit in that.
  void Compact(size_t extra);
  bool ShouldShrink(size_t extra) const;

  size_t max_frame_;
  std::vector<std::byte> buf_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last received byte
  std::optional<Error> failed_;
};

}  // namespace vigie::events
