// Differential tests: the hand-written codec against libprotobuf compiled
// from riemann.proto. Messages encoded by one decode identically with the
// other, byte-for-byte re-encodings agree, and random byte strings are
// accepted or refused by both alike.
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "events/proto/codec.h"
#include "riemann.pb.h"

namespace vigie::events {
namespace {

namespace pb = ::vigie_test::riemann;

// The random strings are bytes, not UTF-8: proto2 parses them all the same
// but logs a complaint for each; silence it.
class QuietProtobuf : public ::testing::Environment {
 public:
  void SetUp() override { google::protobuf::SetLogHandler(nullptr); }
};
const auto* const kQuiet = ::testing::AddGlobalTestEnvironment(new QuietProtobuf);

void ExpectSame(const pb::Event& p, const Event& e) {
  EXPECT_EQ(p.has_time(), e.Has(Event::kTime));
  EXPECT_EQ(p.time(), e.time());
  EXPECT_EQ(p.has_state(), e.Has(Event::kState));
  EXPECT_EQ(p.state(), e.state());
  EXPECT_EQ(p.has_service(), e.Has(Event::kService));
  EXPECT_EQ(p.service(), e.service());
  EXPECT_EQ(p.has_host(), e.Has(Event::kHost));
  EXPECT_EQ(p.host(), e.host());
  EXPECT_EQ(p.has_description(), e.Has(Event::kDescription));
  EXPECT_EQ(p.description(), e.description());
  ASSERT_EQ(static_cast<size_t>(p.tags_size()), e.tags().size());
  for (int i = 0; i < p.tags_size(); ++i)
    EXPECT_EQ(p.tags(i), e.tags()[i]);
  EXPECT_EQ(p.has_ttl(), e.Has(Event::kTtl));
  if (p.has_ttl() && !std::isnan(p.ttl())) {
    EXPECT_EQ(p.ttl(), e.ttl());
  }
  ASSERT_EQ(static_cast<size_t>(p.attributes_size()), e.attributes().size());
  for (int i = 0; i < p.attributes_size(); ++i) {
    EXPECT_EQ(p.attributes(i).key(), e.attributes()[i].key);
    EXPECT_EQ(p.attributes(i).has_value(), e.attributes()[i].has_value);
    EXPECT_EQ(p.attributes(i).value(), e.attributes()[i].value);
  }
  EXPECT_EQ(p.has_time_micros(), e.Has(Event::kTimeMicros));
  EXPECT_EQ(p.time_micros(), e.time_micros());
  EXPECT_EQ(p.has_metric_sint64(), e.Has(Event::kMetricSint64));
  EXPECT_EQ(p.metric_sint64(), e.metric_sint64());
  EXPECT_EQ(p.has_metric_d(), e.Has(Event::kMetricD));
  if (!std::isnan(p.metric_d())) {
    EXPECT_EQ(p.metric_d(), e.metric_d());
  }
  EXPECT_EQ(p.has_metric_f(), e.Has(Event::kMetricF));
  if (!std::isnan(p.metric_f())) {
    EXPECT_EQ(p.metric_f(), e.metric_f());
  }
}

void ExpectSame(const pb::Msg& p, const Msg& m) {
  EXPECT_EQ(p.has_ok(), m.ok.has_value());
  if (m.ok) {
    EXPECT_EQ(p.ok(), *m.ok);
  }
  EXPECT_EQ(p.has_error(), m.error.has_value());
  if (m.error) {
    EXPECT_EQ(p.error(), *m.error);
  }
  EXPECT_EQ(p.has_query(), m.query.has_value());
  if (m.query) {
    EXPECT_EQ(p.query().has_string(), m.query->string.has_value());
    if (m.query->string) {
      EXPECT_EQ(p.query().string(), *m.query->string);
    }
  }
  ASSERT_EQ(static_cast<size_t>(p.states_size()), m.states.size());
  for (int i = 0; i < p.states_size(); ++i) {
    const auto& ps = p.states(i);
    const State& s = m.states[i];
    EXPECT_EQ(ps.has_time(), s.time.has_value());
    EXPECT_EQ(ps.has_host(), s.host.has_value());
    if (s.host) {
      EXPECT_EQ(ps.host(), *s.host);
    }
    EXPECT_EQ(ps.has_once(), s.once.has_value());
    if (s.once) {
      EXPECT_EQ(ps.once(), *s.once);
    }
    EXPECT_EQ(static_cast<size_t>(ps.tags_size()), s.tags.size());
    EXPECT_EQ(ps.has_ttl(), s.ttl.has_value());
  }
  ASSERT_EQ(static_cast<size_t>(p.events_size()), m.events.size());
  for (int i = 0; i < p.events_size(); ++i)
    ExpectSame(p.events(i), m.events[i]);
}

std::string Hex(std::string_view s) {
  std::string out;
  char buf[3];
  for (char c : s) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned char>(c));
    out += buf;
  }
  return out;
}

std::string RandomString(std::mt19937_64& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(rng), '\0');
  for (char& c : s)
    c = static_cast<char>(byte(rng));
  return s;
}

pb::Msg RandomPbMsg(std::mt19937_64& rng) {
  pb::Msg m;
  auto coin = [&] { return (rng() & 1) != 0; };
  if (coin())
    m.set_ok(coin());
  if (coin())
    m.set_error(RandomString(rng, 20));
  if (coin()) {
    auto* q = m.mutable_query();
    if (coin())
      q->set_string(RandomString(rng, 40));
  }
  int n_states = static_cast<int>(rng() % 3);
  for (int i = 0; i < n_states; ++i) {
    auto* s = m.add_states();
    if (coin())
      s->set_time(static_cast<int64_t>(rng()));
    if (coin())
      s->set_host(RandomString(rng, 10));
    if (coin())
      s->set_once(coin());
    if (coin())
      s->add_tags(RandomString(rng, 5));
    if (coin())
      s->set_ttl(static_cast<float>(rng() % 1000) / 8.0f);
  }
  int n_events = static_cast<int>(rng() % 6);
  for (int i = 0; i < n_events; ++i) {
    auto* e = m.add_events();
    if (coin())
      e->set_time(static_cast<int64_t>(rng()));
    if (coin())
      e->set_state(RandomString(rng, 10));
    if (coin())
      e->set_service(RandomString(rng, 30));
    if (coin())
      e->set_host(RandomString(rng, 30));
    if (coin())
      e->set_description(RandomString(rng, 200));
    int n_tags = static_cast<int>(rng() % 4);
    for (int t = 0; t < n_tags; ++t)
      e->add_tags(RandomString(rng, 8));
    if (coin())
      e->set_ttl(static_cast<float>(rng() % 100000) / 7.0f);
    int n_attrs = static_cast<int>(rng() % 3);
    for (int a = 0; a < n_attrs; ++a) {
      auto* attr = e->add_attributes();
      attr->set_key(RandomString(rng, 8));
      if (coin())
        attr->set_value(RandomString(rng, 16));
    }
    if (coin())
      e->set_time_micros(static_cast<int64_t>(rng()));
    if (coin())
      e->set_metric_sint64(static_cast<int64_t>(rng()) >> (rng() % 64));
    if (coin())
      e->set_metric_d(static_cast<double>(static_cast<int64_t>(rng())) / 1e6);
    if (coin())
      e->set_metric_f(static_cast<float>(rng() % 100000) / 3.0f);
  }
  return m;
}

TEST(CodecDiffTest, LibprotobufEncodedDecodesIdentically) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    pb::Msg p = RandomPbMsg(rng);
    std::string wire;
    ASSERT_TRUE(p.SerializeToString(&wire));
    auto m = DecodeMsg(wire);
    ASSERT_TRUE(m) << m.error().ToString();
    ExpectSame(p, *m);
    // And we re-encode to exactly libprotobuf's bytes.
    std::string ours;
    EncodeMsg(*m, ours);
    EXPECT_EQ(ours, wire) << "message " << i;
  }
}

TEST(CodecDiffTest, OurEncodingParsesWithLibprotobuf) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    pb::Msg seed = RandomPbMsg(rng);
    std::string wire;
    ASSERT_TRUE(seed.SerializeToString(&wire));
    auto m = DecodeMsg(wire);
    ASSERT_TRUE(m);
    std::string ours;
    EncodeMsg(*m, ours);
    pb::Msg back;
    ASSERT_TRUE(back.ParseFromString(ours));
    ExpectSame(back, *m);
  }
}

TEST(CodecDiffTest, RiemannCClientBytesAgree) {
  // riemann-c-client 1.10.4 `send -h myhost -S "cpu user" -s ok -i 42 -t tag1
  // -t tag2 -L 30 -a rack=n1 -D desc` (frame body).
  const unsigned char bytes[] = {
      0x32, 0x59, 0x12, 0x02, 0x6f, 0x6b, 0x1a, 0x08, 0x63, 0x70, 0x75, 0x20, 0x75,
      0x73, 0x65, 0x72, 0x22, 0x06, 0x6d, 0x79, 0x68, 0x6f, 0x73, 0x74, 0x2a, 0x04,
      0x64, 0x65, 0x73, 0x63, 0x3a, 0x04, 0x74, 0x61, 0x67, 0x31, 0x3a, 0x04, 0x74,
      0x61, 0x67, 0x32, 0x45, 0x00, 0x00, 0xf0, 0x41, 0x4a, 0x1c, 0x0a, 0x08, 0x78,
      0x2d, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x12, 0x10, 0x72, 0x69, 0x65, 0x6d,
      0x61, 0x6e, 0x6e, 0x2d, 0x63, 0x2d, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x4a,
      0x0a, 0x0a, 0x04, 0x72, 0x61, 0x63, 0x6b, 0x12, 0x02, 0x6e, 0x31, 0x68, 0x54};
  std::string wire(reinterpret_cast<const char*>(bytes), sizeof(bytes));
  pb::Msg p;
  ASSERT_TRUE(p.ParseFromString(wire));
  auto m = DecodeMsg(wire);
  ASSERT_TRUE(m);
  ExpectSame(p, *m);
  EXPECT_EQ(p.events(0).attributes(0).key(), "x-client");
  EXPECT_EQ(p.events(0).metric_sint64(), 42);
  // libprotobuf building the same event serializes to the client's bytes.
  std::string ours;
  EncodeMsg(*m, ours);
  EXPECT_EQ(ours, wire);
}

// Random mutations of valid messages: libprotobuf and our decoder agree on
// accept/refuse, and on content when both accept. (Our group-depth limit of
// 16 is far above anything a short mutation produces.)
TEST(CodecDiffTest, MutatedBytesAcceptedAlike) {
  std::mt19937_64 rng(1234);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    pb::Msg seed = RandomPbMsg(rng);
    std::string wire;
    ASSERT_TRUE(seed.SerializeToString(&wire));
    if (wire.empty())
      continue;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % wire.size();
      switch (rng() % 3) {
        case 0:
          wire[at] = static_cast<char>(rng());
          break;
        case 1:
          wire.erase(at, 1);
          break;
        default:
          wire.insert(at, 1, static_cast<char>(rng()));
          break;
      }
      if (wire.empty())
        break;
    }
    pb::Msg p;
    bool pb_ok = p.ParseFromString(wire);
    auto m = DecodeMsg(wire);
    ASSERT_EQ(pb_ok, static_cast<bool>(m))
        << "message " << i << (m ? "" : ": " + m.error().ToString()) << " " << Hex(wire);
    if (pb_ok) {
      ++accepted;
      ExpectSame(p, *m);
    } else {
      ++refused;
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace vigie::events
