// Tests for HealthCounter: haproxy's rise/fall counting, the initial
// "UP, down at the first failure" state, haproxy's status text, and
// thresholds changed by a reload.
#include "core/health_counter.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

// Feeds `results` ('+' passed, '-' failed) and returns the state after each
// as 'U' or 'D'.
std::string Feed(HealthCounter& h, std::string_view results) {
  std::string out;
  for (char c : results) {
    h.Record(c == '+');
    out += h.up() ? 'U' : 'D';
  }
  return out;
}

TEST(HealthCounterTest, NewAddressIsUpAndFallsAtTheFirstFailure) {
  HealthCounter h(2, 3);
  EXPECT_TRUE(h.up());
  EXPECT_EQ(h.Status(), "1/3 UP");
  EXPECT_EQ(h.Record(false), HealthChange::kWentDown);
  EXPECT_FALSE(h.up());
  EXPECT_EQ(h.Status(), "0/2 DOWN");
}

TEST(HealthCounterTest, NewAddressBecomesFullyUpAtTheFirstPass) {
  HealthCounter h(2, 3);
  EXPECT_EQ(h.Record(true), HealthChange::kNone);
  EXPECT_EQ(h.Status(), "3/3 UP");
  // Fully UP: `fall` failures in a row are needed.
  EXPECT_EQ(Feed(h, "--"), "UU");
  EXPECT_EQ(h.Status(), "1/3 UP");
  EXPECT_EQ(h.Record(false), HealthChange::kWentDown);
}

TEST(HealthCounterTest, FallAndRiseCountConsecutiveResults) {
  HealthCounter h(2, 3);
  h.Record(true);
  // A pass in between resets the failure count to the top.
  EXPECT_EQ(Feed(h, "--+--+---"), "UUUUUUUUD");
  // DOWN: `rise` passes in a row, a failure starts over from 0.
  EXPECT_EQ(Feed(h, "+-+"), "DDD");
  EXPECT_EQ(h.Status(), "1/2 DOWN");
  EXPECT_EQ(h.Record(true), HealthChange::kWentUp);
  EXPECT_EQ(h.Status(), "3/3 UP");
  // Further passes and failures while DOWN saturate.
  EXPECT_EQ(Feed(h, "------"), "UUDDDD");
  EXPECT_EQ(h.health(), 0);
  EXPECT_EQ(Feed(h, "++++"), "DUUU");
  EXPECT_EQ(h.health(), 4);
}

TEST(HealthCounterTest, RiseAndFallOfOne) {
  HealthCounter h(1, 1);
  EXPECT_EQ(Feed(h, "+-+-"), "UDUD");
  EXPECT_EQ(h.Status(), "0/1 DOWN");
}

TEST(HealthCounterTest, NonPositiveThresholdsAreTreatedAsOne) {
  HealthCounter h(0, -3);
  EXPECT_EQ(h.rise(), 1);
  EXPECT_EQ(h.fall(), 1);
  EXPECT_EQ(Feed(h, "-+"), "DU");
}

TEST(HealthCounterTest, NewThresholdsKeepTheState) {
  HealthCounter up(2, 3);
  up.Record(true);
  up.Record(false);  // one failure counted: 2/3 UP
  up.SetThresholds(3, 5);
  EXPECT_TRUE(up.up());
  EXPECT_EQ(up.Status(), "4/5 UP");
  up.SetThresholds(2, 1);  // fewer failures allowed than already counted: stays UP
  EXPECT_TRUE(up.up());
  EXPECT_EQ(up.Record(false), HealthChange::kWentDown);

  HealthCounter down(3, 3);
  Feed(down, "-++");  // DOWN with 2 passes of 3
  EXPECT_EQ(down.Status(), "2/3 DOWN");
  down.SetThresholds(2, 3);  // 2 passes would now be UP: stays DOWN, one pass short
  EXPECT_FALSE(down.up());
  EXPECT_EQ(down.Status(), "1/2 DOWN");
  EXPECT_EQ(down.Record(true), HealthChange::kWentUp);
}

TEST(HealthCounterTest, ForceSetsFullyUpOrFullyDown) {
  HealthCounter h(2, 3);
  h.Force(false);
  EXPECT_FALSE(h.up());
  EXPECT_EQ(h.health(), 0);
  EXPECT_EQ(Feed(h, "+"), "D");  // needs `rise` passes again
  h.Force(true);
  EXPECT_TRUE(h.full());
  EXPECT_EQ(h.Status("DRAIN"), "3/3 DRAIN");
  EXPECT_EQ(Feed(h, "--"), "UU");  // needs `fall` failures again
}

}  // namespace
}  // namespace vigie
