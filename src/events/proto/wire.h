// Internal to events/proto: the protobuf wire format as the Riemann codec
// (codec.h) reads it. WireReader reads varints, tags, lengths, strings and
// fixed fields with explicit bounds and keeps the first error, naming the
// offset and, inside an embedded message, its place ("event[3]: ...").
// codec.cc decodes Msg, Event, State, Query and Attribute with it, and
// encodes them with writers of its own (PutVarint, PutString, ...): moved out
// of that file, here or into an encode.cc, g++ 12 inlined them differently
// and encoding was about 20% slower (events_proto_bench BM_Encode).
//
// Thread rules: a WireReader reads one buffer on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "core/error.h"
#include "events/proto/codec.h"

namespace vigie::events::internal {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Reading functions advance `p` (never past `end`) and return true, or keep
// the first error and return false.
class WireReader {
 public:
  // `base` is the start of the whole buffer: offsets in errors count from it.
  WireReader(const uint8_t* base, const DecodeLimits& limits) : base_(base), limits_(limits) {}

  const DecodeLimits& limits() const { return limits_; }
  Error TakeError() { return std::move(error_); }

  // Errors from now on are placed inside `kind`[`index`] ("event", 3), until
  // ClearPlace().
  void SetPlace(const char* kind, size_t index) {
    where_kind_ = kind;
    where_index_ = index;
  }
  void ClearPlace() { where_kind_ = nullptr; }

  // Keeps the error "<place>: <what> at offset N" and returns false.
  bool Fail(Errc code, const uint8_t* at, std::string what) {
    std::string where;
    if (where_kind_ != nullptr) {
      where = std::string(where_kind_) + "[" + std::to_string(where_index_) + "]: ";
    }
    error_ = Error(code, where + what + " at offset " + std::to_string(at - base_));
    return false;
  }

  bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
    // Fast path: one byte.
    if (p < end && *p < 0x80) [[likely]] {
      v = *p++;
      return true;
    }
    const uint8_t* start = p;
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p >= end) {
        return Fail(Errc::kInvalidArgument, start, "truncated varint");
      }
      uint8_t b = *p++;
      result |= static_cast<uint64_t>(b & 0x7f) << (shift < 64 ? shift : 63);
      if (b < 0x80) {
        v = result;
        return true;
      }
    }
    return Fail(Errc::kInvalidArgument, start, "varint longer than 10 bytes");
  }

  bool ReadTag(const uint8_t*& p, const uint8_t* end, uint32_t& field, uint32_t& wire) {
    const uint8_t* at = p;
    uint64_t tag = 0;
    if (!ReadVarint(p, end, tag))
      return false;
    // libprotobuf reads a tag as at most 5 bytes, keeping the low 32 bits.
    tag &= 0xffffffffu;
    if (p - at > 5 || (tag >> 3) == 0) {
      return Fail(Errc::kInvalidArgument, at, "invalid tag");
    }
    field = static_cast<uint32_t>(tag >> 3);
    wire = static_cast<uint32_t>(tag & 7);
    return true;
  }

  // Reads a length prefix and checks the bytes are there.
  bool ReadLength(const uint8_t*& p, const uint8_t* end, size_t& len) {
    const uint8_t* at = p;
    uint64_t v = 0;
    if (!ReadVarint(p, end, v))
      return false;
    // libprotobuf: a size is at most 5 bytes and below 2^31.
    if (p - at > 5 || v > 0x7fffffffu) {
      return Fail(Errc::kInvalidArgument, at, "invalid length");
    }
    if (v > static_cast<uint64_t>(end - p)) {
      return Fail(Errc::kInvalidArgument, at, "length " + std::to_string(v) + " past end");
    }
    len = static_cast<size_t>(v);
    return true;
  }

  // A length-delimited string of at most limits().max_string_bytes.
  bool ReadString(const uint8_t*& p, const uint8_t* end, std::string& out) {
    const uint8_t* at = p;
    size_t len = 0;
    if (!ReadLength(p, end, len))
      return false;
    if (len > limits_.max_string_bytes) {
      return Fail(Errc::kLimitExceeded, at, "string of " + std::to_string(len) + " bytes");
    }
    out.assign(reinterpret_cast<const char*>(p), len);
    p += len;
    return true;
  }

  template <class T>
  bool ReadFixed(const uint8_t*& p, const uint8_t* end, T& out) {
    if (static_cast<size_t>(end - p) < sizeof(T)) {
      return Fail(Errc::kInvalidArgument, p, "truncated fixed field");
    }
    // The wire is little-endian, as is every host vigie builds for.
    std::memcpy(&out, p, sizeof(T));
    p += sizeof(T);
    return true;
  }

  // Skips the value of a field whose tag was just read (unknown fields, and
  // known ones with another wire type). Groups nest at most
  // limits().max_group_depth deep.
  bool Skip(const uint8_t*& p, const uint8_t* end, uint32_t field, uint32_t wire, int depth);

 private:
  const uint8_t* base_;
  const DecodeLimits& limits_;
  // Where an error happened: "event" and 3 while inside the 4th event.
  const char* where_kind_ = nullptr;
  size_t where_index_ = 0;
  Error error_;
};

// Zigzag (sint64): 0,1,2,3,... -> 0,-1,1,-2,...
inline int64_t Unzigzag(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

}  // namespace vigie::events::internal
