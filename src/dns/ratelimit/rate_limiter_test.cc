// Token bucket arithmetic, prefix keys and the table bound, on a fake time.
#include "dns/ratelimit/rate_limiter.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

IpAddress Ip(const char* text) {
  return *IpAddress::Parse(text);
}

ClientKey Key(const char* text) {
  return ClientKeyOf(Ip(text), 32, 56);
}

TEST(RateLimiterTest, BurstThenRefillAtQps) {
  RateLimiter rl(RateLimitConfig{.qps = 10, .burst = 5}, 100);
  int64_t t = 1000 * kSecond;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), t)) << i;
  }
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), t));
  // 10 qps: one token every 100 ms.
  t += kSecond / 20;
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), t));
  t += kSecond / 20;
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), t));
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), t));
  // A long pause refills to the burst, never beyond.
  t += 100 * kSecond;
  int allowed = 0;
  for (int i = 0; i < 20; ++i) {
    allowed += rl.Allow(Key("192.0.2.1"), t) ? 1 : 0;
  }
  EXPECT_EQ(allowed, 5);
}

TEST(RateLimiterTest, SustainedRateIsQps) {
  RateLimiter rl(RateLimitConfig{.qps = 100, .burst = 1}, 100);
  int allowed = 0;
  // 1000 queries per second for 10 s: 100 per second pass (+ the first).
  for (int64_t t = 0; t < 10 * kSecond; t += kSecond / 1000) {
    allowed += rl.Allow(Key("192.0.2.1"), kSecond + t) ? 1 : 0;
  }
  EXPECT_EQ(allowed, 1000);
}

TEST(RateLimiterTest, ClientsAreIndependent) {
  RateLimiter rl(RateLimitConfig{.qps = 1, .burst = 2}, 100);
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 0));
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 0));
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), 0));
  EXPECT_TRUE(rl.Allow(Key("192.0.2.2"), 0));
  EXPECT_TRUE(rl.Allow(Key("192.0.2.2"), 0));
  EXPECT_FALSE(rl.Allow(Key("192.0.2.2"), 0));
}

TEST(RateLimiterTest, Ipv6SharesABucketPerSlash56) {
  RateLimiter rl(RateLimitConfig{.qps = 1, .burst = 1}, 100);
  EXPECT_TRUE(rl.Allow(Key("2001:db8:0:1::1"), 0));
  // Same /56 (2001:db8:0:0000-00ff), other host and /64: same bucket.
  EXPECT_FALSE(rl.Allow(Key("2001:db8:0:ff::2"), 0));
  // Next /56: its own bucket.
  EXPECT_TRUE(rl.Allow(Key("2001:db8:0:100::1"), 0));
}

TEST(RateLimiterTest, PrefixLengthsAreConfigurable) {
  EXPECT_EQ(ClientKeyOf(Ip("192.0.2.1"), 24, 56), ClientKeyOf(Ip("192.0.2.200"), 24, 56));
  EXPECT_NE(ClientKeyOf(Ip("192.0.2.1"), 32, 56), ClientKeyOf(Ip("192.0.2.200"), 32, 56));
  EXPECT_EQ(ClientKeyOf(Ip("192.0.2.1"), 20, 56), ClientKeyOf(Ip("192.0.15.1"), 20, 56));
  EXPECT_NE(ClientKeyOf(Ip("192.0.2.1"), 20, 56), ClientKeyOf(Ip("192.0.16.1"), 20, 56));
  EXPECT_EQ(ClientKeyOf(Ip("2001:db8::1"), 32, 64), ClientKeyOf(Ip("2001:db8::ffff:1"), 32, 64));
  EXPECT_NE(ClientKeyOf(Ip("2001:db8::1"), 32, 128), ClientKeyOf(Ip("2001:db8::2"), 32, 128));
  // A v4-mapped v6 address is its IPv4 client, and never the v6 "::".
  EXPECT_EQ(ClientKeyOf(Ip("::ffff:192.0.2.1"), 32, 56), ClientKeyOf(Ip("192.0.2.1"), 32, 56));
  EXPECT_NE(ClientKeyOf(Ip("0.0.0.0"), 0, 0), ClientKeyOf(Ip("::"), 0, 0));
}

TEST(RateLimiterTest, TableIsBoundedUnderASpoofedFlood) {
  RateLimiter rl(RateLimitConfig{.qps = 1, .burst = 1}, 1000);
  for (uint32_t i = 0; i < 100000; ++i) {
    const IpAddress ip = IpAddress::V4(
        {10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    EXPECT_TRUE(rl.Allow(ClientKeyOf(ip, 32, 56), 0));
  }
  EXPECT_EQ(rl.size(), 1000u);
  EXPECT_EQ(rl.evictions(), 99000u);
}

TEST(RateLimiterTest, ActiveClientSurvivesEviction) {
  RateLimiter rl(RateLimitConfig{.qps = 1, .burst = 1}, 10);
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 0));
  for (uint8_t i = 0; i < 100; ++i) {
    // The busy client keeps being seen, so it stays most recent.
    EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), 0));
    (void)rl.Allow(ClientKeyOf(IpAddress::V4({10, 0, 0, i}), 32, 56), 0);
  }
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), 0));
}

TEST(RateLimiterTest, ReconfigureAppliesTheNewBurst) {
  RateLimiter rl(RateLimitConfig{.qps = 100, .burst = 100}, 10);
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 0));
  rl.Reconfigure(RateLimitConfig{.qps = 1, .burst = 2}, 10);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    allowed += rl.Allow(Key("192.0.2.1"), 0) ? 1 : 0;
  }
  EXPECT_GE(allowed, 1);
  EXPECT_LE(allowed, 2);
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 5 * kSecond));
}

TEST(RateLimiterTest, FractionalQps) {
  RateLimiter rl(RateLimitConfig{.qps = 0.5, .burst = 1}, 10);
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 0));
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), kSecond));
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 2 * kSecond));
}

TEST(RateLimiterTest, TimeGoingBackwardsDoesNotMint) {
  RateLimiter rl(RateLimitConfig{.qps = 1, .burst = 1}, 10);
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 10 * kSecond));
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), 5 * kSecond));
  EXPECT_FALSE(rl.Allow(Key("192.0.2.1"), 10 * kSecond));
  EXPECT_TRUE(rl.Allow(Key("192.0.2.1"), 11 * kSecond));
}

TEST(ShardedRateLimiterTest, DisabledAllowsAll) {
  ShardedRateLimiter rl(RateLimitConfig{});
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(rl.Allow(Ip("192.0.2.1"), 0));
  }
  EXPECT_EQ(rl.size(), 0u);
}

TEST(ShardedRateLimiterTest, BoundSplitAcrossShards) {
  ShardedRateLimiter rl(RateLimitConfig{.qps = 5, .burst = 5, .max_entries = 1600}, 16);
  for (uint32_t i = 0; i < 50000; ++i) {
    (void)rl.Allow(IpAddress::V4({10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                                  static_cast<uint8_t>(i)}),
                   0);
  }
  EXPECT_LE(rl.size(), 1600u);
  EXPECT_GE(rl.evictions(), 50000u - 1600u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(rl.Allow(Ip("192.0.2.1"), kSecond));
  }
  EXPECT_FALSE(rl.Allow(Ip("192.0.2.1"), kSecond));
  rl.Reconfigure(RateLimitConfig{.qps = 5, .burst = 5, .v4_prefix = 24, .max_entries = 1600});
  EXPECT_TRUE(rl.Allow(Ip("192.0.2.1"), kSecond));
}

}  // namespace
}  // namespace vigie::dns
