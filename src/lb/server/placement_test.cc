#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "lb/server/listeners.h"

namespace vigie::lb {
namespace {

std::size_t Place(std::vector<std::int64_t> active, std::size_t self) {
  return PlaceConnection(active, self);
}

TEST(PlaceConnectionTest, KeepsTheConnectionWhenLoadsAreEvenEnough) {
  EXPECT_EQ(Place({0, 0}, 0), 0u);
  EXPECT_EQ(Place({5, 4}, 0), 0u);  // one more than the other: within the slack
  EXPECT_EQ(Place({4, 5}, 0), 0u);  // the accepting worker is the lighter one
  EXPECT_EQ(Place({9, 9, 9}, 2), 2u);
  EXPECT_EQ(Place({7}, 0), 0u);  // one worker
}

TEST(PlaceConnectionTest, HandsOffToTheLeastLoadedPastTheSlack) {
  EXPECT_EQ(Place({2, 0}, 0), 1u);
  EXPECT_EQ(Place({0, 30}, 1), 0u);
  EXPECT_EQ(Place({10, 7, 3, 3}, 0), 2u);  // the first of the least loaded
  EXPECT_EQ(Place({10, 7, 3, 3}, 1), 2u);
  EXPECT_EQ(Place({4, 7, 3, 3}, 0), 0u);  // 4 - 3 < slack
}

// A burst accepted by one worker (it was awake, the others asleep) ends up
// spread evenly once each connection is counted where it is placed.
TEST(PlaceConnectionTest, ABurstAcceptedByOneWorkerIsSpread) {
  for (std::size_t workers : {2u, 3u, 8u}) {
    std::vector<std::int64_t> active(workers, 0);
    for (int i = 0; i < 100; ++i) {
      ++active[PlaceConnection(active, 0)];
    }
    auto [lo, hi] = std::minmax_element(active.begin(), active.end());
    EXPECT_LE(*hi - *lo, kPlacementSlack) << workers << " workers";
  }
}

}  // namespace
}  // namespace vigie::lb
