// Tests for the query pipeline without I/O: block answers per mode and type,
// allow, local records, cache hits patched per client, CNAME cloaking,
// malformed input, access control, ANY, serve-stale.
#include "dns/server/answer.h"

#include <gtest/gtest.h>

#include "core/dns/builders.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

Name N(std::string_view s) {
  return *Name::FromText(s);
}

std::vector<std::byte> QueryWire(std::string_view name, uint16_t type, uint16_t id = 4242,
                                 bool edns = true) {
  Message q;
  q.header.id = id;
  q.header.rd = true;
  q.questions.push_back({N(name), type, rr_class::kIn});
  if (edns) {
    q.edns = Edns{};
  }
  std::vector<std::byte> out;
  Encode(q, &out);
  return out;
}

Message Decode(const std::vector<std::byte>& w) {
  auto m = DecodeMessage(w);
  EXPECT_TRUE(m) << m.error().ToString();
  return m ? *m : Message{};
}

class AnswerTest : public ::testing::Test {
 protected:
  void SetUp() override { Build("nxdomain"); }

  void Build(std::string_view mode) {
    auto config = std::make_shared<DnsConfig>();
    config->clients = {*Cidr::Parse("127.0.0.0/8")};
    ASSERT_TRUE(ParseBlockMode(mode, *config));
    PolicyBuilder b;
    uint16_t hosts = b.AddList({"hosts", "http://127.0.0.1/hosts"});
    b.AddListText(hosts, "# list\n0.0.0.0 ads.example.com\n0.0.0.0 tracker.example.net\n");
    uint16_t mine = b.AddList({"mine", "/etc/mine.txt"});
    b.AddListText(mine, "||evil.example^\n||cdn.example^\n");
    uint16_t allow = b.AddList({"allow", "/etc/allow.txt"});
    b.AddListText(allow, "good.cdn.example\n", {}, RuleAction::kAllow);
    LocalRecord rec{rr_type::kA, 300, {std::byte{10}, std::byte{0}, std::byte{0}, std::byte{7}}};
    ASSERT_TRUE(b.AddLocalRecord("nas.home.arpa", rec));
    snap_ = Snapshot{config, std::make_shared<const Policy>(std::move(b).Build())};
  }

  Handled Ask(std::string_view name, uint16_t type, std::string_view client = "127.0.0.1") {
    Handled h;
    HandleQuery(QueryWire(name, type), *IpAddress::Parse(client), false, snap_, &cache_, now_, &h);
    return h;
  }

  Snapshot snap_;
  ShardedCache cache_;
  CacheTime now_ = CacheTime{} + std::chrono::hours(100);
};

TEST_F(AnswerTest, BlockedNameGetsNxdomainForEveryTypeWithSoaAndEde) {
  for (uint16_t type : {rr_type::kA, rr_type::kAaaa, rr_type::kHttps, rr_type::kTxt}) {
    Handled h = Ask("ads.example.com", type);
    ASSERT_EQ(h.action, Handled::Action::kReply);
    EXPECT_EQ(h.result, QueryResult::kBlocked);
    Message m = Decode(h.reply);
    EXPECT_EQ(m.header.id, 4242);
    EXPECT_EQ(m.FullRcode(), rcode::kNxDomain);
    ASSERT_EQ(m.authorities.size(), 1u);
    EXPECT_EQ(m.authorities[0].type, rr_type::kSoa);
    ASSERT_TRUE(m.edns);
    auto ede = m.edns->FindExtendedError();
    ASSERT_TRUE(ede);
    EXPECT_EQ(ede->info_code, ede::kBlocked);
    EXPECT_NE(ede->extra_text.find("hosts"), std::string::npos);
  }
  // Adblock rules cover the subtree.
  EXPECT_EQ(Ask("a.b.evil.example", rr_type::kA).result, QueryResult::kBlocked);
  // Hosts rules are exact.
  EXPECT_EQ(Ask("sub.ads.example.com", rr_type::kA).action, Handled::Action::kForward);
}

TEST_F(AnswerTest, NullModeAnswersAddressesAndNodataForOtherTypes) {
  Build("null");
  Message a = Decode(Ask("ads.example.com", rr_type::kA).reply);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].rdata, std::vector<std::byte>(4, std::byte{0}));
  Message aaaa = Decode(Ask("ads.example.com", rr_type::kAaaa).reply);
  ASSERT_EQ(aaaa.answers.size(), 1u);
  EXPECT_EQ(aaaa.answers[0].rdata, std::vector<std::byte>(16, std::byte{0}));
  Message https = Decode(Ask("ads.example.com", rr_type::kHttps).reply);
  EXPECT_EQ(https.FullRcode(), rcode::kNoError);
  EXPECT_TRUE(https.answers.empty());
  EXPECT_EQ(https.authorities.size(), 1u);
}

TEST_F(AnswerTest, CustomAddressAndRefusedModes) {
  Build("192.0.2.99");
  Message a = Decode(Ask("ads.example.com", rr_type::kA).reply);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(std::to_integer<int>(a.answers[0].rdata[3]), 99);
  Build("refused");
  EXPECT_EQ(Decode(Ask("ads.example.com", rr_type::kA).reply).FullRcode(), rcode::kRefused);
}

// The hot path writes block answers straight to wire form: it must say
// exactly what the Message builders say, also into a reused Handled whose
// reply buffer held a longer answer before (as a worker reuses them).
TEST_F(AnswerTest, FastBlockAnswersEqualTheBuilders) {
  Handled reused;
  for (std::string_view mode : {"nxdomain", "null", "nodata", "refused", "192.0.2.1,2001:db8::1"}) {
    Build(mode);
    for (uint16_t type : {rr_type::kA, rr_type::kAaaa, rr_type::kHttps, rr_type::kMx}) {
      for (bool edns : {true, false}) {
        Handled h;
        HandleQuery(QueryWire("Ads.Example.com", type, 99, edns), *IpAddress::Parse("127.0.0.1"),
                    false, snap_, &cache_, now_, &h);
        ASSERT_EQ(h.result, QueryResult::kBlocked);
        reused.reply.assign(600, std::byte{0xEE});
        HandleQuery(QueryWire("Ads.Example.com", type, 99, edns), *IpAddress::Parse("127.0.0.1"),
                    false, snap_, &cache_, now_, &reused);
        EXPECT_EQ(reused.reply, h.reply);
        Message fast = Decode(h.reply);
        Message query = *DecodeQuery(QueryWire("Ads.Example.com", type, 99, edns));
        auto slow =
            BuildBlockAnswer(query, snap_.policy->Decide(query.questions[0].name), *snap_.config);
        ASSERT_TRUE(slow);
        std::vector<std::byte> wire;
        Encode(*slow, &wire);
        Message expected = Decode(wire);
        SCOPED_TRACE(std::string(mode) + " type " + std::to_string(type));
        EXPECT_EQ(fast.header, expected.header);
        EXPECT_EQ(fast.questions, expected.questions);
        EXPECT_EQ(fast.answers, expected.answers);
        EXPECT_EQ(fast.authorities, expected.authorities);
        EXPECT_EQ(fast.edns, expected.edns);
      }
    }
  }
}

TEST_F(AnswerTest, AllowlistBeatsBlocklistAndIsForwarded) {
  EXPECT_EQ(Ask("x.cdn.example", rr_type::kA).result, QueryResult::kBlocked);
  Handled h = Ask("good.cdn.example", rr_type::kA);
  EXPECT_EQ(h.action, Handled::Action::kForward);
  EXPECT_TRUE(h.allowed);
}

TEST_F(AnswerTest, LocalRecordsAnswerLocally) {
  Message m = Decode(Ask("nas.home.arpa", rr_type::kA).reply);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(std::to_integer<int>(m.answers[0].rdata[3]), 7);
  Message other = Decode(Ask("nas.home.arpa", rr_type::kAaaa).reply);
  EXPECT_TRUE(other.answers.empty());
}

TEST_F(AnswerTest, ForwardedAnswerIsCachedAndPatchedPerClient) {
  Handled h = Ask("www.example.org", rr_type::kA);
  ASSERT_EQ(h.action, Handled::Action::kForward);
  Message up = ResponseTo(h.query);
  up.header.id = 999;
  up.answers.push_back(MakeA(N("www.example.org"), 300, {192, 0, 2, 1}));
  up.additionals.push_back(MakeA(N("junk.example"), 300, {6, 6, 6, 6}));
  Handled r;
  AnswerFromUpstream(h.query, false, false, up, snap_, &cache_, now_, &r);
  EXPECT_EQ(r.result, QueryResult::kForwarded);
  Message first = Decode(r.reply);
  EXPECT_EQ(first.header.id, 4242);
  EXPECT_EQ(first.answers.size(), 1u);
  EXPECT_TRUE(first.additionals.empty());

  now_ += std::chrono::seconds(10);
  Handled again;
  HandleQuery(QueryWire("WWW.example.ORG", rr_type::kA, 7), *IpAddress::Parse("127.0.0.1"), false,
              snap_, &cache_, now_, &again);
  ASSERT_EQ(again.result, QueryResult::kCached);
  Message m = Decode(again.reply);
  EXPECT_EQ(m.header.id, 7);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.ra);
  EXPECT_EQ(m.questions[0].name.ToText(), "WWW.example.ORG.");
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].ttl, 290u);
  ASSERT_TRUE(m.edns);
  EXPECT_EQ(m.edns->udp_size, kDefaultEdnsUdpSize);
}

TEST_F(AnswerTest, CnameCloakingIsBlocked) {
  Handled h = Ask("metrics.shop.example", rr_type::kA);
  ASSERT_EQ(h.action, Handled::Action::kForward);
  Message up = ResponseTo(h.query);
  up.answers.push_back(MakeCname(N("metrics.shop.example"), 300, N("tracker.example.net")));
  up.answers.push_back(MakeA(N("tracker.example.net"), 300, {192, 0, 2, 66}));
  Handled r;
  AnswerFromUpstream(h.query, false, h.allowed, up, snap_, &cache_, now_, &r);
  EXPECT_EQ(r.result, QueryResult::kBlockedCname);
  EXPECT_EQ(Decode(r.reply).FullRcode(), rcode::kNxDomain);
}

TEST_F(AnswerTest, MalformedQueriesGetFormerrOrAreDropped) {
  Handled h;
  std::vector<std::byte> shorty(5, std::byte{1});
  HandleQuery(shorty, *IpAddress::Parse("127.0.0.1"), false, snap_, &cache_, now_, &h);
  EXPECT_EQ(h.action, Handled::Action::kDrop);
  auto bad = QueryWire("x.example", rr_type::kA, 31);
  bad[12] = std::byte{0xC0};  // pointer into itself
  bad[13] = std::byte{12};
  HandleQuery(bad, *IpAddress::Parse("127.0.0.1"), false, snap_, &cache_, now_, &h);
  ASSERT_EQ(h.action, Handled::Action::kReply);
  EXPECT_EQ(h.result, QueryResult::kFormErr);
  Message m = Decode(h.reply);
  EXPECT_EQ(m.header.id, 31);
  EXPECT_EQ(m.FullRcode(), rcode::kFormErr);
  auto response = QueryWire("x.example", rr_type::kA);
  response[2] = std::byte{0x80};  // QR set: never answer a response
  HandleQuery(response, *IpAddress::Parse("127.0.0.1"), false, snap_, &cache_, now_, &h);
  EXPECT_EQ(h.action, Handled::Action::kDrop);
}

TEST_F(AnswerTest, ClientsOutsideTheAllowedCidrsAreRefused) {
  Handled h = Ask("www.example.org", rr_type::kA, "192.0.2.1");
  EXPECT_EQ(h.result, QueryResult::kRefused);
  EXPECT_EQ(Decode(h.reply).FullRcode(), rcode::kRefused);
}

TEST_F(AnswerTest, AnyGetsMinimalHinfo) {
  Handled h = Ask("www.example.org", rr_type::kAny);
  EXPECT_EQ(h.result, QueryResult::kAny);
  Message m = Decode(h.reply);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, 13);
}

TEST_F(AnswerTest, UpstreamFailureServesStaleElseServfail) {
  Handled h = Ask("stale.example", rr_type::kA);
  Message up = ResponseTo(h.query);
  up.answers.push_back(MakeA(N("stale.example"), 60, {192, 0, 2, 5}));
  Handled r;
  AnswerFromUpstream(h.query, false, false, up, snap_, &cache_, now_, &r);
  now_ += std::chrono::seconds(120);
  Handled miss = Ask("stale.example", rr_type::kA);
  ASSERT_EQ(miss.action, Handled::Action::kForward);
  AnswerFromUpstream(miss.query, false, false, Error(vigie::Errc::kTimeout), snap_, &cache_, now_,
                     &r);
  EXPECT_EQ(r.result, QueryResult::kStale);
  EXPECT_EQ(Decode(r.reply).answers.at(0).ttl, 30u);
  Handled other = Ask("never.example", rr_type::kA);
  AnswerFromUpstream(other.query, false, false, Error(vigie::Errc::kTimeout), snap_, &cache_, now_,
                     &r);
  EXPECT_EQ(r.result, QueryResult::kServFail);
  EXPECT_EQ(Decode(r.reply).FullRcode(), rcode::kServFail);
}

TEST_F(AnswerTest, LargeAnswerOverUdpIsTruncated) {
  Handled h;
  HandleQuery(QueryWire("big.example", rr_type::kA, 5, false), *IpAddress::Parse("127.0.0.1"),
              false, snap_, &cache_, now_, &h);
  Message up = ResponseTo(h.query);
  for (int i = 0; i < 60; ++i) {
    up.answers.push_back(MakeA(N("big.example"), 300, {192, 0, 2, static_cast<uint8_t>(i)}));
  }
  Handled r;
  AnswerFromUpstream(h.query, false, false, up, snap_, &cache_, now_, &r);
  EXPECT_LE(r.reply.size(), 512u);
  EXPECT_TRUE(Decode(r.reply).header.tc);
  AnswerFromUpstream(h.query, true, false, up, snap_, &cache_, now_, &r);
  EXPECT_EQ(Decode(r.reply).answers.size(), 60u);
}

}  // namespace
}  // namespace vigie::dns

namespace vigie::dns {
namespace {

class RateLimitedAnswerTest : public AnswerTest {
 protected:
  Handled AskLimited(RateLimitAction action, bool tcp) {
    auto config = std::make_shared<DnsConfig>(*snap_.config);
    config->rate_limit_action = action;
    snap_.config = config;
    Handled h;
    HandleQuery(QueryWire("www.example.org", rr_type::kA), *IpAddress::Parse("127.0.0.1"), tcp,
                snap_, &cache_, now_, &h, true);
    return h;
  }
};

TEST_F(RateLimitedAnswerTest, DropSendsNothing) {
  Handled h = AskLimited(RateLimitAction::kDrop, false);
  EXPECT_EQ(h.action, Handled::Action::kDrop);
  EXPECT_EQ(h.result, QueryResult::kRateLimited);
  EXPECT_EQ(QueryResultName(h.result), "ratelimited");
}

TEST_F(RateLimitedAnswerTest, RefusedAnswersRefused) {
  Handled h = AskLimited(RateLimitAction::kRefused, false);
  ASSERT_EQ(h.action, Handled::Action::kReply);
  EXPECT_EQ(h.result, QueryResult::kRateLimited);
  Message m = Decode(h.reply);
  EXPECT_EQ(m.header.id, 4242);
  EXPECT_EQ(m.header.rcode, rcode::kRefused);
}

TEST_F(RateLimitedAnswerTest, TruncateSetsTcWithoutRecordsOverUdp) {
  Handled h = AskLimited(RateLimitAction::kTruncate, false);
  ASSERT_EQ(h.action, Handled::Action::kReply);
  Message m = Decode(h.reply);
  EXPECT_TRUE(m.header.tc);
  EXPECT_EQ(m.header.rcode, rcode::kNoError);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.questions.size(), 1u);
}

TEST_F(AnswerTest, DecisionProvenanceIsReportedForTheLog) {
  Handled blocked = Ask("x.evil.example", rr_type::kA);
  ASSERT_TRUE(blocked.has_question);
  EXPECT_EQ(blocked.qname.ToKey(), "x.evil.example");
  ASSERT_NE(blocked.rule_list, nullptr);
  EXPECT_EQ(blocked.rule_list->id, "mine");
  EXPECT_EQ(blocked.rule_line, 1u);
  EXPECT_FALSE(blocked.rule_allows);

  Handled allowed = Ask("good.cdn.example", rr_type::kA);
  EXPECT_EQ(allowed.action, Handled::Action::kForward);
  ASSERT_NE(allowed.rule_list, nullptr);
  EXPECT_EQ(allowed.rule_list->id, "allow");
  EXPECT_TRUE(allowed.rule_allows);

  // Without the query log, plain forwards do not copy the question.
  Handled plain = Ask("www.example.org", rr_type::kA);
  EXPECT_FALSE(plain.has_question);
  EXPECT_EQ(plain.rule_list, nullptr);
}

}  // namespace
}  // namespace vigie::dns

namespace vigie::dns {
namespace {

TEST_F(AnswerTest, GarbageOverTheLimitIsDroppedNotFormerr) {
  auto config = std::make_shared<DnsConfig>(*snap_.config);
  config->rate_limit_action = RateLimitAction::kRefused;
  snap_.config = config;
  std::vector<std::byte> garbage = QueryWire("www.example.org", rr_type::kA);
  garbage.resize(15);  // header fine, question cut
  Handled h;
  HandleQuery(garbage, *IpAddress::Parse("127.0.0.1"), false, snap_, &cache_, now_, &h, true);
  EXPECT_EQ(h.action, Handled::Action::kDrop);
  EXPECT_EQ(h.result, QueryResult::kRateLimited);
  HandleQuery(garbage, *IpAddress::Parse("127.0.0.1"), false, snap_, &cache_, now_, &h, false);
  EXPECT_EQ(h.result, QueryResult::kFormErr);
}

}  // namespace
}  // namespace vigie::dns
