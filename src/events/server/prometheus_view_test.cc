#include "events/server/prometheus_view.h"

#include <limits>

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

Event Make(std::string host, std::string service, std::string state) {
  Event e;
  e.set_host(host);
  e.set_service(service);
  e.set_state(state);
  return e;
}

TEST(PrometheusView, OneSamplePerEventWithAMetricEscaped) {
  std::vector<Event> events;
  events.push_back(Make("web1", "http req", "ok"));
  events.back().SetMetric(Metric::Int(3));
  events.push_back(Make("web\"2", "a\\b\nc", "warning"));
  events.back().SetMetric(Metric::Double(0.25));
  events.push_back(Make("web3", "no metric", "ok"));
  events.push_back(Make("web4", "inf", "ok"));
  events.back().SetMetric(Metric::Double(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(RenderPrometheusView(events),
            "# HELP riemann_metric Metric of each indexed event (labels: host, service, state)\n"
            "# TYPE riemann_metric gauge\n"
            "riemann_metric{host=\"web1\",service=\"http req\",state=\"ok\"} 3\n"
            "riemann_metric{host=\"web\\\"2\",service=\"a\\\\b\\nc\",state=\"warning\"} 0.25\n"
            "riemann_metric{host=\"web4\",service=\"inf\",state=\"ok\"} +Inf\n");
}

}  // namespace
}  // namespace vigie::events
