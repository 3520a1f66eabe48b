// Tests for the upstream client: the query sent, answer matching, the
// failover order and what ends it (no I/O); then UDP and TCP queries,
// failover, joined queries and the in-flight bound against a scripted
// upstream on 127.0.0.1.
#include "dns/server/upstream.h"

#include <chrono>
#include <functional>
#include <set>

#include <gtest/gtest.h>

// net.h carries the core of Asio; the composed read/write are added here.
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/dns/fake_nameserver.h"
#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using net::udp;
using Bytes = std::vector<std::byte>;

Name N(std::string_view s) {
  return *Name::FromText(s);
}

Question Q(std::string_view name, uint16_t type = rr_type::kA) {
  return Question{N(name), type, rr_class::kIn};
}

// The reply to `query` with `rcode` and, for NOERROR, one A record.
Message Reply(const Message& query, uint16_t code = rcode::kNoError) {
  Message r = query;
  r.header.qr = true;
  r.header.ra = true;
  r.SetFullRcode(code);
  if (code == rcode::kNoError) {
    r.answers.push_back(
        ResourceRecord{query.questions[0].name, rr_type::kA, rr_class::kIn, 60,
                       Bytes{std::byte{192}, std::byte{0}, std::byte{2}, std::byte{1}}});
  }
  return r;
}

UpstreamConfig Upstream(std::string_view host) {
  UpstreamConfig u;
  u.address.host = std::string(host);
  u.address.port = 53;
  return u;
}

// ---- The pure pieces ----

TEST(UpstreamQueryTest, AsksRecursionWithEdnsForTheQuestion) {
  const Message m = UpstreamQuery(Q("www.example.com", rr_type::kAaaa));
  EXPECT_FALSE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0], Q("www.example.com", rr_type::kAaaa));
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.edns->udp_size, kDefaultEdnsUdpSize);
  EXPECT_TRUE(m.answers.empty());
}

TEST(UpstreamQueryTest, IdsAreRandom) {
  std::set<uint16_t> ids;
  for (int i = 0; i < 64; ++i) {
    ids.insert(UpstreamQuery(Q("example.com")).header.id);
  }
  // 64 draws from 65536 values: a fixed or counting ID would give 1 or a
  // run; random ones are nearly all distinct.
  EXPECT_GT(ids.size(), 56u);
}

TEST(MatchesQueryTest, TakesTheResponseWithOurIdAndQuestion) {
  const Message query = UpstreamQuery(Q("www.example.com"));
  EXPECT_TRUE(MatchesQuery(Reply(query), query));
  EXPECT_TRUE(MatchesQuery(Reply(query, rcode::kNxDomain), query));
}

TEST(MatchesQueryTest, QuestionNameIsCaseInsensitive) {
  const Message query = UpstreamQuery(Q("www.example.com"));
  Message r = Reply(query);
  r.questions[0].name = N("WWW.Example.COM");
  EXPECT_TRUE(MatchesQuery(r, query));
}

TEST(MatchesQueryTest, RefusesEverythingElse) {
  const Message query = UpstreamQuery(Q("www.example.com"));
  Message not_response = Reply(query);
  not_response.header.qr = false;
  EXPECT_FALSE(MatchesQuery(not_response, query));

  Message other_id = Reply(query);
  other_id.header.id = static_cast<uint16_t>(query.header.id + 1);
  EXPECT_FALSE(MatchesQuery(other_id, query));

  Message other_name = Reply(query);
  other_name.questions[0].name = N("www.example.net");
  EXPECT_FALSE(MatchesQuery(other_name, query));

  Message other_type = Reply(query);
  other_type.questions[0].type = rr_type::kAaaa;
  EXPECT_FALSE(MatchesQuery(other_type, query));

  Message other_class = Reply(query);
  other_class.questions[0].klass = rr_class::kCh;
  EXPECT_FALSE(MatchesQuery(other_class, query));

  Message no_question = Reply(query);
  no_question.questions.clear();
  EXPECT_FALSE(MatchesQuery(no_question, query));

  Message two_questions = Reply(query);
  two_questions.questions.push_back(query.questions[0]);
  EXPECT_FALSE(MatchesQuery(two_questions, query));
}

std::vector<std::string> Names(const std::vector<const UpstreamConfig*>& order) {
  std::vector<std::string> out;
  for (const UpstreamConfig* u : order) {
    out.push_back(u->ToString());
  }
  return out;
}

TEST(FailoverOrderTest, ConfigOrderWhileNoneFails) {
  const std::vector<UpstreamConfig> ups = {Upstream("192.0.2.1"), Upstream("192.0.2.2"),
                                           Upstream("192.0.2.3")};
  std::unordered_map<std::string, int> failures;
  EXPECT_EQ(Names(FailoverOrder(ups, failures)),
            (std::vector<std::string>{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"}));
  // Every upstream now has its counter, at 0.
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures["192.0.2.2:53"], 0);
}

TEST(FailoverOrderTest, ThreeFailuresInARowSendAnUpstreamLast) {
  const std::vector<UpstreamConfig> ups = {Upstream("192.0.2.1"), Upstream("192.0.2.2"),
                                           Upstream("192.0.2.3")};
  std::unordered_map<std::string, int> failures = {{"192.0.2.1:53", 2}};
  EXPECT_EQ(Names(FailoverOrder(ups, failures)),
            (std::vector<std::string>{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"}));
  failures["192.0.2.1:53"] = kUpstreamFailuresToDemote;
  EXPECT_EQ(Names(FailoverOrder(ups, failures)),
            (std::vector<std::string>{"192.0.2.2:53", "192.0.2.3:53", "192.0.2.1:53"}));
}

TEST(FailoverOrderTest, DemotedUpstreamsKeepTheirOrderAndAreStillTried) {
  const std::vector<UpstreamConfig> ups = {Upstream("192.0.2.1"), Upstream("192.0.2.2"),
                                           Upstream("192.0.2.3")};
  std::unordered_map<std::string, int> failures = {{"192.0.2.1:53", 7}, {"192.0.2.2:53", 3}};
  EXPECT_EQ(Names(FailoverOrder(ups, failures)),
            (std::vector<std::string>{"192.0.2.3:53", "192.0.2.1:53", "192.0.2.2:53"}));
  failures["192.0.2.3:53"] = 4;
  EXPECT_EQ(Names(FailoverOrder(ups, failures)),
            (std::vector<std::string>{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"}));
}

TEST(UsableAnswerTest, ServFailRefusedAndErrorsMoveOn) {
  const Message query = UpstreamQuery(Q("www.example.com"));
  EXPECT_TRUE(UsableAnswer(Reply(query)));
  EXPECT_TRUE(UsableAnswer(Reply(query, rcode::kNxDomain)));
  EXPECT_FALSE(UsableAnswer(Reply(query, rcode::kServFail)));
  EXPECT_FALSE(UsableAnswer(Reply(query, rcode::kRefused)));
  EXPECT_FALSE(UsableAnswer(Result<Message>(Error(vigie::Errc::kTimeout, "timed out"))));
}

// ---- Against a scripted upstream ----

using test_support::FakeNameserver;
using test_support::Wire;

UpstreamConfig UpstreamOf(const FakeNameserver& ns) {
  UpstreamConfig u;
  u.address.host = "127.0.0.1";
  u.address.port = ns.port();
  return u;
}

class UpstreamClientTest : public ::testing::Test {
 protected:
  UpstreamClientTest() {
    config_ = std::make_shared<DnsConfig>();
    config_->upstream_timeout = std::chrono::seconds(5);
    shared_ = std::make_shared<Shared>(registry_, *config_, 1);
    worker_ = std::make_shared<Worker>();
    worker_->ctx = &ctx_;
    worker_->shared_owner = shared_;
    worker_->shared = shared_.get();
  }

  Snapshot Snap() { return Snapshot{config_, nullptr}; }

  // Runs the context until `done` or 20 s.
  void RunUntil(const std::function<bool()>& done) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < limit) {
      ctx_.run_one_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(done()) << "did not finish within 20 s";
  }

  template <typename T>
  void Spawn(net::Awaitable<T> task, std::optional<T>* out) {
    asio::co_spawn(ctx_, std::move(task), [out](const std::exception_ptr& e, T r) {
      ASSERT_FALSE(e);
      out->emplace(std::move(r));
    });
  }

  asio::io_context ctx_;
  metrics::Registry registry_;
  std::shared_ptr<DnsConfig> config_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<Worker> worker_;
};

TEST_F(UpstreamClientTest, UdpIgnoresWhatIsNotTheAnswerUntilTheAnswer) {
  FakeNameserver up(ctx_);
  up.script = [](const Message& q, bool) {
    Message other_id = Reply(q);
    other_id.header.id = static_cast<uint16_t>(q.header.id ^ 1);
    Message other_name = Reply(q);
    other_name.questions[0].name = N("www.example.net");
    Message not_response = Reply(q);
    not_response.header.qr = false;
    return std::vector<Bytes>{Bytes{std::byte{1}, std::byte{2}, std::byte{3}}, Wire(other_id),
                              Wire(other_name), Wire(not_response), Wire(Reply(q))};
  };
  std::optional<Result<Message>> r;
  Spawn(QueryUdp(up.udp_endpoint(), Q("www.example.com"), std::chrono::seconds(5), shared_.get()),
        &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(*r) << r->error().ToString();
  EXPECT_EQ((*r)->questions[0], Q("www.example.com"));
  EXPECT_EQ((*r)->answers.size(), 1u);
  EXPECT_EQ(shared_->m.upstream_mismatched_total.value(), 4u);
}

TEST_F(UpstreamClientTest, UdpTimesOutWhenOnlyForgeriesCome) {
  FakeNameserver up(ctx_);
  up.script = [](const Message& q, bool) {
    Message other_id = Reply(q);
    other_id.header.id = static_cast<uint16_t>(q.header.id ^ 1);
    return std::vector<Bytes>{Wire(other_id)};
  };
  std::optional<Result<Message>> r;
  Spawn(QueryUdp(up.udp_endpoint(), Q("www.example.com"), std::chrono::milliseconds(200),
                 shared_.get()),
        &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code(), vigie::Errc::kTimeout);
  EXPECT_EQ(shared_->m.upstream_mismatched_total.value(), 1u);
}

TEST_F(UpstreamClientTest, TcpSkipsAWrongFrameAndTakesTheAnswer) {
  FakeNameserver up(ctx_);
  up.script = [](const Message& q, bool) {
    Message other_id = Reply(q);
    other_id.header.id = static_cast<uint16_t>(q.header.id ^ 1);
    return std::vector<Bytes>{Wire(other_id), Wire(Reply(q))};
  };
  std::optional<Result<Message>> r;
  Spawn(QueryTcp(up.tcp_endpoint(), Q("www.example.com"), std::chrono::seconds(5), shared_.get()),
        &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(*r) << r->error().ToString();
  EXPECT_EQ((*r)->answers.size(), 1u);
  EXPECT_EQ(up.tcp_queries, 1);
  EXPECT_EQ(shared_->m.upstream_mismatched_total.value(), 1u);
}

TEST_F(UpstreamClientTest, TruncatedUdpAnswerIsAskedAgainOverTcp) {
  FakeNameserver up(ctx_);
  up.script = [](const Message& q, bool over_tcp) {
    Message r = Reply(q);
    if (!over_tcp) {
      r.header.tc = true;
      r.answers.clear();
    }
    return std::vector<Bytes>{Wire(r)};
  };
  config_->upstreams = {UpstreamOf(up)};
  std::optional<Upstreamed> r;
  Spawn(Resolve(worker_, Q("big.example.com"), "big.example.com/1", Snap()), &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(r->result) << r->result.error().ToString();
  EXPECT_FALSE(r->result->header.tc);
  EXPECT_EQ(r->result->answers.size(), 1u);
  EXPECT_EQ(up.udp_queries, 1);
  EXPECT_EQ(up.tcp_queries, 1);
  EXPECT_EQ(shared_->m.upstream_tcp_retries_total.value(), 1u);
}

TEST(ScrambleCaseTest, EachLetterTakesTheCaseOfItsBit) {
  const std::array<std::byte, 2> bits{std::byte{0b1010'0101}, std::byte{0b0000'0011}};
  // Letters only use bits: "w w w e x a m p l e c o m" -> bits 1,0,1,0,0,1,0,1, 1,1,0,0,0.
  Name n = ScrambleCase(N("www-1.EXAMPLE.com"), bits);
  EXPECT_EQ(n.ToText(), "WwW-1.exAmPLE.com.");
  EXPECT_EQ(n, N("www-1.example.com"));  // the same name
  const std::array<std::byte, 1> none{};
  EXPECT_EQ(ScrambleCase(N("A1.b"), none).ToText(), "a1.b.");
}

TEST(RestoreCaseTest, QuestionAndItsOwnersGetTheAskedSpelling) {
  Message r = Reply(UpstreamQuery(Question{N("wWw.ExAmple.COM"), rr_type::kA, rr_class::kIn}));
  r.answers.push_back(MakeA(N("other.example"), 60, {1, 2, 3, 4}));
  RestoreCase(r, N("www.Example.com"));
  EXPECT_EQ(r.questions[0].name.ToText(), "www.Example.com.");
  EXPECT_EQ(r.answers[0].name.ToText(), "www.Example.com.");
  EXPECT_EQ(r.answers[1].name.ToText(), "other.example.");
}

TEST_F(UpstreamClientTest, CapsForIdSendsMixedCaseAndAnswersInTheClientsCase) {
  FakeNameserver up(ctx_);
  std::vector<std::string> sent;
  up.script = [&sent](const Message& q, bool) {
    sent.push_back(q.questions[0].name.ToText());
    return std::vector<Bytes>{Wire(Reply(q))};  // echoes the case, as unbound and bind do
  };
  config_->upstreams = {UpstreamOf(up)};
  config_->use_caps_for_id = true;
  // Over 40 letters, the chance that the scramble is all lowercase is 2^-40.
  const std::string name = "abcdefghijklmnopqrst.abcdefghijklmnopqrst.example";
  std::optional<Upstreamed> r;
  Spawn(Resolve(worker_, Q(name), name + "/1", Snap()), &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(r->result) << r->result.error().ToString();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0], name + ".");  // scrambled on the wire
  EXPECT_EQ(r->result->questions[0].name.ToText(), name + ".");
  EXPECT_EQ(r->result->answers[0].name.ToText(), name + ".");
  EXPECT_EQ(shared_->m.upstream_caps_fallbacks_total.value(), 0u);
}

TEST_F(UpstreamClientTest, CapsForIdFallsBackWhenTheUpstreamLowercases) {
  FakeNameserver up(ctx_);
  std::vector<std::string> sent;
  up.script = [&sent](const Message& q, bool) {
    sent.push_back(q.questions[0].name.ToText());
    Message r = Reply(q);
    r.questions[0].name = r.questions[0].name.Lowercased();
    return std::vector<Bytes>{Wire(r)};
  };
  config_->upstreams = {UpstreamOf(up)};
  config_->use_caps_for_id = true;
  const std::string name = "abcdefghijklmnopqrst.abcdefghijklmnopqrst.example";
  std::optional<Upstreamed> r;
  Spawn(Resolve(worker_, Q(name), name + "/1", Snap()), &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(r->result) << r->result.error().ToString();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[0], name + ".");
  EXPECT_EQ(sent[1], name + ".");  // asked again as the client wrote it
  EXPECT_EQ(shared_->m.upstream_caps_fallbacks_total.value(), 1u);
  EXPECT_EQ(worker_->upstream_failures[UpstreamOf(up).ToString()], 0);
}

TEST_F(UpstreamClientTest, ServFailMovesToTheNextUpstreamAndIsCounted) {
  FakeNameserver bad(ctx_);
  FakeNameserver good(ctx_);
  bad.script = [](const Message& q, bool) {
    return std::vector<Bytes>{Wire(Reply(q, rcode::kServFail))};
  };
  good.script = [](const Message& q, bool) { return std::vector<Bytes>{Wire(Reply(q))}; };
  config_->upstreams = {UpstreamOf(bad), UpstreamOf(good)};
  std::optional<Upstreamed> r;
  Spawn(Resolve(worker_, Q("www.example.com"), "www.example.com/1", Snap()), &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(r->result) << r->result.error().ToString();
  EXPECT_EQ(r->result->FullRcode(), rcode::kNoError);
  EXPECT_EQ(r->upstream, UpstreamOf(good).ToString());
  EXPECT_EQ(bad.udp_queries, 1);
  EXPECT_EQ(worker_->upstream_failures[UpstreamOf(bad).ToString()], 1);
  EXPECT_EQ(worker_->upstream_failures[UpstreamOf(good).ToString()], 0);
  EXPECT_EQ(shared_->m.upstream_queries_total.value(), 2u);
  EXPECT_EQ(shared_->m.upstream_errors_total.value(), 1u);
}

TEST_F(UpstreamClientTest, EveryUpstreamFailingGivesTheLastAnswer) {
  FakeNameserver a(ctx_);
  FakeNameserver b(ctx_);
  a.script = [](const Message& q, bool) {
    return std::vector<Bytes>{Wire(Reply(q, rcode::kServFail))};
  };
  b.script = [](const Message& q, bool) {
    return std::vector<Bytes>{Wire(Reply(q, rcode::kRefused))};
  };
  config_->upstreams = {UpstreamOf(a), UpstreamOf(b)};
  std::optional<Upstreamed> r;
  Spawn(Resolve(worker_, Q("www.example.com"), "www.example.com/1", Snap()), &r);
  RunUntil([&] { return r.has_value(); });
  ASSERT_TRUE(r->result);
  EXPECT_EQ(r->result->FullRcode(), rcode::kRefused);
  EXPECT_EQ(r->upstream, UpstreamOf(b).ToString());
  EXPECT_EQ(shared_->m.upstream_errors_total.value(), 2u);
}

TEST_F(UpstreamClientTest, IdenticalQuestionsInFlightShareOneUpstreamQuery) {
  FakeNameserver up(ctx_);
  up.script = [](const Message& q, bool) { return std::vector<Bytes>{Wire(Reply(q))}; };
  config_->upstreams = {UpstreamOf(up)};
  std::optional<Upstreamed> first;
  std::optional<Upstreamed> second;
  Spawn(Resolve(worker_, Q("www.example.com"), "www.example.com/1", Snap()), &first);
  Spawn(Resolve(worker_, Q("www.example.com"), "www.example.com/1", Snap()), &second);
  RunUntil([&] { return first.has_value() && second.has_value(); });
  ASSERT_TRUE(first->result);
  ASSERT_TRUE(second->result);
  EXPECT_EQ(second->result->answers, first->result->answers);
  EXPECT_EQ(second->upstream, UpstreamOf(up).ToString());
  EXPECT_EQ(up.udp_queries, 1);
  EXPECT_EQ(shared_->m.joined_total.value(), 1u);
  EXPECT_TRUE(worker_->inflight.empty());
}

TEST_F(UpstreamClientTest, MaxInflightRefusesAnotherQuestion) {
  FakeNameserver up(ctx_);
  up.script = [](const Message& q, bool) { return std::vector<Bytes>{Wire(Reply(q))}; };
  config_->upstreams = {UpstreamOf(up)};
  config_->max_inflight = 1;
  std::optional<Upstreamed> first;
  std::optional<Upstreamed> second;
  Spawn(Resolve(worker_, Q("a.example.com"), "a.example.com/1", Snap()), &first);
  Spawn(Resolve(worker_, Q("b.example.com"), "b.example.com/1", Snap()), &second);
  RunUntil([&] { return first.has_value() && second.has_value(); });
  ASSERT_TRUE(first->result);
  ASSERT_FALSE(second->result);
  EXPECT_EQ(second->result.error().code(), vigie::Errc::kLimitExceeded);
  EXPECT_EQ(up.udp_queries, 1);
  EXPECT_EQ(shared_->m.overload_total.value(), 1u);
}

}  // namespace
}  // namespace vigie::dns
