// Tests of the `events:` section: Riemann's defaults, listeners turned off,
// the streams YAML (bare words, primary parameters, maps, then/when) and
// errors placed at file:line:col.
#include "events/server/config.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

struct Parsed {
  std::optional<EventsConfig> config;
  std::string errors;
};

Parsed Parse(const std::string& yaml) {
  config::Diagnostics diag("F");
  config::Value root = config::ParseYaml(yaml, diag);
  Parsed out;
  EventsConfig c;
  const config::Value* section = root.Find("events");
  if (section != nullptr && ParseValue(config::Field(*section, "events", diag), c) &&
      diag.empty()) {
    out.config = std::move(c);
  }
  out.errors = diag.ToString();
  return out;
}

TEST(EventsConfig, RiemannDefaults) {
  auto p = Parse("events: {}\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_EQ(p.config->tcp->ToString(), "127.0.0.1:5555");
  EXPECT_EQ(p.config->udp->ToString(), "127.0.0.1:5555");
  EXPECT_EQ(p.config->http->ToString(), "127.0.0.1:5556");
  EXPECT_FALSE(p.config->carbon);
  EXPECT_FALSE(p.config->statsd);
  EXPECT_EQ(p.config->ttl_seconds, 60);
  EXPECT_EQ(p.config->expire_interval, std::chrono::seconds(5));
  EXPECT_EQ(p.config->max_frame.bytes, 8u << 20);
  EXPECT_EQ(p.config->max_index_bytes.bytes, uint64_t{1} << 30);
  EXPECT_EQ(p.config->max_reply.bytes, 64u << 20);
  ASSERT_EQ(p.config->streams.size(), 1u);  // everything to the index
  EXPECT_EQ(p.config->streams[0].kind, "sink");
  EXPECT_EQ(p.config->streams[0].params.at("name"), std::vector<std::string>{"index"});
}

TEST(EventsConfig, ListenersAndTimes) {
  auto p = Parse(
      "events:\n  tcp: 127.0.0.1:0\n  udp: off\n  http: off\n  carbon: 127.0.0.1:2003\n"
      "  statsd: 127.0.0.1:8125\n  ttl: 2s\n  expire_interval: 500ms\n  snapshot: /tmp/x\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_EQ(p.config->tcp->port, 0);
  EXPECT_FALSE(p.config->udp);
  EXPECT_FALSE(p.config->http);
  EXPECT_EQ(p.config->carbon->port, 2003);
  EXPECT_EQ(p.config->ttl_seconds, 2);
  EXPECT_EQ(p.config->expire_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(p.config->snapshot, "/tmp/x");
}

TEST(EventsConfig, MemoryBounds) {
  auto p = Parse("events:\n  max_index_bytes: 256MiB\n  max_reply: 1MiB\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_EQ(p.config->max_index_bytes.bytes, 256u << 20);
  EXPECT_EQ(p.config->max_reply.bytes, 1u << 20);
  p = Parse("events:\n  max_index_bytes: 10\n");
  EXPECT_NE(p.errors.find("F:2:20: events.max_index_bytes: must be at least 1KiB"),
            std::string::npos)
      << p.errors;
  p = Parse("events:\n  max_reply: 3GiB\n");
  EXPECT_NE(p.errors.find("events.max_reply: must be between 1KiB and 2GiB"), std::string::npos)
      << p.errors;
}

TEST(EventsConfig, StreamsTree) {
  auto p = Parse(R"(events:
  graphite: {host: "127.0.0.1:2003", prefix: "riemann."}
  streams:
    - index
    - where: 'service =~ "cpu%"'
      then:
        - by: [host]
          then:
            - rate: 5
              then: [graphite]
    - split:
        - when: 'metric > 10'
          then: [log]
        - sdo: [index]
    - throttle: {n: 3, dt: 1}
      then: [log]
    - changed-state: {init: ok}
      then: [log]
)");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& s = p.config->streams;
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].kind, "sink");
  EXPECT_EQ(s[1].kind, "where");
  EXPECT_EQ(s[1].params.at("query")[0], "service =~ \"cpu%\"");
  EXPECT_EQ(s[1].children[0].kind, "by");
  EXPECT_EQ(s[1].children[0].params.at("fields"), std::vector<std::string>{"host"});
  EXPECT_EQ(s[1].children[0].children[0].kind, "rate");
  EXPECT_EQ(s[1].children[0].children[0].params.at("interval")[0], "5");
  EXPECT_EQ(s[1].children[0].children[0].children[0].params.at("name")[0], "graphite");
  EXPECT_EQ(s[2].kind, "split");
  ASSERT_EQ(s[2].children.size(), 2u);
  EXPECT_EQ(s[2].children[0].params.at("when")[0], "metric > 10");
  EXPECT_EQ(s[3].params.at("n")[0], "3");
  EXPECT_EQ(s[4].kind, "changed_state");
  EXPECT_EQ(s[1].where, "F:5");
}

TEST(EventsConfig, ErrorsArePlaced) {
  auto p = Parse("events:\n  streams:\n    - wher: 'true'\n");
  EXPECT_NE(p.errors.find("F:3:13: events.streams[0].wher: unknown stream \"wher\""),
            std::string::npos)
      << p.errors;
  p = Parse("events:\n  streams:\n    - rate: fast\n");
  EXPECT_NE(p.errors.find("F:3:7: events.streams[0]: F:3: rate: interval: expected a positive "
                          "number, got \"fast\""),
            std::string::npos)
      << p.errors;
  p = Parse("events:\n  streams:\n    - graphite\n");
  EXPECT_NE(p.errors.find("no sink named \"graphite\" (add an events.graphite"), std::string::npos)
      << p.errors;
  p = Parse("events:\n  streams:\n    - where: 'host = '\n");
  EXPECT_NE(p.errors.find("parse error"), std::string::npos) << p.errors;
  p = Parse("events:\n  ttl: 0s\n");
  EXPECT_NE(p.errors.find("F:2:8: events.ttl: must be positive"), std::string::npos) << p.errors;
  p = Parse("events:\n  tpc: 127.0.0.1:1\n");
  EXPECT_NE(p.errors.find("did you mean \"tcp\""), std::string::npos) << p.errors;
  p = Parse("events:\n  streams:\n    - where: 'true'\n      rate: 5\n");
  EXPECT_NE(p.errors.find("a stream node holds one kind"), std::string::npos) << p.errors;
}

TEST(EventsConfig, TlsListener) {
  auto p = Parse("events: {}\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_FALSE(p.config->tls) << "TLS is off unless configured";

  p = Parse("events:\n  tls:\n    cert: s.pem\n    key: s.key\n    ca_cert: ca.pem\n");
  ASSERT_TRUE(p.config) << p.errors;
  ASSERT_TRUE(p.config->tls);
  EXPECT_EQ(p.config->tls->listen.ToString(), "127.0.0.1:5554");
  EXPECT_EQ(p.config->tls->cert, "s.pem");
  EXPECT_EQ(p.config->tls->key, "s.key");
  EXPECT_EQ(p.config->tls->ca_cert, "ca.pem");
  EXPECT_TRUE(p.config->tls->verify_clients);

  p = Parse(
      "events:\n  tls:\n    listen: 0.0.0.0\n    cert: s.pem\n    key: s.key\n"
      "    verify_clients: false\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_EQ(p.config->tls->listen.ToString(), "0.0.0.0:5554");
  EXPECT_FALSE(p.config->tls->verify_clients);

  p = Parse("events:\n  tls:\n    cert: s.pem\n    key: s.key\n");
  EXPECT_NE(p.errors.find("F:3:5: events.tls: ca_cert is required"), std::string::npos) << p.errors;
  p = Parse("events:\n  tls:\n    cert: s.pem\n    ca_cert: ca.pem\n");
  EXPECT_NE(p.errors.find("events.tls.key: missing required setting"), std::string::npos)
      << p.errors;
}

}  // namespace
}  // namespace vigie::events
