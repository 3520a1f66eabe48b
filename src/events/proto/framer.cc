// FrameReader: a growable byte buffer with a read cursor.
#include "events/proto/framer.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace vigie::events {

void FrameReader::Compact(size_t extra) {
  // After a large frame, move what is left into a buffer of the normal size
  // as soon as it fits, so the large one is freed (not kept for the
  // connection's life).
  size_t live = end_ - begin_;
  if (ShouldShrink(extra)) {
    std::vector<std::byte> smaller(std::max(live + extra, size_t{64} << 10));
    if (live > 0) {
      std::memcpy(smaller.data(), buf_.data() + begin_, live);
    }
    buf_ = std::move(smaller);
    begin_ = 0;
    end_ = live;
    return;
  }
  // Move unconsumed bytes to the front before growing, so a long-lived
  // connection's buffer stays about one frame big.
  if (begin_ > 0) {
    if (live > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, live);
    }
    begin_ = 0;
    end_ = live;
  }
  if (buf_.size() < end_ + extra) {
    buf_.resize(std::max(end_ + extra, buf_.size() * 2));
  }
}

bool FrameReader::ShouldShrink(size_t extra) const {
  return buf_.size() > kFrameReaderRetainBytes && end_ - begin_ + extra <= kFrameReaderRetainBytes;
}

void FrameReader::Feed(std::span<const std::byte> bytes) {
  if (bytes.empty())
    return;
  if (buf_.size() - end_ < bytes.size() || ShouldShrink(bytes.size())) {
    Compact(bytes.size());
  }
  std::memcpy(buf_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

std::span<std::byte> FrameReader::Prepare(size_t min_size) {
  if (buf_.size() - end_ < min_size || ShouldShrink(min_size)) {
    Compact(min_size);
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

void FrameReader::Commit(size_t n) {
  // Never past what Prepare handed out.
  end_ = std::min(end_ + n, buf_.size());
}

Result<std::optional<std::span<const std::byte>>> FrameReader::Next() {
  if (failed_)
    return *failed_;
  size_t avail = end_ - begin_;
  if (avail < 4) {
    if (avail == 0) {
      begin_ = end_ = 0;  // cheap reset when drained
      if (buf_.size() > kFrameReaderRetainBytes) {
        std::vector<std::byte>().swap(buf_);  // a large frame's buffer goes
      }
    }
    return std::optional<std::span<const std::byte>>();
  }
  const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + begin_);
  uint64_t len = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
  if (len > max_frame_) {
    failed_ = Error(Errc::kLimitExceeded, "frame of " + std::to_string(len) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(max_frame_));
    return *failed_;
  }
  if (avail - 4 < len) {
    return std::optional<std::span<const std::byte>>();
  }
  std::span<const std::byte> frame(buf_.data() + begin_ + 4, static_cast<size_t>(len));
  begin_ += 4 + static_cast<size_t>(len);
  return std::optional<std::span<const std::byte>>(frame);
}

}  // namespace vigie::events
