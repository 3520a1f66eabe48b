// Self-telemetry: the process's own metrics (every component's, read with
// metrics::Registry::Collect) turned into events, so the index,
// subscriptions, Graphite and webhooks carry vigie's health the way
// Riemann's instrumentation events carry Riemann's.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "events/proto/event.h"

namespace vigie::events {

// One event per sample: host `host`, service
// "vigie <component> <metric>[ <label>=<value>...]" where the metric name
// "vigie_<component>_<rest>" is split at the component (one of vigie's
// component names; anything else is "core"), state "ok", the value as
// metric, labels also as attributes, tag "vigie", time `now_micros`, and
// `ttl_seconds` so the events expire when telemetry stops.
std::vector<Event> TelemetryEvents(const std::vector<metrics::Sample>& samples,
                                   std::string_view host, int64_t now_micros, float ttl_seconds);

}  // namespace vigie::events
