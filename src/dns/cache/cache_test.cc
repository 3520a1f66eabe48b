// Tests for the answer cache: TTL arithmetic, negative caching, bounds,
// serve-stale, prefetch and the CNAME-chain subset.
#include "dns/cache/cache.h"

#include <gtest/gtest.h>

#include "core/dns/builders.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

using std::chrono::seconds;

Name N(std::string_view s) {
  return *Name::FromText(s);
}

Message Query(std::string_view name, uint16_t type = rr_type::kA) {
  Message q;
  q.header.id = 77;
  q.header.rd = true;
  q.questions.push_back({N(name), type, rr_class::kIn});
  return q;
}

Message Answer(std::string_view name, uint32_t ttl, uint8_t last = 1) {
  Message r = ResponseTo(Query(name));
  r.answers.push_back(MakeA(N(name), ttl, {192, 0, 2, last}));
  return r;
}

Message Decoded(const CacheHit& hit) {
  auto m = DecodeMessage(hit.wire);
  EXPECT_TRUE(m) << m.error().ToString();
  return m ? *m : Message{};
}

std::string KeyOf(std::string_view name, uint16_t type = rr_type::kA) {
  return CacheKey(N(name), type, rr_class::kIn);
}

Cacheable Subset(const Message& m) {
  auto c = CacheableSubset(m);
  EXPECT_TRUE(c.has_value());
  return c ? *c : Cacheable{};
}

const CacheTime kT0 = CacheTime{} + std::chrono::hours(1000);

TEST(CacheTest, PositiveHitCountsDownTtl) {
  Cache cache;
  ASSERT_TRUE(cache.Insert(Subset(Answer("www.example.com", 300)), kT0));
  auto hit = cache.Lookup(KeyOf("www.example.com"), kT0 + seconds(100));
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->stale);
  Message m = Decoded(*hit);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].ttl, 200u);
  EXPECT_EQ(m.header.id, 0);
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST(CacheTest, KeyIgnoresCaseButNotTypeOrClass) {
  Cache cache;
  ASSERT_TRUE(cache.Insert(Subset(Answer("WWW.Example.com", 300)), kT0));
  EXPECT_TRUE(cache.Lookup(KeyOf("www.EXAMPLE.com"), kT0));
  EXPECT_FALSE(cache.Lookup(KeyOf("www.example.com", rr_type::kAaaa), kT0));
  EXPECT_FALSE(cache.Lookup(CacheKey(N("www.example.com"), rr_type::kA, rr_class::kCh), kT0));
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST(CacheTest, ExpiresAtTtl) {
  CacheConfig cfg;
  cfg.stale_window = 0;
  Cache cache(cfg);
  ASSERT_TRUE(cache.Insert(Subset(Answer("a.example", 60)), kT0));
  EXPECT_TRUE(cache.Lookup(KeyOf("a.example"), kT0 + seconds(59)));
  EXPECT_FALSE(cache.Lookup(KeyOf("a.example"), kT0 + seconds(60)));
  EXPECT_FALSE(cache.Lookup(KeyOf("a.example"), kT0 + seconds(61), true));
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(CacheTest, TtlFloorAndCap) {
  CacheConfig cfg;
  cfg.min_ttl = 30;
  cfg.max_ttl = 600;
  Cache cache(cfg);
  ASSERT_TRUE(cache.Insert(Subset(Answer("short.example", 5)), kT0));
  ASSERT_TRUE(cache.Insert(Subset(Answer("long.example", 86400)), kT0));
  EXPECT_EQ(Decoded(*cache.Lookup(KeyOf("short.example"), kT0)).answers[0].ttl, 30u);
  EXPECT_EQ(Decoded(*cache.Lookup(KeyOf("long.example"), kT0)).answers[0].ttl, 600u);
  EXPECT_TRUE(cache.Lookup(KeyOf("short.example"), kT0 + seconds(29)));
  EXPECT_FALSE(cache.Lookup(KeyOf("long.example"), kT0 + seconds(601)));
}

TEST(CacheTest, ZeroTtlIsNotStored) {
  Cache cache;
  EXPECT_FALSE(cache.Insert(Subset(Answer("zero.example", 0)), kT0));
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(CacheTest, NegativeUsesSoaMinimumAndCap) {
  CacheConfig cfg;
  cfg.max_negative_ttl = 900;
  Cache cache(cfg);
  Soa soa{N("ns.example"), N("host.example"), 1, 2, 3, 4, 120};
  Message nx = ResponseTo(Query("gone.example"));
  nx.header.rcode = rcode::kNxDomain;
  nx.authorities.push_back(MakeSoa(N("example"), 3600, soa));
  auto c = CacheableSubset(nx);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CacheKind::kNegative);
  EXPECT_EQ(c->ttl, 120u);  // min(SOA TTL 3600, MINIMUM 120)
  ASSERT_TRUE(cache.Insert(*c, kT0));
  auto hit = cache.Lookup(KeyOf("gone.example"), kT0 + seconds(20));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, CacheKind::kNegative);
  Message m = Decoded(*hit);
  EXPECT_EQ(m.FullRcode(), rcode::kNxDomain);
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].ttl, 880u);  // record TTL capped at 900, minus 20
  EXPECT_FALSE(cache.Lookup(KeyOf("gone.example"), kT0 + seconds(121)));

  soa.minimum = 86400;
  Message nodata = ResponseTo(Query("nodata.example", rr_type::kAaaa));
  nodata.authorities.push_back(MakeSoa(N("example"), 86400, soa));
  auto c2 = CacheableSubset(nodata);
  ASSERT_TRUE(c2);
  ASSERT_TRUE(cache.Insert(*c2, kT0));
  EXPECT_TRUE(cache.Lookup(KeyOf("nodata.example", rr_type::kAaaa), kT0 + seconds(899)));
  EXPECT_FALSE(cache.Lookup(KeyOf("nodata.example", rr_type::kAaaa), kT0 + seconds(900)));
}

TEST(CacheTest, NegativeWithoutSoaIsNotCacheable) {
  Message nx = ResponseTo(Query("gone.example"));
  nx.header.rcode = rcode::kNxDomain;
  EXPECT_FALSE(CacheableSubset(nx));
}

// RFC 2308 §3: the SOA of a negative answer is the zone's that holds the
// missing name. An SOA for another zone (an upstream's error, or a forgery
// that would pin a long negative TTL) is not used.
TEST(CacheTest, NegativeNeedsTheSoaOfTheMissingNamesZone) {
  Soa soa{N("ns.example"), N("host.example"), 1, 2, 3, 4, 120};
  Message nx = ResponseTo(Query("gone.example.com"));
  nx.header.rcode = rcode::kNxDomain;
  nx.authorities.push_back(MakeSoa(N("example.net"), 3600, soa));
  EXPECT_FALSE(CacheableSubset(nx));
  nx.authorities.push_back(MakeSoa(N("gone.example.com.attacker"), 3600, soa));
  EXPECT_FALSE(CacheableSubset(nx));
  // The right zone, listed after a wrong one, is taken; so is the root's.
  nx.authorities.push_back(MakeSoa(N("EXAMPLE.com"), 3600, soa));
  auto c = CacheableSubset(nx);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CacheKind::kNegative);
  ASSERT_EQ(c->message.authorities.size(), 1u);
  EXPECT_EQ(c->message.authorities[0].name, N("example.com"));
  Message root = ResponseTo(Query("nosuchtld"));
  root.header.rcode = rcode::kNxDomain;
  root.authorities.push_back(MakeSoa(N("."), 3600, soa));
  EXPECT_TRUE(CacheableSubset(root));
  // After a CNAME, the zone is the target's.
  Message chained = ResponseTo(Query("www.example.com"));
  chained.header.rcode = rcode::kNxDomain;
  chained.answers.push_back(MakeCname(N("www.example.com"), 300, N("gone.cdn.example.net")));
  chained.authorities.push_back(MakeSoa(N("example.com"), 3600, soa));
  EXPECT_FALSE(CacheableSubset(chained));
  chained.authorities.push_back(MakeSoa(N("cdn.example.net"), 3600, soa));
  EXPECT_TRUE(CacheableSubset(chained));
}

TEST(CacheTest, ServfailTruncatedAndMismatchedAreNotCacheable) {
  Message sf = ResponseTo(Query("x.example"));
  sf.header.rcode = rcode::kServFail;
  EXPECT_FALSE(CacheableSubset(sf));
  Message tc = Answer("x.example", 60);
  tc.header.tc = true;
  EXPECT_FALSE(CacheableSubset(tc));
  Message q = Query("x.example");  // QR clear
  EXPECT_FALSE(CacheableSubset(q));
}

TEST(CacheTest, KeepsOnlyTheCnameChain) {
  Message r = ResponseTo(Query("www.example.com"));
  r.answers.push_back(MakeA(N("evil.example.net"), 300, {6, 6, 6, 6}));  // out of chain
  r.answers.push_back(MakeCname(N("www.example.com"), 300, N("cdn.example.net")));
  r.answers.push_back(MakeA(N("cdn.example.net"), 60, {192, 0, 2, 7}));
  r.additionals.push_back(MakeA(N("ns.evil.example"), 300, {6, 6, 6, 7}));
  auto c = CacheableSubset(r);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->message.answers.size(), 2u);
  EXPECT_EQ(c->message.answers[0].type, rr_type::kCname);
  EXPECT_EQ(c->message.answers[1].name, N("cdn.example.net"));
  EXPECT_TRUE(c->message.additionals.empty());
  EXPECT_EQ(c->ttl, 60u);
}

TEST(CacheTest, ServeStaleOnlyWhenAskedAndWithinWindow) {
  CacheConfig cfg;
  cfg.stale_window = 3600;
  cfg.stale_answer_ttl = 30;
  Cache cache(cfg);
  ASSERT_TRUE(cache.Insert(Subset(Answer("s.example", 60)), kT0));
  EXPECT_FALSE(cache.Lookup(KeyOf("s.example"), kT0 + seconds(120)));
  auto stale = cache.Lookup(KeyOf("s.example"), kT0 + seconds(120), true);
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(Decoded(*stale).answers[0].ttl, 30u);
  EXPECT_EQ(cache.stats().stale_hits, 1u);
  EXPECT_FALSE(cache.Lookup(KeyOf("s.example"), kT0 + seconds(60 + 3600), true));
}

TEST(CacheTest, PrefetchSignalledOnceNearExpiryForPopularEntries) {
  CacheConfig cfg;
  cfg.prefetch_percent = 10;
  cfg.prefetch_min_hits = 2;
  Cache cache(cfg);
  ASSERT_TRUE(cache.Insert(Subset(Answer("p.example", 100)), kT0));
  EXPECT_FALSE(cache.Lookup(KeyOf("p.example"), kT0 + seconds(10))->prefetch);
  // Second hit, but 50 s left: not near expiry.
  EXPECT_FALSE(cache.Lookup(KeyOf("p.example"), kT0 + seconds(50))->prefetch);
  EXPECT_TRUE(cache.Lookup(KeyOf("p.example"), kT0 + seconds(91))->prefetch);
  EXPECT_FALSE(cache.Lookup(KeyOf("p.example"), kT0 + seconds(92))->prefetch);
  cache.PrefetchDone(KeyOf("p.example"));
  EXPECT_TRUE(cache.Lookup(KeyOf("p.example"), kT0 + seconds(93))->prefetch);
}

TEST(CacheTest, MemoryBoundEvictsLeastRecentlyUsed) {
  CacheConfig cfg;
  cfg.max_bytes = 4000;
  Cache cache(cfg);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(cache.Insert(Subset(Answer("n" + std::to_string(i) + ".example", 300)), kT0));
    // Keep n0 hot: it must survive.
    ASSERT_TRUE(cache.Lookup(KeyOf("n0.example"), kT0));
  }
  CacheStats s = cache.stats();
  EXPECT_LE(s.bytes, cfg.max_bytes);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_LT(s.entries, 100u);
  EXPECT_TRUE(cache.Lookup(KeyOf("n0.example"), kT0));
  EXPECT_TRUE(cache.Lookup(KeyOf("n99.example"), kT0));
  EXPECT_FALSE(cache.Lookup(KeyOf("n1.example"), kT0));
}

TEST(CacheTest, ReinsertReplaces) {
  Cache cache;
  ASSERT_TRUE(cache.Insert(Subset(Answer("r.example", 300, 1)), kT0));
  ASSERT_TRUE(cache.Insert(Subset(Answer("r.example", 300, 2)), kT0));
  EXPECT_EQ(cache.stats().entries, 1u);
  auto m = Decoded(*cache.Lookup(KeyOf("r.example"), kT0));
  EXPECT_EQ(std::to_integer<int>(m.answers[0].rdata[3]), 2);
}

TEST(CacheTest, TtlOffsetsPointAtEveryRecord) {
  Message r = Answer("t.example", 1234);
  r.authorities.push_back(MakeA(N("t.example"), 99, {1, 2, 3, 4}));
  std::vector<std::byte> wire;
  Encode(r, &wire);
  auto offsets = TtlOffsets(wire);
  ASSERT_TRUE(offsets);
  ASSERT_EQ(offsets->size(), 2u);
  auto ttl_at = [&](size_t o) {
    return (std::to_integer<uint32_t>(wire[o]) << 24) |
           (std::to_integer<uint32_t>(wire[o + 1]) << 16) |
           (std::to_integer<uint32_t>(wire[o + 2]) << 8) | std::to_integer<uint32_t>(wire[o + 3]);
  };
  EXPECT_EQ(ttl_at((*offsets)[0]), 1234u);
  EXPECT_EQ(ttl_at((*offsets)[1]), 99u);
  wire.resize(wire.size() - 3);
  EXPECT_FALSE(TtlOffsets(wire));
}

TEST(ShardedCacheTest, SharesAcrossShardsAndSumsStats) {
  ShardedCache cache(CacheConfig{}, 4);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(cache.Insert(Subset(Answer("s" + std::to_string(i) + ".example", 60)), kT0));
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(cache.Lookup(KeyOf("s" + std::to_string(i) + ".example"), kT0));
  }
  EXPECT_FALSE(cache.Lookup(KeyOf("absent.example"), kT0));
  CacheStats s = cache.stats();
  EXPECT_EQ(s.entries, 20u);
  EXPECT_EQ(s.hits, 20u);
  EXPECT_EQ(s.misses, 1u);
}

// The lookup into a caller's CacheHit (the query path lends its reply
// buffer) gives the same bytes and flags as the returning one, overwrites a
// previous, larger or stale result completely, and counts the same.
TEST(CacheTest, LookupIntoReusedHitMatchesReturningLookup) {
  ShardedCache cache;
  ASSERT_TRUE(cache.Insert(Subset(Answer("a.example", 300)), kT0));
  Message big = Answer("long-name.b.example", 300);
  big.answers.push_back(MakeA(N("long-name.b.example"), 300, {192, 0, 2, 9}));
  ASSERT_TRUE(cache.Insert(Subset(big), kT0));
  CacheHit reused;
  ASSERT_TRUE(cache.Lookup(KeyOf("long-name.b.example"), kT0 + seconds(10), false, &reused));
  const size_t capacity = reused.wire.capacity();
  reused.stale = true;
  reused.prefetch = true;
  ASSERT_TRUE(cache.Lookup(KeyOf("a.example"), kT0 + seconds(10), false, &reused));
  auto fresh = cache.Lookup(KeyOf("a.example"), kT0 + seconds(10));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(reused.wire, fresh->wire);
  EXPECT_FALSE(reused.stale);
  EXPECT_FALSE(reused.prefetch);
  EXPECT_EQ(reused.wire.capacity(), capacity);  // the buffer was reused
  EXPECT_EQ(Decoded(reused).answers.at(0).ttl, 290u);
  EXPECT_FALSE(cache.Lookup(KeyOf("missing.example"), kT0, false, &reused));
  const CacheStats st = cache.stats();
  EXPECT_EQ(st.hits, 3u);
  EXPECT_EQ(st.misses, 1u);
}

// CacheKeyInto overwrites its buffer with CacheKey's bytes.
TEST(CacheTest, CacheKeyIntoOverwrites) {
  std::string key = "previous contents that are longer";
  CacheKeyInto(N("WWW.Example.com"), rr_type::kAaaa, rr_class::kIn, &key);
  EXPECT_EQ(key, CacheKey(N("www.example.com"), rr_type::kAaaa, rr_class::kIn));
}

// The open-addressing key index stays consistent with the LRU list through
// growth, evictions, replacements and clears: exactly the entries counted
// are found, the newest are never lost, and evicted ones are gone.
TEST(CacheTest, IndexConsistentUnderChurn) {
  CacheConfig cfg;
  cfg.max_bytes = 20000;
  Cache cache(cfg);
  auto name = [](int i) { return "n" + std::to_string(i) + ".churn.example"; };
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(cache.Insert(Subset(Answer(name(i), 300, static_cast<uint8_t>(i))), kT0));
    if (i % 7 == 0 && i >= 10) {
      // Replace a recent entry with a different answer.
      ASSERT_TRUE(cache.Insert(Subset(Answer(name(i - 3), 300, 200)), kT0));
    }
    ASSERT_TRUE(cache.Lookup(KeyOf(name(i)), kT0)) << i;
  }
  const CacheStats s = cache.stats();
  EXPECT_GT(s.evictions, 2000u);
  size_t found = 0;
  for (int i = 0; i < 3000; ++i) {
    if (auto hit = cache.Lookup(KeyOf(name(i)), kT0)) {
      ++found;
      const Message m = Decoded(*hit);
      ASSERT_EQ(m.questions.size(), 1u);
      EXPECT_EQ(m.questions[0].name, N(name(i)));
    }
  }
  EXPECT_EQ(found, s.entries);
  EXPECT_TRUE(cache.Lookup(KeyOf(name(2999)), kT0));
  EXPECT_FALSE(cache.Lookup(KeyOf(name(0)), kT0));
  cache.Clear();
  EXPECT_FALSE(cache.Lookup(KeyOf(name(2999)), kT0));
  ASSERT_TRUE(cache.Insert(Subset(Answer(name(1), 300)), kT0));
  EXPECT_TRUE(cache.Lookup(KeyOf(name(1)), kT0));
  EXPECT_EQ(cache.stats().entries, 1u);
}

}  // namespace
}  // namespace vigie::dns
