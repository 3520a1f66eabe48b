// Tests for AddressRotation: round-robin spread, failed addresses moved to
// the back until their hold ends, marks kept across a new answer.
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

}  // namespace
}  // namespace vigie::egress::forward
