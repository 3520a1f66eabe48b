// Tests for AddressRotation: round-robin spread, failed addresses moved to
// the back until their hold ends, marks kept across a new answer, DOWN
// addresses left out while another is UP.
#include "egress/forward/rotation.h"

#include <gtest/gtest.h>

namespace vigie::egress::forward {
namespace {

IpAddress Ip(const char* s) {
  return *IpAddress::Parse(s);
}

TEST(AddressRotationTest, SpreadsOverNewConnections) {
  AddressRotation r;
  auto now = AddressRotation::TimePoint{};
  EXPECT_TRUE(r.Candidates(now).empty());
  r.SetAddresses({Ip("127.0.0.1"), Ip("127.0.0.2")});
  EXPECT_EQ(r.Candidates(now), (std::vector{Ip("127.0.0.1"), Ip("127.0.0.2")}));
  EXPECT_EQ(r.Candidates(now), (std::vector{Ip("127.0.0.2"), Ip("127.0.0.1")}));
  EXPECT_EQ(r.Candidates(now), (std::vector{Ip("127.0.0.1"), Ip("127.0.0.2")}));
}

TEST(AddressRotationTest, FailedAddressSkippedUntilHoldEnds) {
  AddressRotation r;
  auto now = AddressRotation::TimePoint{} + std::chrono::hours(1);
  r.SetAddresses({Ip("127.0.0.1"), Ip("127.0.0.2"), Ip("127.0.0.3")});
  r.MarkFailed(Ip("127.0.0.1"), now + std::chrono::seconds(10));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(r.Candidates(now).back(), Ip("127.0.0.1"));
  // A new answer with the same address keeps the mark.
  r.SetAddresses({Ip("127.0.0.1"), Ip("127.0.0.2")});
  EXPECT_EQ(r.Candidates(now).front(), Ip("127.0.0.2"));
  EXPECT_EQ(r.Candidates(now).front(), Ip("127.0.0.2"));
  // Hold over: back in the rotation.
  auto later = now + std::chrono::seconds(11);
  auto a = r.Candidates(later).front();
  auto b = r.Candidates(later).front();
  EXPECT_NE(a, b);
  // All failed: still tried, so a connection is attempted.
  r.MarkFailed(Ip("127.0.0.2"), now + std::chrono::seconds(10));
  r.MarkFailed(Ip("127.0.0.1"), now + std::chrono::seconds(10));
  EXPECT_EQ(r.Candidates(now).size(), 2u);
  r.MarkOk(Ip("127.0.0.1"));
  EXPECT_EQ(r.Candidates(now).front(), Ip("127.0.0.1"));
  EXPECT_EQ(r.Candidates(now).front(), Ip("127.0.0.1"));
}

TEST(AddressRotationTest, DownAddressesLeftOutAndUpOnesShareEvenly) {
  AddressRotation r;
  auto now = AddressRotation::TimePoint{};
  r.SetAddresses({Ip("127.0.0.1"), Ip("127.0.0.2"), Ip("127.0.0.3")});
  auto not_first = [](const IpAddress& a) { return !(a == Ip("127.0.0.1")); };
  int second = 0, third = 0;
  for (int i = 0; i < 6; ++i) {
    auto c = r.Candidates(now, not_first);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_NE(c[0], Ip("127.0.0.1"));
    EXPECT_NE(c[1], Ip("127.0.0.1"));
    (c[0] == Ip("127.0.0.2") ? second : third)++;
  }
  // The round-robin steps over the UP ones only: an even split.
  EXPECT_EQ(second, 3);
  EXPECT_EQ(third, 3);
  // A failure hold still orders the UP ones.
  r.MarkFailed(Ip("127.0.0.2"), now + std::chrono::seconds(10));
  EXPECT_EQ(r.Candidates(now, not_first), (std::vector{Ip("127.0.0.3"), Ip("127.0.0.2")}));
  EXPECT_EQ(r.Candidates(now, not_first), (std::vector{Ip("127.0.0.3"), Ip("127.0.0.2")}));
}

TEST(AddressRotationTest, NoneUpFallsBackToEveryAddress) {
  AddressRotation r;
  auto now = AddressRotation::TimePoint{};
  r.SetAddresses({Ip("127.0.0.1"), Ip("127.0.0.2")});
  auto none = [](const IpAddress&) { return false; };
  EXPECT_EQ(r.Candidates(now, none), (std::vector{Ip("127.0.0.1"), Ip("127.0.0.2")}));
  EXPECT_EQ(r.Candidates(now, none), (std::vector{Ip("127.0.0.2"), Ip("127.0.0.1")}));
  // No predicate: as without checks.
  EXPECT_EQ(r.Candidates(now, nullptr).size(), 2u);
}

}  // namespace
}  // namespace vigie::egress::forward
