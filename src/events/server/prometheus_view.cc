// Index events as Prometheus text.
#include "events/server/prometheus_view.h"

#include <cmath>

#include <fmt/format.h>

namespace vigie::events {
namespace {

void AppendLabel(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append("=\"");
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string RenderPrometheusView(const std::vector<Event>& events) {
  std::string out =
      "# HELP riemann_metric Metric of each indexed event (labels: host, service, state)\n"
      "# TYPE riemann_metric gauge\n";
  for (const Event& e : events) {
    auto metric = e.GetMetric();
    if (!metric) {
      continue;
    }
    out += "riemann_metric{";
    AppendLabel(out, "host", e.host());
    out += ',';
    AppendLabel(out, "service", e.service());
    out += ',';
    AppendLabel(out, "state", e.state());
    out += "} ";
    if (metric->is_integer) {
      out += std::to_string(metric->i);
    } else if (std::isnan(metric->d)) {
      out += "NaN";
    } else if (std::isinf(metric->d)) {
      out += metric->d > 0 ? "+Inf" : "-Inf";
    } else {
      out += fmt::format("{}", metric->d);
    }
    out += '\n';
  }
  return out;
}

}  // namespace vigie::events
