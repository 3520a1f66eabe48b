// Tests of the protobuf wire reader (wire.h): varints, tags, lengths,
// strings, fixed fields and skipping against hand-built bytes, and every
// error with its offset and place. (The writers are tested through the
// encoder, encode_test.cc.)
#include "events/proto/wire.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "events/proto/codec_testing.h"

namespace vigie::events::internal {
namespace {

using codec_testing::Unhex;

// A reader over `bytes` (kept alive by the test).
struct Reading {
  explicit Reading(std::string b, DecodeLimits l = {})
      : bytes(std::move(b)), limits(l), reader(Begin(), limits) {}
  const uint8_t* Begin() const { return reinterpret_cast<const uint8_t*>(bytes.data()); }
  const uint8_t* End() const { return Begin() + bytes.size(); }
  std::string ErrorText() { return reader.TakeError().ToString(); }

  std::string bytes;
  DecodeLimits limits;
  WireReader reader;
};

TEST(WireTest, Varints) {
  struct Case {
    const char* hex;
    uint64_t value;
  } cases[] = {{"00", 0},
               {"7f", 127},
               {"8001", 128},
               {"ac02", 300},
               {"ffffffffffffffffff01", std::numeric_limits<uint64_t>::max()}};
  for (const Case& c : cases) {
    Reading r(Unhex(c.hex));
    const uint8_t* p = r.Begin();
    uint64_t v = 0;
    ASSERT_TRUE(r.reader.ReadVarint(p, r.End(), v)) << c.hex;
    EXPECT_EQ(v, c.value) << c.hex;
    EXPECT_EQ(p, r.End()) << c.hex;
  }
}

TEST(WireTest, VarintErrors) {
  Reading truncated(Unhex("0080"));
  const uint8_t* p = truncated.Begin() + 1;
  uint64_t v = 0;
  EXPECT_FALSE(truncated.reader.ReadVarint(p, truncated.End(), v));
  EXPECT_EQ(truncated.ErrorText(), "truncated varint at offset 1");
  Reading empty("");
  p = empty.Begin();
  EXPECT_FALSE(empty.reader.ReadVarint(p, empty.End(), v));
  Reading too_long(Unhex("ffffffffffffffffffff01"));
  p = too_long.Begin();
  EXPECT_FALSE(too_long.reader.ReadVarint(p, too_long.End(), v));
  EXPECT_EQ(too_long.ErrorText(), "varint longer than 10 bytes at offset 0");
}

TEST(WireTest, Tags) {
  Reading r(
      Unhex("0a"
            "a001"
            "0d"));
  const uint8_t* p = r.Begin();
  uint32_t field = 0, wire = 0;
  ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(wire, kLengthDelimited);
  ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
  EXPECT_EQ(field, 20u);
  EXPECT_EQ(wire, kVarint);
  ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(wire, kFixed32);

  Reading zero(Unhex("02"));
  p = zero.Begin();
  EXPECT_FALSE(zero.reader.ReadTag(p, zero.End(), field, wire));
  EXPECT_EQ(zero.ErrorText(), "invalid tag at offset 0");
  // libprotobuf reads at most 5 bytes of a tag.
  Reading six(Unhex("888080808000"));
  p = six.Begin();
  EXPECT_FALSE(six.reader.ReadTag(p, six.End(), field, wire));
  EXPECT_EQ(six.ErrorText(), "invalid tag at offset 0");
}

TEST(WireTest, LengthsAndStrings) {
  Reading r(
      Unhex("03616263"
            "00"));
  const uint8_t* p = r.Begin();
  std::string s = "old";
  ASSERT_TRUE(r.reader.ReadString(p, r.End(), s));
  EXPECT_EQ(s, "abc");
  ASSERT_TRUE(r.reader.ReadString(p, r.End(), s));
  EXPECT_EQ(s, "");
  EXPECT_EQ(p, r.End());

  Reading past(Unhex("0461"));
  p = past.Begin();
  size_t len = 0;
  EXPECT_FALSE(past.reader.ReadLength(p, past.End(), len));
  EXPECT_EQ(past.ErrorText(), "length 4 past end at offset 0");
  // At least 2^31, or more than 5 bytes: not a length libprotobuf accepts.
  Reading big(Unhex("8080808008"));
  p = big.Begin();
  EXPECT_FALSE(big.reader.ReadLength(p, big.End(), len));
  EXPECT_EQ(big.ErrorText(), "invalid length at offset 0");

  DecodeLimits small;
  small.max_string_bytes = 2;
  Reading limited(Unhex("03616263"), small);
  p = limited.Begin();
  EXPECT_FALSE(limited.reader.ReadString(p, limited.End(), s));
  EXPECT_EQ(limited.reader.TakeError().code(), make_error_code(Errc::kLimitExceeded));
}

TEST(WireTest, FixedFields) {
  // 8: fixed32 30.0f, 14: fixed64 2.5, little-endian.
  Reading r(
      Unhex("450000f041"
            "710000000000000440"));
  const uint8_t* p = r.Begin();
  uint32_t field = 0, wire = 0;
  float f = 0;
  double d = 0;
  ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
  EXPECT_EQ(wire, kFixed32);
  ASSERT_TRUE(r.reader.ReadFixed(p, r.End(), f));
  EXPECT_EQ(f, 30.0f);
  ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
  EXPECT_EQ(wire, kFixed64);
  ASSERT_TRUE(r.reader.ReadFixed(p, r.End(), d));
  EXPECT_EQ(d, 2.5);

  Reading truncated(Unhex("000000"));
  p = truncated.Begin();
  EXPECT_FALSE(truncated.reader.ReadFixed(p, truncated.End(), f));
  EXPECT_EQ(truncated.ErrorText(), "truncated fixed field at offset 0");
}

TEST(WireTest, Unzigzag) {
  EXPECT_EQ(Unzigzag(0), 0);
  EXPECT_EQ(Unzigzag(1), -1);
  EXPECT_EQ(Unzigzag(2), 1);
  EXPECT_EQ(Unzigzag(126), 63);
  EXPECT_EQ(Unzigzag(127), -64);
  EXPECT_EQ(Unzigzag(std::numeric_limits<uint64_t>::max() - 1),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Unzigzag(std::numeric_limits<uint64_t>::max()), std::numeric_limits<int64_t>::min());
}

TEST(WireTest, SkipsEveryWireType) {
  // Each value after its tag: varint, fixed64, bytes, a group holding a
  // varint, fixed32.
  Reading r(
      Unhex("a001"
            "ff01"
            "a901"
            "0102030405060708"
            "b201"
            "03616263"
            "bb01"
            "0801"
            "bc01"
            "c501"
            "01020304"));
  const uint8_t* p = r.Begin();
  int fields = 0;
  while (p < r.End()) {
    uint32_t field = 0, wire = 0;
    ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
    ASSERT_TRUE(r.reader.Skip(p, r.End(), field, wire, 0)) << r.ErrorText();
    ++fields;
  }
  EXPECT_EQ(fields, 5);
}

TEST(WireTest, SkipErrors) {
  struct Case {
    const char* hex;  // a tag, then what follows it
    const char* error;
  } cases[] = {
      {"0e", "invalid wire type 6 at offset 1"},     {"0c", "unexpected end group at offset 1"},
      {"0b0801", "unterminated group at offset 3"},  {"0b14", "mismatched end group at offset 1"},
      {"09010203", "truncated fixed64 at offset 1"}, {"0d0102", "truncated fixed32 at offset 1"},
  };
  for (const Case& c : cases) {
    Reading r(Unhex(c.hex));
    const uint8_t* p = r.Begin();
    uint32_t field = 0, wire = 0;
    ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire)) << c.hex;
    EXPECT_FALSE(r.reader.Skip(p, r.End(), field, wire, 0)) << c.hex;
    EXPECT_EQ(r.ErrorText(), c.error) << c.hex;
  }
}

TEST(WireTest, GroupDepthIsBounded) {
  DecodeLimits l;
  l.max_group_depth = 2;
  // Three nested groups of field 1.
  Reading r(Unhex("0b0b0b0c0c0c"), l);
  const uint8_t* p = r.Begin();
  uint32_t field = 0, wire = 0;
  ASSERT_TRUE(r.reader.ReadTag(p, r.End(), field, wire));
  EXPECT_FALSE(r.reader.Skip(p, r.End(), field, wire, 0));
  Error e = r.reader.TakeError();
  EXPECT_EQ(e.code(), make_error_code(Errc::kLimitExceeded));
  EXPECT_EQ(e.context(), "unknown groups nested too deep at offset 3");
  Reading two(Unhex("0b0b0c0c"), l);
  p = two.Begin();
  ASSERT_TRUE(two.reader.ReadTag(p, two.End(), field, wire));
  EXPECT_TRUE(two.reader.Skip(p, two.End(), field, wire, 0));
}

TEST(WireTest, ErrorsNameTheirPlace) {
  Reading r(Unhex("80"));
  r.reader.SetPlace("event", 3);
  EXPECT_FALSE(r.reader.Fail(Errc::kInvalidArgument, r.Begin() + 1, "boom"));
  EXPECT_EQ(r.ErrorText(), "event[3]: boom at offset 1");
  r.reader.ClearPlace();
  EXPECT_FALSE(r.reader.Fail(Errc::kInvalidArgument, r.Begin(), "boom"));
  EXPECT_EQ(r.ErrorText(), "boom at offset 0");
}

}  // namespace
}  // namespace vigie::events::internal
