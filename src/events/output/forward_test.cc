// Tests of how the forward output reads a server's reply: the frame length
// and the three kinds of acknowledgement.
#include "events/output/forward.h"

#include <array>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "events/proto/codec.h"

namespace vigie::events {
namespace {

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

TEST(ForwardAckTest, FrameLengthIsBigEndian) {
  std::array<std::byte, 4> head{std::byte{0x01}, std::byte{0x02}, std::byte{0x03}, std::byte{0xff}};
  EXPECT_EQ(FrameLength(head), 0x010203ffu);
  head = {};
  EXPECT_EQ(FrameLength(head), 0u);
}

TEST(ForwardAckTest, ReadsWhatAFramedReplySays) {
  // A reply as a Riemann server frames it: the head gives the body's size.
  std::string frame;
  AppendFrame(OkReply(), frame);
  ASSERT_GE(frame.size(), 4u);
  auto bytes = Bytes(frame);
  EXPECT_EQ(FrameLength(bytes.first<4>()), frame.size() - 4);
  EXPECT_EQ(ReadForwardAck(bytes.subspan(4)).kind, ForwardAck::Kind::kAcked);
}

TEST(ForwardAckTest, RefusalsCarryTheServerError) {
  std::string body;
  EncodeMsg(ErrorReply("overloaded"), body);
  ForwardAck ack = ReadForwardAck(Bytes(body));
  EXPECT_EQ(ack.kind, ForwardAck::Kind::kRefused);
  EXPECT_EQ(ack.error, "overloaded");
  Msg not_ok;
  not_ok.ok = false;
  body.clear();
  EncodeMsg(not_ok, body);
  ack = ReadForwardAck(Bytes(body));
  EXPECT_EQ(ack.kind, ForwardAck::Kind::kRefused);
  EXPECT_EQ(ack.error, "(no error text)");
  // A Msg without `ok` is no acknowledgement either.
  body.clear();
  EncodeMsg(Msg{}, body);
  EXPECT_EQ(ReadForwardAck(Bytes(body)).kind, ForwardAck::Kind::kRefused);
}

TEST(ForwardAckTest, BytesThatAreNoMsgAreUnreadable) {
  EXPECT_EQ(ReadForwardAck(Bytes(std::string("\xff\xff\xff", 3))).kind,
            ForwardAck::Kind::kUnreadable);
}

}  // namespace
}  // namespace vigie::events
