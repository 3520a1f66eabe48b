// The stub resolver against a scripted nameserver on 127.0.0.1 (UDP and TCP
// on one port 0): spoofed and stray answers, bailiwick, truncation, CNAME
// chains, negative answers, the cache, the hosts file, and lookups that
// must not wait for one another.
#include "core/resolver.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/dns/builders.h"
#include "core/dns/fake_nameserver.h"
#include "core/dns/message.h"

namespace vigie {
namespace {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using net::udp;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;
using Bytes = std::vector<std::byte>;

dns::Name N(std::string_view text) {
  return dns::Name::FromText(text).value();
}

using dns::test_support::FakeNameserver;
using dns::test_support::Wire;

Address AddressOf(const FakeNameserver& ns) {
  Address a;
  a.host = "127.0.0.1";
  a.port = ns.port();
  return a;
}

// Answers A and AAAA questions for `name` with `v4` / `v6`, NXDOMAIN for
// anything else.
std::vector<Bytes> Authoritative(const dns::Message& q, std::string_view name,
                                 std::array<uint8_t, 4> v4, uint32_t ttl = 300) {
  dns::Message r = dns::ResponseTo(q);
  const auto& question = q.questions[0];
  if (!(question.name == N(name))) {
    r.SetFullRcode(dns::rcode::kNxDomain);
    r.authorities.push_back(dns::SyntheticSoa(N("test"), 60));
    return {Wire(r)};
  }
  if (question.type == dns::rr_type::kA) {
    r.answers.push_back(dns::MakeA(question.name, ttl, v4));
  } else {
    r.authorities.push_back(dns::SyntheticSoa(N("test"), 60));
  }
  return {Wire(r)};
}

// A lookup run to completion on `ctx`, polled against a wall-clock limit
// (never reached when the resolver keeps its deadlines).
struct Outcome {
  bool done = false;
  Result<HostAddresses> result = Error(Errc::kCancelled);
  SteadyClock::duration took{};
};

void Start(asio::io_context& ctx, Resolver& r, std::string name, LookupFamily family, Outcome* out,
           std::optional<Duration> timeout = std::nullopt) {
  const auto start = SteadyClock::now();
  asio::co_spawn(ctx, r.Lookup(std::move(name), family, timeout),
                 [out, start](const std::exception_ptr& e, Result<HostAddresses> res) {
                   out->done = true;
                   out->took = SteadyClock::now() - start;
                   out->result = e ? Result<HostAddresses>(Error(Errc::kIo)) : std::move(res);
                 });
}

void RunUntil(asio::io_context& ctx, const std::function<bool()>& done) {
  const auto limit = SteadyClock::now() + seconds(20);
  while (!done() && SteadyClock::now() < limit) {
    ctx.run_one_for(milliseconds(50));
  }
  ASSERT_TRUE(done()) << "the lookup did not finish within 20 s";
}

Result<HostAddresses> Resolve(asio::io_context& ctx, Resolver& r, std::string name,
                              LookupFamily family = LookupFamily::kV4,
                              std::optional<Duration> timeout = std::nullopt) {
  Outcome o;
  Start(ctx, r, std::move(name), family, &o, timeout);
  RunUntil(ctx, [&o] { return o.done; });
  return std::move(o.result);
}

std::vector<std::string> Texts(const HostAddresses& a) {
  std::vector<std::string> out;
  for (const auto& ip : a.addresses) {
    out.push_back(ip.ToString());
  }
  return out;
}

ResolverOptions Options(const FakeNameserver& ns) {
  ResolverOptions o;
  o.servers = {AddressOf(ns)};
  o.hosts_file = "";
  o.timeout = seconds(5);
  o.try_timeout = seconds(5);
  o.attempts = 1;
  return o;
}

class ResolverTest : public ::testing::Test {
 protected:
  asio::io_context ctx_;
  FakeNameserver ns_{ctx_};
};

TEST_F(ResolverTest, AnswersAnAQuestion) {
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "www.test", {10, 0, 0, 1}, 120);
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "WWW.test.");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(a->ttl, seconds(120));
  EXPECT_EQ(a->source, AnswerSource::kServer);
  EXPECT_EQ(a->server, AddressOf(ns_).ToString());
}

TEST_F(ResolverTest, TtlsAreClamped) {
  ns_.script = [](const dns::Message& q, bool) {
    uint32_t ttl = q.questions[0].name == N("long.test") ? 86400 : 1;
    dns::Message r = dns::ResponseTo(q);
    r.answers.push_back(dns::MakeA(q.questions[0].name, ttl, {10, 0, 0, 1}));
    return std::vector<Bytes>{Wire(r)};
  };
  ResolverOptions o = Options(ns_);
  o.min_ttl = seconds(10);
  o.max_ttl = seconds(600);
  Resolver r(o);
  EXPECT_EQ(Resolve(ctx_, r, "long.test").value().ttl, seconds(600));
  EXPECT_EQ(Resolve(ctx_, r, "short.test").value().ttl, seconds(10));
}

TEST_F(ResolverTest, AnAnswerForAnotherNameIsIgnored) {
  ns_.script = [](const dns::Message& q, bool) {
    // Same ID, but the question is another name's: a spoofer's guess.
    dns::Message other = q;
    other.questions[0].name = N("other.test");
    std::vector<Bytes> out = Authoritative(other, "other.test", {6, 6, 6, 6});
    auto real = Authoritative(q, "www.test", {10, 0, 0, 1});
    out.insert(out.end(), real.begin(), real.end());
    return out;
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.1"}));
}

TEST_F(ResolverTest, OnlyAnswersForAnotherNameMeanATimeout) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message other = q;
    other.questions[0].name = N("other.test");
    dns::Message wrong_type = q;
    wrong_type.questions[0].type = dns::rr_type::kAaaa;
    auto out = Authoritative(other, "other.test", {6, 6, 6, 6});
    dns::Message r = dns::ResponseTo(wrong_type);
    r.answers.push_back(dns::MakeA(N("www.test"), 60, {6, 6, 6, 7}));
    out.push_back(Wire(r));
    return out;
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test", LookupFamily::kV4, milliseconds(300));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ResolveErrc::kTimeout) << a.error().ToString();
}

TEST_F(ResolverTest, AWrongIdOrAQueryIsIgnored) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message wrong_id = q;
    wrong_id.header.id = static_cast<uint16_t>(q.header.id ^ 0x5a5a);
    auto out = Authoritative(wrong_id, "www.test", {6, 6, 6, 6});
    // The right ID but QR clear: not a response.
    dns::Message not_response = dns::ResponseTo(q);
    not_response.header.qr = false;
    not_response.answers.push_back(dns::MakeA(N("www.test"), 60, {6, 6, 6, 8}));
    out.push_back(Wire(not_response));
    out.push_back({std::byte{1}, std::byte{2}, std::byte{3}});  // garbage
    auto real = Authoritative(q, "www.test", {10, 0, 0, 2});
    out.insert(out.end(), real.begin(), real.end());
    return out;
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.2"}));
}

TEST_F(ResolverTest, OnlyAWrongIdMeansATimeoutNotAFailure) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message wrong_id = q;
    wrong_id.header.id = static_cast<uint16_t>(q.header.id + 1);
    return Authoritative(wrong_id, "www.test", {6, 6, 6, 6});
  };
  Resolver r(Options(ns_));
  const Duration deadline = milliseconds(300);
  auto a = Resolve(ctx_, r, "www.test", LookupFamily::kV4, deadline);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ResolveErrc::kTimeout) << a.error().ToString();
}

TEST_F(ResolverTest, OutOfBailiwickRecordsAreNotReturned) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    r.answers.push_back(dns::MakeA(N("evil.example"), 60, {6, 6, 6, 6}));
    r.answers.push_back(dns::MakeA(q.questions[0].name, 60, {10, 0, 0, 3}));
    r.answers.push_back(dns::MakeA(N("sub.www.test"), 60, {6, 6, 6, 7}));
    r.additionals.push_back(dns::MakeA(N("www.test"), 60, {6, 6, 6, 8}));
    return std::vector<Bytes>{Wire(r)};
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.3"}));
}

TEST_F(ResolverTest, OnlyOutOfBailiwickRecordsGiveNoData) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    r.answers.push_back(dns::MakeA(N("bank.example"), 60, {6, 6, 6, 6}));
    r.authorities.push_back(dns::SyntheticSoa(N("test"), 60));
    return std::vector<Bytes>{Wire(r)};
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ResolveErrc::kNoData) << a.error().ToString();
}

TEST_F(ResolverTest, ATruncatedAnswerIsAskedAgainOverTcp) {
  ns_.script = [](const dns::Message& q, bool over_tcp) {
    if (!over_tcp) {
      dns::Message tc = dns::BuildTruncated(q);
      tc.answers.push_back(dns::MakeA(q.questions[0].name, 60, {10, 0, 0, 66}));  // partial
      return std::vector<Bytes>{Wire(tc)};
    }
    return Authoritative(q, "big.test", {10, 0, 0, 4});
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "big.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.4"}));
  EXPECT_EQ(ns_.udp_queries, 1);
  EXPECT_EQ(ns_.tcp_queries, 1);
}

TEST_F(ResolverTest, ACnameChainIsFollowedWithItsSmallestTtl) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    r.answers.push_back(dns::MakeCname(N("www.test"), 300, N("edge.cdn.example")));
    r.answers.push_back(dns::MakeCname(N("edge.cdn.example"), 30, N("node7.cdn.example")));
    r.answers.push_back(dns::MakeA(N("node7.cdn.example"), 200, {10, 0, 0, 7}));
    r.answers.push_back(dns::MakeA(N("edge.cdn.example"), 200, {6, 6, 6, 6}));  // beside its CNAME
    return std::vector<Bytes>{Wire(r)};
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.7"}));
  EXPECT_EQ(a->ttl, seconds(30));
}

TEST_F(ResolverTest, AChainEndingWithoutAddressesIsContinuedAtItsTarget) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    if (q.questions[0].name == N("www.test")) {
      r.answers.push_back(dns::MakeCname(N("www.test"), 300, N("target.example")));
      return std::vector<Bytes>{Wire(r)};  // no SOA: the server did not follow it
    }
    return Authoritative(q, "target.example", {10, 0, 0, 8}, 100);
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.8"}));
  EXPECT_EQ(ns_.asked, (std::vector<std::string>{"1 www.test", "1 target.example"}));
}

TEST_F(ResolverTest, ACnameLoopEnds) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    r.answers.push_back(dns::MakeCname(N("a.test"), 60, N("b.test")));
    r.answers.push_back(dns::MakeCname(N("b.test"), 60, N("a.test")));
    return std::vector<Bytes>{Wire(r)};
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "a.test");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ResolveErrc::kServerFailure) << a.error().ToString();
  EXPECT_EQ(ns_.udp_queries, 1);
}

TEST_F(ResolverTest, NxdomainAndNodataAreDistinct) {
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "v4only.test", {10, 0, 0, 9});
  };
  Resolver r(Options(ns_));
  auto missing = Resolve(ctx_, r, "missing.test");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ResolveErrc::kNxDomain) << missing.error().ToString();
  auto v6 = Resolve(ctx_, r, "v4only.test", LookupFamily::kV6);
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error().code(), ResolveErrc::kNoData) << v6.error().ToString();
  auto any = Resolve(ctx_, r, "v4only.test", LookupFamily::kAny);
  ASSERT_TRUE(any) << any.error().ToString();
  EXPECT_EQ(Texts(*any), (std::vector<std::string>{"10.0.0.9"}));
}

TEST_F(ResolverTest, AnyAsksBothFamiliesV4First) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    if (q.questions[0].type == dns::rr_type::kAaaa) {
      std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
      v6[15] = 1;
      r.answers.push_back(dns::MakeAaaa(q.questions[0].name, 50, v6));
    } else {
      r.answers.push_back(dns::MakeA(q.questions[0].name, 70, {10, 0, 0, 10}));
    }
    return std::vector<Bytes>{Wire(r)};
  };
  Resolver r(Options(ns_));
  auto a = Resolve(ctx_, r, "dual.test", LookupFamily::kAny);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.10", "2001:db8::1"}));
  EXPECT_EQ(a->ttl, seconds(50));
}

TEST_F(ResolverTest, TheCacheAnswersTheSecondLookupUntilTheTtlEnds) {
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "www.test", {10, 0, 0, 11}, 100);
  };
  FakeClock clock;
  ResolverOptions o = Options(ns_);
  o.clock = &clock;
  Resolver r(o);
  ASSERT_TRUE(Resolve(ctx_, r, "www.test"));
  EXPECT_EQ(ns_.udp_queries, 1);
  clock.Advance(seconds(40));
  auto again = Resolve(ctx_, r, "WWW.TEST");
  ASSERT_TRUE(again);
  EXPECT_EQ(ns_.udp_queries, 1);
  EXPECT_EQ(again->source, AnswerSource::kCache);
  EXPECT_EQ(again->ttl, seconds(60));
  EXPECT_EQ(Texts(*again), (std::vector<std::string>{"10.0.0.11"}));
  // Negative answers are cached too, for negative_ttl.
  ASSERT_FALSE(Resolve(ctx_, r, "missing.test"));
  ASSERT_FALSE(Resolve(ctx_, r, "missing.test"));
  EXPECT_EQ(ns_.udp_queries, 2);
  clock.Advance(seconds(61));
  ASSERT_TRUE(Resolve(ctx_, r, "www.test"));
  ASSERT_FALSE(Resolve(ctx_, r, "missing.test"));
  EXPECT_EQ(ns_.udp_queries, 4);
}

TEST_F(ResolverTest, TheCacheIsBounded) {
  ns_.script = [](const dns::Message& q, bool) {
    dns::Message r = dns::ResponseTo(q);
    r.answers.push_back(dns::MakeA(q.questions[0].name, 300, {10, 0, 0, 12}));
    return std::vector<Bytes>{Wire(r)};
  };
  ResolverOptions o = Options(ns_);
  o.cache_entries = 4;
  Resolver r(o);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Resolve(ctx_, r, "n" + std::to_string(i) + ".test"));
    EXPECT_LE(r.cache_size(), 4u);
  }
}

TEST_F(ResolverTest, TheHostsFileAnswersFirstAndIsReReadWhenItChanges) {
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "dns.test", {10, 0, 0, 13});
  };
  char path[] = "/tmp/vigie_hosts_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "# test hosts\n10.9.9.9 pinned.test pinned\n2001:db8::9 pinned.test\n";
  ResolverOptions o = Options(ns_);
  o.hosts_file = path;
  Resolver r(o);
  auto a = Resolve(ctx_, r, "Pinned.Test", LookupFamily::kAny);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.9.9.9", "2001:db8::9"}));
  EXPECT_EQ(a->source, AnswerSource::kHosts);
  EXPECT_EQ(ns_.udp_queries, 0);
  auto dns_name = Resolve(ctx_, r, "dns.test");
  ASSERT_TRUE(dns_name);
  EXPECT_EQ(ns_.udp_queries, 1);
  // An edit (another size) is seen by the next lookup.
  std::ofstream(path) << "10.8.8.8 pinned.test\n10.8.8.9 dns.test\n";
  auto edited = Resolve(ctx_, r, "pinned.test");
  ASSERT_TRUE(edited);
  EXPECT_EQ(Texts(*edited), (std::vector<std::string>{"10.8.8.8"}));
  EXPECT_EQ(Texts(Resolve(ctx_, r, "dns.test").value()), (std::vector<std::string>{"10.8.8.9"}));
  EXPECT_EQ(ns_.udp_queries, 1);
  std::remove(path);
}

TEST_F(ResolverTest, APreloadedHostsTableIsUsedAndNeverReRead) {
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "other.test", {10, 0, 0, 14});
  };
  char path[] = "/tmp/vigie_hosts_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "10.6.6.6 pinned.test\n";
  auto table = HostsTable::Load(path);
  ASSERT_TRUE(table);
  ResolverOptions o = Options(ns_);
  o.hosts = std::make_shared<const HostsTable>(std::move(*table));
  o.hosts_file = path;  // ignored while a table is given
  Resolver r(o);
  auto a = Resolve(ctx_, r, "pinned.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.6.6.6"}));
  EXPECT_EQ(a->source, AnswerSource::kHosts);
  // An edit is not seen: the table is the caller's, reloaded with its config.
  std::ofstream(path) << "10.5.5.5 pinned.test other.test\n";
  EXPECT_EQ(Texts(Resolve(ctx_, r, "pinned.test").value()), (std::vector<std::string>{"10.6.6.6"}));
  EXPECT_EQ(ns_.udp_queries, 0);
  // A name the table lacks goes to the servers.
  EXPECT_EQ(Texts(Resolve(ctx_, r, "other.test").value()), (std::vector<std::string>{"10.0.0.14"}));
  EXPECT_EQ(ns_.udp_queries, 1);
  std::remove(path);
}

TEST_F(ResolverTest, WithoutServersOnlyTheHostsFileAnswers) {
  char path[] = "/tmp/vigie_hosts_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "10.7.7.7 pinned.test\n";
  ResolverOptions o = Options(ns_);
  o.servers.clear();
  o.resolv_conf.clear();
  o.hosts_file = path;
  Resolver r(o);
  EXPECT_TRUE(r.servers().empty());
  auto pinned = Resolve(ctx_, r, "pinned.test");
  ASSERT_TRUE(pinned) << pinned.error().ToString();
  EXPECT_EQ(Texts(*pinned), (std::vector<std::string>{"10.7.7.7"}));
  auto other = Resolve(ctx_, r, "other.test");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), ResolveErrc::kNxDomain);
  EXPECT_EQ(ns_.udp_queries, 0);
  std::remove(path);
}

TEST(ResolverConfigTest, ServersSearchAndOptionsComeFromResolvConf) {
  char path[] = "/tmp/vigie_resolv_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "nameserver 10.1.1.1\nnameserver ::1\nsearch a.test b.test\n"
                         "options ndots:2 timeout:1 attempts:3\n";
  ResolverOptions o;
  o.resolv_conf = path;
  Resolver r(o);
  ASSERT_EQ(r.servers().size(), 2u);
  EXPECT_EQ(r.servers()[0].ToString(), "10.1.1.1:53");
  EXPECT_EQ(r.servers()[1].ToString(), "[::1]:53");
  EXPECT_EQ(r.search(), (std::vector<std::string>{"a.test", "b.test"}));
  EXPECT_EQ(r.ndots(), 2);
  EXPECT_EQ(r.try_timeout(), seconds(1));
  EXPECT_EQ(r.attempts(), 3);
  std::remove(path);
  // Servers given: resolv.conf is not read.
  o.servers = {Address{Address::Kind::kInet, "10.2.2.2", 5353, ""}};
  Resolver given(o);
  ASSERT_EQ(given.servers().size(), 1u);
  EXPECT_EQ(given.servers()[0].ToString(), "10.2.2.2:5353");
  EXPECT_TRUE(given.search().empty());
}

TEST_F(ResolverTest, LiteralsAnswerAtOnce) {
  Resolver r(Options(ns_));
  auto v4 = Resolve(ctx_, r, "192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->source, AnswerSource::kLiteral);
  EXPECT_EQ(Texts(*v4), (std::vector<std::string>{"192.0.2.1"}));
  auto v6 = Resolve(ctx_, r, "2001:db8::1", LookupFamily::kV4);
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error().code(), ResolveErrc::kNoData);
  auto bad = Resolve(ctx_, r, "bad..name");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ResolveErrc::kBadName);
  EXPECT_EQ(ns_.udp_queries, 0);
}

TEST_F(ResolverTest, TheSearchListIsTriedForShortNames) {
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "db.corp.test", {10, 0, 0, 14});
  };
  ResolverOptions o = Options(ns_);
  o.search = {"lab.test", "corp.test"};
  Resolver r(o);
  auto a = Resolve(ctx_, r, "db");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.14"}));
  EXPECT_EQ(ns_.asked, (std::vector<std::string>{"1 db.lab.test", "1 db.corp.test"}));
  auto absolute = Resolve(ctx_, r, "db.");
  ASSERT_FALSE(absolute);
  EXPECT_EQ(absolute.error().code(), ResolveErrc::kNxDomain);
}

TEST_F(ResolverTest, AServerFailureMovesToTheNextServer) {
  FakeNameserver good(ctx_);
  good.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "www.test", {10, 0, 0, 15});
  };
  ns_.script = [](const dns::Message& q, bool) {
    return std::vector<Bytes>{Wire(dns::BuildRefused(q))};
  };
  ResolverOptions o = Options(ns_);
  o.servers = {AddressOf(ns_), AddressOf(good)};
  Resolver r(o);
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->server, AddressOf(good).ToString());
}

TEST_F(ResolverTest, ABlackHoledServerIsLeftAfterItsTryTimeout) {
  FakeNameserver good(ctx_);
  good.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "www.test", {10, 0, 0, 16});
  };
  ResolverOptions o = Options(ns_);  // ns_ has no script: it never answers
  o.servers = {AddressOf(ns_), AddressOf(good)};
  o.timeout = seconds(10);
  o.try_timeout = milliseconds(200);
  Resolver r(o);
  auto a = Resolve(ctx_, r, "www.test");
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(ns_.udp_queries, 1);
  EXPECT_EQ(a->server, AddressOf(good).ToString());
}

TEST_F(ResolverTest, ABlackHoledLookupDoesNotDelayAnother) {
  // The server never answers one name; a lookup of another name, started
  // after it on the same resolver and thread, must not wait for it.
  ns_.script = [](const dns::Message& q, bool) {
    if (q.questions[0].name == N("hole.test")) {
      return std::vector<Bytes>{};
    }
    return Authoritative(q, "fast.test", {10, 0, 0, 17});
  };
  FakeNameserver silent(ctx_);  // another server, wholly black-holed
  const Duration deadline = seconds(3);
  ResolverOptions o = Options(ns_);
  o.timeout = deadline;
  o.try_timeout = deadline;
  Resolver r(o);
  ResolverOptions so = Options(silent);
  so.timeout = deadline;
  so.try_timeout = deadline;
  Resolver stuck(so);

  Outcome hole;
  Outcome other_server;
  Outcome fast;
  Start(ctx_, r, "hole.test", LookupFamily::kAny, &hole);
  Start(ctx_, stuck, "fast.test", LookupFamily::kAny, &other_server);
  Start(ctx_, r, "fast.test", LookupFamily::kAny, &fast);
  RunUntil(ctx_, [&] { return hole.done && other_server.done && fast.done; });

  ASSERT_TRUE(fast.result) << fast.result.error().ToString();
  EXPECT_EQ(Texts(*fast.result), (std::vector<std::string>{"10.0.0.17"}));
  ASSERT_FALSE(hole.result);
  EXPECT_EQ(hole.result.error().code(), ResolveErrc::kTimeout);
  ASSERT_FALSE(other_server.result);
  EXPECT_EQ(other_server.result.error().code(), ResolveErrc::kTimeout);
  // The stuck lookups kept their deadline; the good one was not held by them.
  EXPECT_GE(hole.took, deadline - milliseconds(50));
  EXPECT_LT(hole.took, deadline + seconds(2));
  EXPECT_LT(fast.took, deadline / 4);
}

TEST_F(ResolverTest, LookupBlockingReturnsTheAnswer) {
  // The server runs on its own thread here: LookupBlocking blocks this one.
  ns_.script = [](const dns::Message& q, bool) {
    return Authoritative(q, "www.test", {10, 0, 0, 18});
  };
  std::thread server([this] {
    auto guard = asio::make_work_guard(ctx_);
    ctx_.run_for(seconds(10));
  });
  Resolver r(Options(ns_));
  auto a = r.LookupBlocking("www.test", LookupFamily::kV4);
  ctx_.stop();
  server.join();
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(Texts(*a), (std::vector<std::string>{"10.0.0.18"}));
}

}  // namespace
}  // namespace vigie
