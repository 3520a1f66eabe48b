// Tests of the Riemann protobuf codec: bytes captured from riemann-c-client
// 1.10.4, hand-built wire vectors, round trips, limits and every error path.
#include "events/proto/codec.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "events/proto/codec_testing.h"

namespace vigie::events {
namespace {

using codec_testing::Bytes;
using codec_testing::Unhex;

// `riemann-client send -h myhost -S "cpu user" -s ok -i 42 -t tag1 -t tag2
//  -L 30 -a rack=n1 -D desc`, captured on a loopback listener (frame body
// after the 4-byte length 0x5b).
constexpr std::string_view kCClientSend =
    "325912026f6b1a08637075207573657222066d79686f73742a04646573633a04746167313a0474616732450000f0"
    "414a1c0a08782d636c69656e7412107269656d616e6e2d632d636c69656e744a0a0a047261636b12026e316854";
// `riemann-client send -h h -S s -i -7 -d 2.5 -f 1.25` (body after 0x36).
constexpr std::string_view kCClientMetrics =
    "32341a01732201684a1c0a08782d636c69656e7412107269656d616e6e2d632d636c69656e74680d710000000000"
    "0004407d0000a03f";
// `riemann-client query 'host = "a" and service = "b"'` (body after 0x20).
constexpr std::string_view kCClientQuery =
    "2a1e0a1c686f7374203d2022612220616e642073657276696365203d20226222";

TEST(CodecTest, DecodesRiemannCClientSend) {
  std::string wire = Unhex(kCClientSend);
  auto msg = DecodeMsg(wire);
  ASSERT_TRUE(msg) << msg.error().ToString();
  ASSERT_EQ(msg->events.size(), 1u);
  const Event& e = msg->events[0];
  EXPECT_EQ(e.host(), "myhost");
  EXPECT_EQ(e.service(), "cpu user");
  EXPECT_EQ(e.state(), "ok");
  EXPECT_EQ(e.description(), "desc");
  EXPECT_EQ(e.tags(), (std::vector<std::string>{"tag1", "tag2"}));
  EXPECT_TRUE(e.Has(Event::kTtl));
  EXPECT_EQ(e.ttl(), 30.0f);
  // The C client sends no time: the server stamps it.
  EXPECT_FALSE(e.Has(Event::kTime));
  EXPECT_FALSE(e.Has(Event::kTimeMicros));
  EXPECT_FALSE(e.GetTimeMicros().has_value());
  ASSERT_EQ(e.attributes().size(), 2u);
  EXPECT_EQ(e.attributes()[0].key, "x-client");
  EXPECT_EQ(e.attributes()[0].value, "riemann-c-client");
  EXPECT_EQ(e.attributes()[1].key, "rack");
  EXPECT_EQ(e.attributes()[1].value, "n1");
  ASSERT_TRUE(e.GetMetric());
  EXPECT_EQ(*e.GetMetric(), Metric::Int(42));
  EXPECT_FALSE(e.Has(Event::kMetricD));
  EXPECT_FALSE(e.Has(Event::kMetricF));
  EXPECT_FALSE(msg->query.has_value());
  EXPECT_FALSE(msg->ok.has_value());
  // Our encoder writes the very same bytes (field-number order).
  std::string again;
  EncodeMsg(*msg, again);
  EXPECT_EQ(again, wire);
}

TEST(CodecTest, DecodesZigzagNegativeAndAllMetricFields) {
  std::string wire = Unhex(kCClientMetrics);
  auto msg = DecodeMsg(wire);
  ASSERT_TRUE(msg) << msg.error().ToString();
  const Event& e = msg->events.at(0);
  EXPECT_EQ(e.metric_sint64(), -7);
  EXPECT_EQ(e.metric_d(), 2.5);
  EXPECT_EQ(e.metric_f(), 1.25f);
  // metric_sint64 wins over metric_d and metric_f.
  EXPECT_EQ(*e.GetMetric(), Metric::Int(-7));
  std::string again;
  EncodeMsg(*msg, again);
  EXPECT_EQ(again, wire);
}

TEST(CodecTest, DecodesQuery) {
  auto msg = DecodeMsg(Unhex(kCClientQuery));
  ASSERT_TRUE(msg);
  ASSERT_TRUE(msg->query && msg->query->string);
  EXPECT_EQ(*msg->query->string, "host = \"a\" and service = \"b\"");
  EXPECT_TRUE(msg->events.empty());
}

TEST(CodecTest, ZigzagExtremes) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX, int64_t{-64},
                    int64_t{63}, int64_t{64}}) {
    Msg m;
    m.events.emplace_back().set_metric_sint64(v);
    std::string wire;
    EncodeMsg(m, wire);
    auto back = DecodeMsg(wire);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->events[0].metric_sint64(), v);
  }
  // Hand-checked: -1 -> 1, 1 -> 2, 63 -> 126 (one byte), -64 -> 127.
  Msg m;
  m.events.emplace_back().set_metric_sint64(-64);
  std::string wire;
  EncodeMsg(m, wire);
  EXPECT_EQ(wire, Unhex("3202687f"));
}

Msg FullMsg() {
  Msg m;
  m.ok = true;
  m.error = "boom";
  State s;
  s.time = 7;
  s.state = "warning";
  s.service = "disk";
  s.host = "h1";
  s.description = "d";
  s.once = true;
  s.tags = {"a", "b"};
  s.ttl = 12.5f;
  m.states.push_back(s);
  m.query = Query{"true"};
  Event& e = m.events.emplace_back();
  e.set_time(1'700'000'000);
  e.set_state("critical");
  e.set_service("svc");
  e.set_host("host.example");
  e.set_description(std::string("bin\0ary", 7));
  e.add_tag("t1");
  e.set_ttl(60.0f);
  e.add_attribute("k", "v");
  e.mutable_attributes().push_back(Attribute{"novalue", "", false});
  e.set_time_micros(1'700'000'000'123'456);
  e.set_metric_sint64(-123456789);
  e.set_metric_d(-0.0);
  e.set_metric_f(3.5f);
  m.events.emplace_back();  // an empty event
  return m;
}

TEST(CodecTest, RoundTripsEveryField) {
  Msg m = FullMsg();
  std::string wire;
  EncodeMsg(m, wire);
  EXPECT_EQ(wire.size(), MsgEncodedSize(m));
  auto back = DecodeMsg(wire);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, m);
  EXPECT_FALSE(back->events[0].attributes()[1].has_value);
  EXPECT_TRUE(std::signbit(back->events[0].metric_d()));
}

TEST(CodecTest, DecodesABareEvent) {
  Msg m = FullMsg();
  const Event& full = m.events[0];
  std::string wire;
  EncodeEvent(full, wire);
  auto e = DecodeEvent(wire);
  ASSERT_TRUE(e) << e.error().ToString();
  EXPECT_EQ(*e, full);
  // Errors inside a bare event name no place but the offset.
  auto bad = DecodeEvent(Unhex("2205"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().ToString(), "length 5 past end at offset 1");
}

TEST(CodecTest, DecodesAtEveryTruncationWithoutCrashingAndFailsCleanly) {
  Msg m = FullMsg();
  std::string wire;
  EncodeMsg(m, wire);
  int failures = 0;
  for (size_t n = 0; n < wire.size(); ++n) {
    auto r = DecodeMsg(std::string_view(wire).substr(0, n));
    if (!r) {
      ++failures;
      EXPECT_EQ(r.error().code(), Errc::kInvalidArgument);
      EXPECT_NE(r.error().ToString().find("offset"), std::string::npos);
    }
  }
  // Cutting inside a field always fails; only cuts at top-level field
  // boundaries parse (5 such boundaries before the end).
  EXPECT_GE(failures, static_cast<int>(wire.size()) - 6);
}

TEST(CodecTest, ReusingDecodeMatchesFreshDecode) {
  Msg big = FullMsg();
  for (int i = 0; i < 5; ++i)
    big.events.push_back(big.events[0]);
  Msg small;
  small.events.emplace_back().set_host("only");
  std::string w1, w2;
  EncodeMsg(big, w1);
  EncodeMsg(small, w2);
  Msg reused;
  ASSERT_TRUE(DecodeMsgInto(Bytes(w1), {}, reused));
  EXPECT_EQ(reused, big);
  ASSERT_TRUE(DecodeMsgInto(Bytes(w2), {}, reused));
  EXPECT_EQ(reused, small);  // no leftovers from the bigger message
  ASSERT_TRUE(DecodeMsgInto(Bytes(w1), {}, reused));
  EXPECT_EQ(reused, big);
}

TEST(CodecTest, SkipsUnknownFieldsOfEveryWireType) {
  // Event: host "h", then unknown fields 20 (varint), 21 (fixed64),
  // 22 (bytes), 23 (group with a nested varint), 24 (fixed32), then state.
  std::string ev = Unhex(
      "220168"                // 4: "h"
      "a001ff01"              // 20 varint 255
      "a9010102030405060708"  // 21 fixed64
      "b20103616263"          // 22 bytes "abc"
      "bb01"
      "0801"
      "bc01"          // 23 start group, field 1 varint 1, 23 end group
      "c50101020304"  // 24 fixed32
      "12026f6b");    // 2: "ok"
  std::string msg = "\x32" + std::string(1, static_cast<char>(ev.size())) + ev;
  // And an unknown top-level field 9 (varint).
  msg += Unhex("4801");
  auto r = DecodeMsg(msg);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->events[0].host(), "h");
  EXPECT_EQ(r->events[0].state(), "ok");
}

TEST(CodecTest, KnownFieldWithWrongWireTypeIsSkipped) {
  // Field 4 (host) sent as a varint: libprotobuf treats it as unknown.
  auto r =
      DecodeMsg(Unhex("3204"
                      "2005"
                      "1801"));  // event{4:varint 5, 3:varint 1}
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->events[0].Has(Event::kHost));
  EXPECT_FALSE(r->events[0].Has(Event::kService));
}

TEST(CodecTest, LastSingularValueWinsAndQueriesMerge) {
  auto r =
      DecodeMsg(Unhex("3206"
                      "220161"
                      "220162"  // host "a" then "b"
                      "2a03"
                      "0a0178"   // query "x"
                      "2a00"));  // empty query merges
  ASSERT_TRUE(r);
  EXPECT_EQ(r->events[0].host(), "b");
  EXPECT_EQ(*r->query->string, "x");
}

struct BadCase {
  const char* name;
  const char* hex;
  Errc code;
  const char* message_part;
};

class CodecErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CodecErrorTest, Fails) {
  auto r = DecodeMsg(Unhex(GetParam().hex));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), GetParam().code);
  EXPECT_NE(r.error().ToString().find(GetParam().message_part), std::string::npos)
      << r.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    All, CodecErrorTest,
    ::testing::Values(
        BadCase{"TruncatedTag", "80", Errc::kInvalidArgument, "truncated varint at offset 0"},
        BadCase{"FieldZero", "0001", Errc::kInvalidArgument, "invalid tag"},
        BadCase{"LengthPastEnd", "3205220168", Errc::kInvalidArgument, "past end"},
        BadCase{"StringPastEnd", "32022205", Errc::kInvalidArgument, "event[0]: length 5 past end"},
        BadCase{"VarintTooLong", "10ffffffffffffffffffff01", Errc::kInvalidArgument,
                "longer than 10 bytes"},
        BadCase{"WireType6", "0e", Errc::kInvalidArgument, "invalid wire type 6"},
        BadCase{"StrayEndGroup", "0c", Errc::kInvalidArgument, "unexpected end group"},
        BadCase{"UnterminatedGroup", "0b0801", Errc::kInvalidArgument, "unterminated group"},
        BadCase{"MismatchedGroup", "0b14", Errc::kInvalidArgument, "mismatched end group"},
        BadCase{"TruncatedFixed32", "3203450000", Errc::kInvalidArgument, "truncated fixed field"},
        BadCase{"TruncatedFixed64", "320371000000", Errc::kInvalidArgument,
                "truncated fixed field"},
        BadCase{"AttributeWithoutKey",
                "3205220168"
                "4a00",
                Errc::kInvalidArgument, "event[0]: attribute without required key"},
        BadCase{"AttributeValueOnly", "32054a03120176", Errc::kInvalidArgument,
                "attribute without required key"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(CodecTest, LimitsAreEnforced) {
  Msg m;
  Event& e = m.events.emplace_back();
  e.add_tag("a");
  e.add_tag("b");
  e.add_attribute("k1", "v");
  e.add_attribute("k2", "v");
  e.set_host(std::string(100, 'x'));
  m.events.emplace_back();
  std::string wire;
  EncodeMsg(m, wire);

  DecodeLimits l;
  l.max_tags = 1;
  auto r = DecodeMsg(wire, l);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);
  EXPECT_NE(r.error().ToString().find("tags"), std::string::npos);

  l = {};
  l.max_attributes = 1;
  r = DecodeMsg(wire, l);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("attributes"), std::string::npos);

  l = {};
  l.max_string_bytes = 99;
  r = DecodeMsg(wire, l);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("string of 100 bytes"), std::string::npos);

  l = {};
  l.max_events = 1;
  r = DecodeMsg(wire, l);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("events"), std::string::npos);

  l = {};
  l.max_events = 2;
  EXPECT_TRUE(DecodeMsg(wire, l));
}

TEST(CodecTest, GroupDepthIsBounded) {
  // 20 nested start groups of field 1.
  std::string wire;
  for (int i = 0; i < 20; ++i)
    wire += '\x0b';
  for (int i = 0; i < 20; ++i)
    wire += '\x0c';
  auto r = DecodeMsg(wire);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);
  DecodeLimits l;
  l.max_group_depth = 32;
  EXPECT_TRUE(DecodeMsg(wire, l));
}

TEST(CodecTest, DatagramSizeLimit) {
  // 16384 bytes of a valid message: one event with a long host.
  Msg m;
  m.events.emplace_back().set_host(std::string(kMaxUdpDatagram - 6, 'h'));
  std::string wire;
  EncodeMsg(m, wire);
  ASSERT_EQ(wire.size(), kMaxUdpDatagram);
  EXPECT_TRUE(DecodeDatagram(Bytes(wire)));
  wire.push_back('\x08');  // one byte more: refused before parsing
  auto r = DecodeDatagram(Bytes(wire));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);
}

TEST(CodecTest, SizesMatchTheEncodingAndEncodersAppend) {
  Msg m = FullMsg();
  for (const Event& e : m.events) {
    std::string wire = "xy";
    EncodeEvent(e, wire);
    EXPECT_EQ(wire.size(), 2 + EventEncodedSize(e));
    EXPECT_EQ(wire.substr(0, 2), "xy");
  }
  std::string wire;
  EncodeMsg(m, wire);
  EXPECT_EQ(wire.size(), MsgEncodedSize(m));
  std::string appended = "xy";
  EncodeMsg(m, appended);
  EXPECT_EQ(appended, "xy" + wire);
  std::string frame;
  AppendFrame(m, frame);
  ASSERT_EQ(frame.size(), 4 + wire.size());
  EXPECT_EQ(frame.substr(4), wire);
  size_t len = (size_t{static_cast<uint8_t>(frame[0])} << 24) |
               (size_t{static_cast<uint8_t>(frame[1])} << 16) |
               (size_t{static_cast<uint8_t>(frame[2])} << 8) | static_cast<uint8_t>(frame[3]);
  EXPECT_EQ(len, wire.size());
}

TEST(CodecTest, RepliesAndFrames) {
  std::string out;
  AppendFrame(OkReply(), out);
  EXPECT_EQ(out, Unhex("000000021001"));
  out.clear();
  AppendFrame(ErrorReply("parse error: x"), out);
  EXPECT_EQ(out, Unhex("00000012"
                       "1000"
                       "1a0e") +
                     "parse error: x");
}

}  // namespace
}  // namespace vigie::events
