// The Prometheus view of the index: GET /metrics on the events HTTP port
// renders every indexed event that has a metric as one sample of the gauge
// family `riemann_metric`, labelled by host, service and state, so a
// Prometheus server can scrape what Riemann clients report.
#pragma once

#include <string>
#include <vector>

#include "events/proto/event.h"

namespace vigie::events {

// Prometheus text format 0.0.4. Events without a metric are skipped; label
// values are escaped (backslash, quote, newline); absent fields are empty
// labels. Events are rendered in the order given.
std::string RenderPrometheusView(const std::vector<Event>& events);

}  // namespace vigie::events
