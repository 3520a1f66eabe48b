// Tests for ServerPool: distribution counts per algorithm, backups, maxconn
// queueing, slowstart ramp, drain/maint, and source-hash stability.
#include "lb/balance/server_pool.h"

#include <array>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::balance {
namespace {

using namespace std::chrono_literals;
using Kind = Pick::Kind;

const Clock::time_point kT0 = Clock::time_point{} + 1000h;
constexpr std::array<std::uint8_t, 4> kNoAddr = {0, 0, 0, 0};

std::vector<ServerSpec> Specs(std::initializer_list<int> weights) {
  std::vector<ServerSpec> v;
  int n = 0;
  for (int w : weights) {
    ServerSpec s;
    s.name = "s" + std::to_string(++n);
    s.weight = w;
    v.push_back(s);
  }
  return v;
}

// Selects `n` times, ending each connection at once; returns the sequence.
std::vector<std::size_t> Drive(ServerPool& pool, int n, Clock::time_point now = kT0) {
  std::vector<std::size_t> seq;
  for (int k = 0; k < n; ++k) {
    Pick p = pool.Select(kNoAddr, now);
    EXPECT_EQ(p.kind, Kind::kServer);
    seq.push_back(p.server);
    pool.ConnectionEnded(p.server);
  }
  return seq;
}

std::map<std::size_t, int> Count(const std::vector<std::size_t>& seq) {
  std::map<std::size_t, int> m;
  for (std::size_t i : seq)
    ++m[i];
  return m;
}

TEST(RoundRobinTest, EqualWeightsRotateInOrder) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1, 1}));
  EXPECT_THAT(Drive(pool, 6), ::testing::ElementsAre(0, 1, 2, 0, 1, 2));
}

TEST(RoundRobinTest, WeightedAndSmooth) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({5, 1, 1}));
  auto seq = Drive(pool, 7);
  EXPECT_THAT(seq, ::testing::ElementsAre(0, 0, 1, 0, 2, 0, 0));  // interleaved, not 5 in a row
  auto counts = Count(Drive(pool, 7000));
  EXPECT_EQ(counts[0], 5000);
  EXPECT_EQ(counts[1], 1000);
  EXPECT_EQ(counts[2], 1000);
}

TEST(RoundRobinTest, DynamicWeightChangeAppliesAtOnce) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1}));
  Drive(pool, 4);
  ASSERT_TRUE(pool.SetWeight(1, 3));
  auto counts = Count(Drive(pool, 400));
  EXPECT_EQ(counts[0], 100);
  EXPECT_EQ(counts[1], 300);
  EXPECT_FALSE(pool.SetWeight(1, 257));
  EXPECT_EQ(pool.SetWeight(1, -1).error().context(),
            "Absolute weight can only be between 0 and 256 inclusive.");
}

TEST(RoundRobinTest, DownDrainMaintAndWeightZeroAreSkipped) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1, 1, 1}));
  pool.SetHealthy(0, false, kT0);
  pool.SetAdmin(1, AdminState::kDrain, kT0);
  pool.SetAdmin(2, AdminState::kMaint, kT0);
  auto counts = Count(Drive(pool, 10));
  EXPECT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[3], 10);
  ASSERT_TRUE(pool.SetWeight(3, 0));
  EXPECT_EQ(pool.Select(kNoAddr, kT0).kind, Kind::kNoServer);
  EXPECT_EQ(pool.UsableActive(kT0), 0);
}

TEST(RoundRobinTest, ARedispatchAvoidsTheServerThatFailed) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1}));
  Pick first = pool.Select(kNoAddr, kT0);
  ASSERT_EQ(first.server, 0u);
  pool.ConnectionEnded(0);
  // Round robin's next turn is s2; the connection that failed on s2 goes
  // to s1 instead.
  Pick again = pool.Select(kNoAddr, kT0, /*avoid=*/1);
  EXPECT_EQ(again.kind, Kind::kServer);
  EXPECT_EQ(again.server, 0u);
  pool.ConnectionEnded(0);
  // With the other one down, the only candidate is taken again.
  pool.SetHealthy(0, false, kT0);
  Pick only = pool.Select(kNoAddr, kT0, /*avoid=*/1);
  EXPECT_EQ(only.kind, Kind::kServer);
  EXPECT_EQ(only.server, 1u);
}

TEST(LeastConnTest, ARedispatchAvoidsTheServerThatFailed) {
  ServerPool pool({Algorithm::kLeastConn}, Specs({1, 1, 1}));
  for (int k = 0; k < 6; ++k) {
    Pick p = pool.Select(kNoAddr, kT0, /*avoid=*/2);
    ASSERT_EQ(p.kind, Kind::kServer);
    EXPECT_NE(p.server, 2u);
    pool.ConnectionEnded(p.server);
  }
}

TEST(RoundRobinTest, DrainKeepsExistingConnections) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1}));
  Pick p = pool.Select(kNoAddr, kT0);
  ASSERT_EQ(p.server, 0u);
  pool.SetAdmin(0, AdminState::kDrain, kT0);
  EXPECT_EQ(pool.connections(0), 1);  // still counted, nothing closed
  EXPECT_EQ(pool.EffectiveWeight(0, kT0), 0);
  EXPECT_EQ(Count(Drive(pool, 5))[1], 5);
}

TEST(BackupTest, FirstBackupOnlyUnlessAllbackups) {
  auto specs = Specs({1, 1, 1, 1});
  specs[2].backup = true;
  specs[3].backup = true;
  ServerPool pool({Algorithm::kRoundRobin}, specs);
  EXPECT_EQ(Count(Drive(pool, 10)).count(2), 0u);  // backups idle while actives are up
  pool.SetHealthy(0, false, kT0);
  pool.SetHealthy(1, false, kT0);
  auto counts = Count(Drive(pool, 10));
  EXPECT_EQ(counts[2], 10);
  EXPECT_EQ(counts.count(3), 0u);
  pool.SetHealthy(2, false, kT0);
  EXPECT_EQ(Count(Drive(pool, 3))[3], 3);  // next usable backup

  ServerPool all({Algorithm::kRoundRobin, /*allbackups=*/true}, specs);
  all.SetHealthy(0, false, kT0);
  all.SetHealthy(1, false, kT0);
  auto c2 = Count(Drive(all, 10));
  EXPECT_EQ(c2[2], 5);
  EXPECT_EQ(c2[3], 5);
  EXPECT_EQ(all.UsableBackup(kT0), 2);
}

TEST(MaxconnTest, FullServersAreSkippedThenQueue) {
  auto specs = Specs({1, 1});
  specs[0].maxconn = 1;
  specs[1].maxconn = 2;
  ServerPool pool({Algorithm::kRoundRobin}, specs);
  EXPECT_EQ(pool.Select(kNoAddr, kT0), (Pick{Kind::kServer, 0}));
  EXPECT_EQ(pool.Select(kNoAddr, kT0), (Pick{Kind::kServer, 1}));
  EXPECT_EQ(pool.Select(kNoAddr, kT0), (Pick{Kind::kServer, 1}));  // 0 is full
  EXPECT_EQ(pool.Select(kNoAddr, kT0), (Pick{Kind::kQueue, Pick::kNone}));
  pool.ConnectionEnded(0);
  EXPECT_EQ(pool.Select(kNoAddr, kT0), (Pick{Kind::kServer, 0}));
}

TEST(StaticRrTest, HaproxyMapOrderAndCounts) {
  ServerPool pool({Algorithm::kStaticRr}, Specs({2, 1}));
  // recalc_server_map() by hand, tot = 3: slot 0: v(s1)=(2+3)/3=1, v(s2)=(1+3)/3=1, tie ->
  // s1 (-1). slot 1: v(s1)=(1+3)/3=1, v(s2)=(2+3)/3=1 -> s1 (-2). slot 2: v(s1)=1,
  // v(s2)=(3+3)/3=2 -> s2. Map = s1 s1 s2.
  EXPECT_THAT(Drive(pool, 6), ::testing::ElementsAre(0, 0, 1, 0, 0, 1));
  ServerPool p3({Algorithm::kStaticRr}, Specs({3, 2, 1}));
  auto counts = Count(Drive(p3, 600));
  EXPECT_EQ(counts[0], 300);
  EXPECT_EQ(counts[1], 200);
  EXPECT_EQ(counts[2], 100);
}

TEST(StaticRrTest, OnlyZeroOrInitialWeight) {
  ServerPool pool({Algorithm::kStaticRr}, Specs({2, 1}));
  auto r = pool.SetWeight(0, 5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context(),
            "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
  ASSERT_TRUE(pool.SetWeight(0, 0));
  EXPECT_EQ(Count(Drive(pool, 4))[1], 4);
  ASSERT_TRUE(pool.SetWeight(0, 2));
  EXPECT_EQ(Count(Drive(pool, 6))[0], 4);
}

TEST(LeastConnTest, PicksFewestConnectionsWeighted) {
  ServerPool pool({Algorithm::kLeastConn}, Specs({1, 1, 2}));
  // Keep connections open: weights 1,1,2 should hold 1,1,2 of every 4.
  std::map<std::size_t, int> open;
  for (int k = 0; k < 400; ++k) {
    Pick p = pool.Select(kNoAddr, kT0);
    ASSERT_EQ(p.kind, Kind::kServer);
    ++open[p.server];
  }
  EXPECT_EQ(open[0], 100);
  EXPECT_EQ(open[1], 100);
  EXPECT_EQ(open[2], 200);
  // Closing connections on one server sends the next ones there.
  for (int k = 0; k < 10; ++k)
    pool.ConnectionEnded(1);
  for (int k = 0; k < 10; ++k)
    EXPECT_EQ(pool.Select(kNoAddr, kT0).server, 1u);
}

TEST(LeastConnTest, TiesRotate) {
  ServerPool pool({Algorithm::kLeastConn}, Specs({1, 1, 1}));
  // Short connections: every server is at 0, the tie goes round.
  EXPECT_THAT(Drive(pool, 6), ::testing::ElementsAre(0, 1, 2, 0, 1, 2));
}

TEST(FirstTest, FillsLowestIdFirst) {
  auto specs = Specs({1, 1, 1});
  for (auto& s : specs)
    s.maxconn = 2;
  specs[0].id = 3;  // ids decide, not positions
  specs[1].id = 1;
  specs[2].id = 2;
  ServerPool pool({Algorithm::kFirst}, specs);
  std::vector<std::size_t> seq;
  for (int k = 0; k < 6; ++k)
    seq.push_back(pool.Select(kNoAddr, kT0).server);
  EXPECT_THAT(seq, ::testing::ElementsAre(1, 1, 2, 2, 0, 0));
  EXPECT_EQ(pool.Select(kNoAddr, kT0).kind, Kind::kQueue);
  pool.ConnectionEnded(2);
  EXPECT_EQ(pool.Select(kNoAddr, kT0).server, 2u);
}

TEST(FirstTest, UnlimitedMaxconnAlwaysFirst) {
  ServerPool pool({Algorithm::kFirst}, Specs({1, 1}));
  for (int k = 0; k < 10; ++k)
    EXPECT_EQ(pool.Select(kNoAddr, kT0).server, 0u);
}

std::array<std::uint8_t, 4> V4(int a, int b, int c, int d) {
  return {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(c),
          static_cast<std::uint8_t>(d)};
}

TEST(SourceTest, SameClientSameServerAndSpread) {
  ServerPool pool({Algorithm::kSource}, Specs({1, 1, 1}));
  std::map<std::size_t, int> counts;
  std::vector<std::size_t> first;
  for (int k = 0; k < 3000; ++k) {
    auto addr = V4(10, 0, k / 256, k % 256);
    Pick p = pool.Select(addr, kT0);
    ASSERT_EQ(p.kind, Kind::kServer);
    pool.ConnectionEnded(p.server);
    ++counts[p.server];
    first.push_back(p.server);
  }
  for (int k = 0; k < 3000; ++k) {
    Pick p = pool.Select(V4(10, 0, k / 256, k % 256), kT0);
    pool.ConnectionEnded(p.server);
    ASSERT_EQ(p.server, first[k]);
  }
  // 48 points per server: every server gets a real share.
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_GT(counts[i], 500) << i;
  }
}

TEST(SourceTest, OnlyTheFailedServersClientsMove) {
  ServerPool pool({Algorithm::kSource}, Specs({1, 1, 1, 1}));
  std::vector<std::size_t> before;
  for (int k = 0; k < 2000; ++k) {
    Pick p = pool.Select(V4(192, 168, k / 256, k % 256), kT0);
    pool.ConnectionEnded(p.server);
    before.push_back(p.server);
  }
  pool.SetHealthy(2, false, kT0);
  int moved = 0;
  for (int k = 0; k < 2000; ++k) {
    Pick p = pool.Select(V4(192, 168, k / 256, k % 256), kT0);
    pool.ConnectionEnded(p.server);
    ASSERT_NE(p.server, 2u);
    if (before[k] != 2) {
      EXPECT_EQ(p.server, before[k]) << k;
    } else {
      ++moved;
    }
  }
  EXPECT_GT(moved, 0);
  // And back: the same mapping as before.
  pool.SetHealthy(2, true, kT0);
  for (int k = 0; k < 2000; ++k) {
    Pick p = pool.Select(V4(192, 168, k / 256, k % 256), kT0);
    pool.ConnectionEnded(p.server);
    ASSERT_EQ(p.server, before[k]);
  }
}

TEST(SourceTest, FullServerQueuesOnItsOwnQueue) {
  auto specs = Specs({1, 1});
  specs[0].maxconn = 1;
  specs[1].maxconn = 1;
  ServerPool pool({Algorithm::kSource}, specs);
  auto addr = V4(1, 2, 3, 4);
  Pick p = pool.Select(addr, kT0);
  ASSERT_EQ(p.kind, Kind::kServer);
  Pick q = pool.Select(addr, kT0);
  EXPECT_EQ(q.kind, Kind::kQueue);
  EXPECT_EQ(q.server, p.server);
}

TEST(SourceTest, MaxqueueBoundsTheHashedServersQueue) {
  auto specs = Specs({1, 1});
  for (auto& s : specs) {
    s.maxconn = 1;
    s.maxqueue = 2;
  }
  ServerPool pool({Algorithm::kSource}, specs);
  auto addr = V4(10, 0, 0, 7);
  Pick p = pool.Select(addr, kT0);
  ASSERT_EQ(p.kind, Kind::kServer);
  // The hashed server, full or not.
  EXPECT_EQ(pool.HashTarget(addr, kT0), p.server);
  EXPECT_FALSE(pool.QueueFull(p.server));
  pool.QueueChanged(p.server, 1);
  EXPECT_FALSE(pool.QueueFull(p.server));
  pool.QueueChanged(p.server, 1);
  EXPECT_TRUE(pool.QueueFull(p.server));
  EXPECT_EQ(pool.queued(p.server), 2);
  pool.QueueChanged(p.server, -1);
  EXPECT_FALSE(pool.QueueFull(p.server));
  // Without maxqueue the queue is unbounded.
  ServerPool unbounded({Algorithm::kSource}, Specs({1}));
  unbounded.QueueChanged(0, 1000);
  EXPECT_FALSE(unbounded.QueueFull(0));
}

TEST(SourceTest, OtherAlgorithmsQueueInTheBackend) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1}));
  EXPECT_EQ(pool.HashTarget(V4(10, 0, 0, 7), kT0), Pick::kNone);
}

TEST(SourceTest, HashFunctionsMatchHaproxy) {
  // full_hash(0) computed by hand from haproxy's hash.h sequence.
  std::uint32_t a = 0;
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  EXPECT_EQ(FullHash(0), a * 3221225473U);
  // IPv6: the four words are XORed before hashing.
  std::array<std::uint8_t, 16> v6{};
  v6[3] = 1;
  v6[7] = 1;  // 1 ^ 1 = 0
  EXPECT_EQ(SourceHash(v6), FullHash(0));
  EXPECT_EQ(SourceHash(V4(0, 0, 1, 0)), FullHash(256));
}

TEST(SlowstartTest, WeightRampsFromOneSixteenthAfterRecovery) {
  auto specs = Specs({10});
  specs[0].slowstart = 60s;
  ServerPool pool({Algorithm::kRoundRobin}, specs);
  EXPECT_EQ(pool.EffectiveWeight(0, kT0), 160);  // never at startup
  pool.SetHealthy(0, false, kT0);
  EXPECT_EQ(pool.EffectiveWeight(0, kT0), 0);
  pool.SetHealthy(0, true, kT0);
  EXPECT_EQ(pool.EffectiveWeight(0, kT0), 10);             // (16*0+60)/60 = 1
  EXPECT_EQ(pool.EffectiveWeight(0, kT0 + 30s), 10 * 9);   // (16*30+60)/60 = 9
  EXPECT_EQ(pool.EffectiveWeight(0, kT0 + 59s), 10 * 16);  // (16*59+60)/60 = 16
  EXPECT_EQ(pool.EffectiveWeight(0, kT0 + 10min), 160);
}

TEST(SlowstartTest, RampShiftsTrafficAndMaxconn) {
  auto specs = Specs({1, 1});
  specs[1].slowstart = 100s;
  specs[1].maxconn = 100;
  ServerPool pool({Algorithm::kRoundRobin}, specs);
  pool.SetHealthy(1, false, kT0);
  pool.SetHealthy(1, true, kT0);
  EXPECT_EQ(pool.DynamicMaxconn(1, kT0), 1);
  EXPECT_EQ(pool.DynamicMaxconn(1, kT0 + 50s), 50);
  EXPECT_EQ(pool.DynamicMaxconn(1, kT0 + 100s), 100);
  auto early = Count(Drive(pool, 170, kT0));
  EXPECT_EQ(early[1], 10);  // weight 1/16 of its peer's 16/16: 160 vs 10
  auto late = Count(Drive(pool, 100, kT0 + 200s));
  EXPECT_EQ(late[1], 50);
}

TEST(SlowstartTest, LeavingMaintenanceRamps) {
  auto specs = Specs({4});
  specs[0].slowstart = 10s;
  ServerPool pool({Algorithm::kLeastConn}, specs);
  pool.SetAdmin(0, AdminState::kMaint, kT0);
  EXPECT_FALSE(pool.Usable(0, kT0));
  pool.SetAdmin(0, AdminState::kReady, kT0);
  EXPECT_EQ(pool.EffectiveWeight(0, kT0), 4);
}

TEST(SlowstartTest, StaticRrDoesNotRamp) {
  auto specs = Specs({4});
  specs[0].slowstart = 10s;
  ServerPool pool({Algorithm::kStaticRr}, specs);
  pool.SetHealthy(0, false, kT0);
  pool.SetHealthy(0, true, kT0);
  EXPECT_EQ(pool.EffectiveWeight(0, kT0), 64);
}

TEST(PoolTest, FindAndDefaultIds) {
  ServerPool pool({Algorithm::kRoundRobin}, Specs({1, 1}));
  EXPECT_EQ(pool.Find("s2"), 1u);
  EXPECT_EQ(pool.Find("nope"), Pick::kNone);
  EXPECT_EQ(pool.spec(1).id, 2);
  ServerPool empty({Algorithm::kLeastConn}, {});
  EXPECT_EQ(empty.Select(kNoAddr, kT0).kind, Kind::kNoServer);
}

}  // namespace
}  // namespace vigie::lb::balance
