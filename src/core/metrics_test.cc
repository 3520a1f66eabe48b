#include "core/metrics.h"

#include <memory>
#include <thread>

#include <gtest/gtest.h>

namespace vigie::metrics {
namespace {

#define VIGIE_TEST_METRICS(COUNTER, GAUGE, HISTOGRAM) \
  COUNTER(requests_total, "Requests served")          \
  GAUGE(connections, "Open connections")              \
  HISTOGRAM(latency_seconds, "Request latency", std::vector<double>({0.1, 1}))
VIGIE_DECLARE_METRICS(TestMetrics, "vigie_test_", VIGIE_TEST_METRICS);

TEST(MetricsTest, DeclaredListRegistersAndRenders) {
  Registry r;
  TestMetrics m(r, {{"frontend", "api"}});
  m.requests_total.Inc();
  m.requests_total.Inc(2);
  m.connections.Set(5);
  m.connections.Sub(1);
  m.latency_seconds.Observe(0.05);
  m.latency_seconds.Observe(0.5);
  m.latency_seconds.Observe(7);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP vigie_test_connections Open connections\n"
            "# TYPE vigie_test_connections gauge\n"
            "vigie_test_connections{frontend=\"api\"} 4\n"
            "# HELP vigie_test_latency_seconds Request latency\n"
            "# TYPE vigie_test_latency_seconds histogram\n"
            "vigie_test_latency_seconds_bucket{frontend=\"api\",le=\"0.1\"} 1\n"
            "vigie_test_latency_seconds_bucket{frontend=\"api\",le=\"1\"} 2\n"
            "vigie_test_latency_seconds_bucket{frontend=\"api\",le=\"+Inf\"} 3\n"
            "vigie_test_latency_seconds_sum{frontend=\"api\"} 7.55\n"
            "vigie_test_latency_seconds_count{frontend=\"api\"} 3\n"
            "# HELP vigie_test_requests_total Requests served\n"
            "# TYPE vigie_test_requests_total counter\n"
            "vigie_test_requests_total{frontend=\"api\"} 3\n");
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  Registry r;
  Counter& a = r.AddCounter("x_total", "x", {{"k", "1"}});
  Counter& b = r.AddCounter("x_total", "x", {{"k", "1"}});
  Counter& c = r.AddCounter("x_total", "x", {{"k", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(MetricsTest, HiddenSeriesLeaveTheExportAndComeBackWithTheirValue) {
  Registry r;
  TestMetrics kept(r, {{"server", "m1"}});
  auto gone = std::make_unique<TestMetrics>(r, Labels{{"server", "m3"}});
  kept.requests_total.Inc();
  gone->requests_total.Inc(5);
  gone->connections.Set(1);
  gone->Hide();
  // Still counting (a connection in flight on the removed server), not shown.
  gone->requests_total.Inc();
  std::string text = r.RenderPrometheus();
  EXPECT_EQ(text.find("m3"), std::string::npos) << text;
  EXPECT_NE(text.find("vigie_test_requests_total{server=\"m1\"} 1\n"), std::string::npos) << text;
  for (const auto& sample : r.Collect()) {
    EXPECT_EQ(sample.labels, (Labels{{"server", "m1"}})) << sample.name;
  }
  // Registered again: the same objects, shown again with the value carried on.
  TestMetrics back(r, {{"server", "m3"}});
  EXPECT_EQ(&back.requests_total, &gone->requests_total);
  EXPECT_NE(r.RenderPrometheus().find("vigie_test_requests_total{server=\"m3\"} 6\n"),
            std::string::npos);
  // A family with every series hidden has no HELP or TYPE line either.
  back.Hide();
  kept.Hide();
  EXPECT_EQ(r.RenderPrometheus(), "");
  r.Hide("no_such_metric", {});  // nothing to do
}

TEST(MetricsTest, ResetCountersZeroesCountersOnly) {
  Registry r;
  TestMetrics m(r);
  m.requests_total.Inc(7);
  m.connections.Set(3);
  m.latency_seconds.Observe(0.5);
  m.ResetCounters();
  EXPECT_EQ(m.requests_total.value(), 0u);
  EXPECT_EQ(m.connections.value(), 3);  // a current value, not a total
  EXPECT_EQ(m.latency_seconds.snapshot().count, 1u);
  m.requests_total.Inc();
  EXPECT_EQ(m.requests_total.value(), 1u);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Registry r;
  r.AddCounter("e_total", "help with \\ and\nnewline", {{"path", "a\"b\\c\nd"}}).Inc();
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP e_total help with \\\\ and\\nnewline\n"
            "# TYPE e_total counter\n"
            "e_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, CollectReadsInProcess) {
  Registry r;
  r.AddCounter("c_total", "c").Inc(4);
  r.AddGaugeFunction("uptime_seconds", "u", {}, [] { return 12.5; });
  auto samples = r.Collect();
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "c_total");
  EXPECT_EQ(samples[0].value, 4);
  EXPECT_EQ(samples[1].name, "uptime_seconds");
  EXPECT_EQ(samples[1].value, 12.5);
}

TEST(MetricsTest, CounterFunctionsRenderAsCounters) {
  Registry r;
  double v = 3;
  r.AddCounterFunction("f_total", "kept elsewhere", {}, [&v] { return v; });
  v = 5;
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP f_total kept elsewhere\n# TYPE f_total counter\nf_total 5\n");
}

TEST(MetricsTest, CountersAreThreadSafe) {
  Registry r;
  Counter& c = r.AddCounter("t_total", "t");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&c] {
      for (int j = 0; j < 100000; ++j) {
        c.Inc();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(c.value(), 400000u);
}

TEST(MetricsDeathTest, TypeClashIsAProgramError) {
  Registry r;
  r.AddCounter("dup", "d");
  EXPECT_DEATH(r.AddGauge("dup", "d"), "different types");
}

}  // namespace
}  // namespace vigie::metrics

namespace vigie::metrics {
namespace {

TEST(MetricsTest, FamilyFunctionSeriesChangeBetweenReadings) {
  Registry r;
  int reading = 0;
  r.AddGaugeFamilyFunction("vigie_test_top", "Top names", [&reading] {
    ++reading;
    std::vector<std::pair<Labels, double>> out;
    if (reading == 1) {
      out.push_back({{{"name", "a.example"}}, 3});
    } else {
      out.push_back({{{"name", "odd\\\"name"}}, 7});
    }
    return out;
  });
  EXPECT_NE(r.RenderPrometheus().find("vigie_test_top{name=\"a.example\"} 3\n"), std::string::npos);
  const std::string second = r.RenderPrometheus();
  EXPECT_EQ(second.find("a.example"), std::string::npos) << second;
  EXPECT_NE(second.find("# TYPE vigie_test_top gauge\n"), std::string::npos);
  EXPECT_NE(second.find("vigie_test_top{name=\"odd\\\\\\\"name\"} 7\n"), std::string::npos)
      << second;
  auto samples = r.Collect();
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels[0].second, "odd\\\"name");
  EXPECT_EQ(samples[0].value, 7);
}

}  // namespace
}  // namespace vigie::metrics
