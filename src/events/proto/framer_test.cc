// Tests of FrameReader: frames split at every offset, one byte at a time,
// pipelined frames, the zero-copy path and the frame size limit.
#include "events/proto/framer.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/proto/codec.h"

namespace vigie::events {
namespace {

std::span<const std::byte> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string AsString(std::span<const std::byte> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::string Frame(std::string_view payload) {
  std::string out;
  size_t n = payload.size();
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(payload);
  return out;
}

// Drains every complete frame.
std::vector<std::string> Drain(FrameReader& r) {
  std::vector<std::string> out;
  while (true) {
    auto next = r.Next();
    EXPECT_TRUE(next) << next.error().ToString();
    if (!next || !next->has_value())
      break;
    out.push_back(AsString(**next));
  }
  return out;
}

TEST(FrameReaderTest, EmptyIsNeedMore) {
  FrameReader r;
  auto next = r.Next();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->has_value());
}

TEST(FrameReaderTest, SplitAtEveryOffset) {
  std::string stream = Frame("first") + Frame("") + Frame(std::string(300, 'x'));
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader r;
    r.Feed(Bytes(std::string_view(stream).substr(0, cut)));
    std::vector<std::string> got = Drain(r);
    r.Feed(Bytes(std::string_view(stream).substr(cut)));
    std::vector<std::string> rest = Drain(r);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(got[0], "first");
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[2], std::string(300, 'x'));
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(FrameReaderTest, OneByteAtATime) {
  std::string stream;
  for (int i = 0; i < 50; ++i)
    stream += Frame("payload-" + std::to_string(i));
  FrameReader r;
  std::vector<std::string> got;
  for (char c : stream) {
    r.Feed(Bytes(std::string_view(&c, 1)));
    auto more = Drain(r);
    got.insert(got.end(), more.begin(), more.end());
  }
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(got[i], "payload-" + std::to_string(i));
}

TEST(FrameReaderTest, ZeroCopyPrepareCommit) {
  std::string stream = Frame("abc") + Frame("defg");
  FrameReader r;
  size_t fed = 0;
  std::vector<std::string> got;
  while (fed < stream.size()) {
    auto buf = r.Prepare(3);
    ASSERT_GE(buf.size(), 3u);
    size_t n = std::min<size_t>(3, stream.size() - fed);
    std::memcpy(buf.data(), stream.data() + fed, n);
    r.Commit(n);
    fed += n;
    auto more = Drain(r);
    got.insert(got.end(), more.begin(), more.end());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"abc", "defg"}));
}

TEST(FrameReaderTest, OversizedFrameIsAnErrorAndSticks) {
  FrameReader r(/*max_frame=*/10);
  r.Feed(Bytes(Frame(std::string(10, 'a'))));  // exactly the limit: fine
  auto ok = r.Next();
  ASSERT_TRUE(ok && ok->has_value());
  r.Feed(Bytes(std::string("\x00\x00\x00\x0b", 4)));  // 11 announced
  auto bad = r.Next();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kLimitExceeded);
  EXPECT_NE(bad.error().ToString().find("frame of 11 bytes"), std::string::npos);
  r.Feed(Bytes(Frame("x")));
  EXPECT_FALSE(r.Next());
}

TEST(FrameReaderTest, HugeAnnouncedLengthFailsBeforeBuffering) {
  FrameReader r;
  r.Feed(Bytes(std::string("\xff\xff\xff\xff", 4)));
  auto bad = r.Next();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kLimitExceeded);
}

TEST(FrameReaderTest, FramesFromAppendFrameDecode) {
  Msg m;
  m.events.emplace_back().set_host("h");
  std::string stream;
  AppendFrame(m, stream);
  AppendFrame(OkReply(), stream);
  FrameReader r;
  r.Feed(Bytes(stream));
  auto f1 = r.Next();
  ASSERT_TRUE(f1 && f1->has_value());
  auto d1 = DecodeMsg(**f1);
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->events.at(0).host(), "h");
  auto f2 = r.Next();
  ASSERT_TRUE(f2 && f2->has_value());
  auto d2 = DecodeMsg(**f2);
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->ok, true);
}

// A connection that once sent a large frame must not keep its buffer for
// life: once what it holds fits, the buffer returns to its normal size.
TEST(FrameReaderTest, ABufferShrinksBackAfterALargeFrame) {
  FrameReader r(8u << 20);
  std::string big = Frame(std::string(7u << 20, 'x'));
  r.Feed(Bytes(big));
  EXPECT_GE(r.capacity(), 7u << 20);
  auto f = r.Next();
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->size(), 7u << 20);
  auto none = r.Next();
  ASSERT_TRUE(none && !*none);
  EXPECT_LE(r.capacity(), kFrameReaderRetainBytes);
  // The same when the large frame is followed by part of the next one, on
  // the zero-copy path the server uses.
  std::string two = Frame(std::string(3u << 20, 'y')) + Frame("hello").substr(0, 3);
  for (size_t off = 0; off < two.size();) {
    std::span<std::byte> space = r.Prepare(64 * 1024);
    size_t n = std::min(space.size(), two.size() - off);
    std::memcpy(space.data(), two.data() + off, n);
    r.Commit(n);
    off += n;
  }
  f = r.Next();
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->size(), 3u << 20);
  none = r.Next();
  ASSERT_TRUE(none && !*none);
  r.Prepare(64 * 1024);
  EXPECT_LE(r.capacity(), kFrameReaderRetainBytes);
  r.Feed(Bytes(Frame("hello").substr(3)));
  EXPECT_EQ(Drain(r), std::vector<std::string>{"hello"});
}

}  // namespace
}  // namespace vigie::events
