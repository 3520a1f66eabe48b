// The JSON shape Riemann uses for events on its WebSocket, SSE and HTTP
// transports: rendering (index subscriptions, query answers) and parsing
// (`/events` ingest, one object per line or per WebSocket message).
//
// Rendered shape (riemann.common/event-to-json over the Event record):
//   {"host":"h","service":"s","state":"ok","description":null,"metric":2.5,
//    "tags":["a"],"time":"2013-01-08T19:02:43.000Z","ttl":60.0,"x-client":"c"}
// The eight standard keys always appear (null when absent), in that order,
// then one key per attribute. Time is ISO-8601 UTC with milliseconds.
//
// Thread rules: free functions; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "events/proto/event.h"

namespace vigie::events {

// Appends the JSON object for `e` to `out`. Strings are escaped as JSON
// requires; invalid UTF-8 becomes U+FFFD. Non-finite numbers are rendered as
// the strings "NaN", "Infinity", "-Infinity" (as Jackson quotes them).
void AppendEventJson(const Event& e, std::string& out);
std::string EventToJson(const Event& e);

// Limits for JSON ingest.
struct JsonLimits {
  size_t max_bytes = 1u << 20;  // one event object
  size_t max_tags = 1'000;
  size_t max_attributes = 1'000;
};

// Parses one JSON event object. Keys host, service, state, description
// (strings), metric (number: integer -> metric_sint64, else metric_d, both
// with metric_f as the server encodes), tags (array of strings), time
// (ISO-8601 string or unix seconds number; sets time_micros and time), ttl
// (number); null values are treated as absent; any other key becomes an
// attribute (strings as is, other values as their JSON text). Errors name
// the key: `"metric": expected a number`.
[[nodiscard]] Result<Event> ParseEventJson(std::string_view json, const JsonLimits& limits = {});

// ISO-8601 helpers (exposed for tests and the HTTP layer).
// "2013-01-08T19:02:43.123Z" for unix microseconds (milliseconds kept).
std::string FormatIso8601(int64_t unix_micros);
// Accepts YYYY-MM-DD, optionally followed by 'T' or ' ' and hh:mm[:ss[.frac]],
// optionally followed by 'Z' or a +hh:mm / +hhmm / +hh offset. Without a zone
// the time is UTC.
[[nodiscard]] Result<int64_t> ParseIso8601(std::string_view text);

}  // namespace vigie::events
