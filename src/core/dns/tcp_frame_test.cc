// Tests for TCP framing: the stream split at every offset and fed in pieces.
#include "core/dns/tcp_frame.h"

#include <gtest/gtest.h>

#include "core/dns/message.h"
#include "core/dns/test_util.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

std::vector<std::byte> TwoFramedQueries() {
  std::vector<std::byte> stream;
  for (const char* name : {"a.example", "bb.example"}) {
    size_t start = stream.size();
    Encode(testing::MakeQuery(name, rr_type::kA), &stream);
    PrefixTcpLength(&stream, start);
  }
  return stream;
}

// Feeds `stream` in chunks cut at `cuts`, returns the decoded question names.
std::vector<std::string> Drain(const std::vector<std::byte>& stream, std::vector<size_t> cuts) {
  std::vector<std::string> names;
  std::vector<std::byte> buffer;
  size_t fed = 0;
  cuts.push_back(stream.size());
  for (size_t cut : cuts) {
    buffer.insert(buffer.end(), stream.begin() + static_cast<std::ptrdiff_t>(fed),
                  stream.begin() + static_cast<std::ptrdiff_t>(cut));
    fed = cut;
    for (;;) {
      auto frame = NextTcpFrame(buffer);
      EXPECT_TRUE(frame);
      if (!frame || !*frame) {
        break;
      }
      auto q = DecodeQuery((*frame)->message);
      EXPECT_TRUE(q);
      if (q) {
        names.push_back(q->questions[0].name.ToKey());
      }
      buffer.erase(buffer.begin(),
                   buffer.begin() + static_cast<std::ptrdiff_t>((*frame)->consumed));
    }
  }
  return names;
}

TEST(TcpFrameTest, SplitAtEveryOffset) {
  auto stream = TwoFramedQueries();
  const std::vector<std::string> want = {"a.example", "bb.example"};
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    EXPECT_EQ(Drain(stream, {cut}), want) << "cut at " << cut;
  }
}

TEST(TcpFrameTest, OneByteAtATime) {
  auto stream = TwoFramedQueries();
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) {
    cuts.push_back(i);
  }
  EXPECT_EQ(Drain(stream, cuts), (std::vector<std::string>{"a.example", "bb.example"}));
}

TEST(TcpFrameTest, NeedMoreIsNotAnError) {
  auto r = NextTcpFrame(testing::Raw({0x00}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  r = NextTcpFrame(testing::Raw({0x00, 0x20, 1, 2, 3}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(TcpFrameTest, BadLengths) {
  EXPECT_EQ(NextTcpFrame(testing::Raw({0x00, 0x05, 1, 2, 3, 4, 5})).error().code(),
            Errc::kTruncated);
  Limits limits;
  limits.max_message_size = 512;
  EXPECT_EQ(NextTcpFrame(testing::Raw({0x10, 0x00}), limits).error().code(),
            Errc::kMessageTooLarge);
}

}  // namespace
}  // namespace vigie::dns
