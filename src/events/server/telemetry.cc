// Self-telemetry events from metric samples.
#include "events/server/telemetry.h"

#include <array>
#include <cmath>
#include <string>

namespace vigie::events {
namespace {

constexpr std::array<std::string_view, 11> kComponents = {
    "lb", "vrrp",  "egress", "dns",  "events",   "dashboard",
    "pm", "image", "hids",   "deps", "inventory"};

// "vigie_dns_queries_total" -> ("dns", "queries_total"); "vigie_reloads_total"
// -> ("core", "reloads_total").
std::pair<std::string_view, std::string_view> Split(std::string_view name) {
  if (name.starts_with("vigie_")) {
    name.remove_prefix(6);
  }
  for (std::string_view c : kComponents) {
    if (name.size() > c.size() && name.starts_with(c) && name[c.size()] == '_') {
      return {c, name.substr(c.size() + 1)};
    }
  }
  return {"core", name};
}

}  // namespace

std::vector<Event> TelemetryEvents(const std::vector<metrics::Sample>& samples,
                                   std::string_view host, int64_t now_micros, float ttl_seconds) {
  std::vector<Event> out;
  out.reserve(samples.size());
  for (const metrics::Sample& s : samples) {
    auto [component, metric] = Split(s.name);
    Event e;
    e.set_host(host);
    std::string& service = e.mutable_service();
    service.append("vigie ").append(component).append(" ").append(metric);
    for (const auto& [key, value] : s.labels) {
      service.append(" ").append(key).append("=").append(value);
      e.add_attribute(key, value);
    }
    e.set_state("ok");
    double v = s.value;
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
      e.SetMetric(Metric::Int(static_cast<int64_t>(v)));
    } else {
      e.SetMetric(Metric::Double(v));
    }
    e.SetTimeMicros(now_micros);
    e.set_ttl(ttl_seconds);
    e.add_tag("vigie");
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigie::events
