// WireReader::Skip: unknown fields of every wire type, groups bounded by
// DecodeLimits::max_group_depth (the codec's only recursion).
#include "events/proto/wire.h"

namespace vigie::events::internal {

bool WireReader::Skip(const uint8_t*& p, const uint8_t* end, uint32_t field, uint32_t wire,
                      int depth) {
  uint64_t v = 0;
  size_t len = 0;
  switch (wire) {
    case kVarint:
      return ReadVarint(p, end, v);
    case kFixed64:
      if (end - p < 8)
        return Fail(Errc::kInvalidArgument, p, "truncated fixed64");
      p += 8;
      return true;
    case kLengthDelimited:
      if (!ReadLength(p, end, len))
        return false;
      p += len;
      return true;
    case kFixed32:
      if (end - p < 4)
        return Fail(Errc::kInvalidArgument, p, "truncated fixed32");
      p += 4;
      return true;
    case kStartGroup: {
      if (depth >= limits_.max_group_depth) {
        return Fail(Errc::kLimitExceeded, p, "unknown groups nested too deep");
      }
      while (true) {
        if (p >= end)
          return Fail(Errc::kInvalidArgument, p, "unterminated group");
        uint32_t f = 0, w = 0;
        const uint8_t* at = p;
        if (!ReadTag(p, end, f, w))
          return false;
        if (w == kEndGroup) {
          if (f != field)
            return Fail(Errc::kInvalidArgument, at, "mismatched end group");
          return true;
        }
        if (!Skip(p, end, f, w, depth + 1))
          return false;
      }
    }
    case kEndGroup:
      return Fail(Errc::kInvalidArgument, p, "unexpected end group");
    default:
      return Fail(Errc::kInvalidArgument, p, "invalid wire type " + std::to_string(wire));
  }
}

}  // namespace vigie::events::internal
