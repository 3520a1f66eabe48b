// Graphite carbon plaintext (`<path> <value> <timestamp>\n`, port 2003):
// parsing as carbon's LineReceiver does, turning points into events as
// Riemann's graphite-server does, and Riemann's Graphite output paths and
// lines (riemann.graphite).
//
// Thread rules: free functions; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "events/proto/event.h"

namespace vigie::events {

// Longest plaintext line accepted.
inline constexpr size_t kMaxCarbonLine = 4096;

struct CarbonPoint {
  std::string path;                                       // the metric name, without tags
  std::vector<std::pair<std::string, std::string>> tags;  // `name;k=v;...`
  double value = 0;
  int64_t time_micros = 0;
};

// Parses one line (without or with its trailing "\n" / "\r\n"): exactly
// three whitespace-separated tokens, value and timestamp as floats; a
// timestamp of -1 means `now_micros`. A NaN value gives nullopt (carbon drops
// those silently). Errors name the problem and quote the line.
[[nodiscard]] Result<std::optional<CarbonPoint>> ParseCarbonLine(std::string_view line,
                                                                 int64_t now_micros);

// Riemann graphite-server's event: service = path, metric = value, time =
// timestamp, tags as attributes.
Event CarbonPointToEvent(const CarbonPoint& p);

// riemann.graphite/graphite-path-basic: reversed host labels, then the
// service words: host "a.b.com", service "cpu user" -> "com.b.a.cpu.user".
std::string GraphitePath(const Event& e);
// graphite-path-percentiles: also rewrites a final service word "0.95" as "95".
std::string GraphitePathPercentiles(const Event& e);

// Appends "<path> <metric> <time>\n": integer metrics as integers, others as
// doubles; time in whole unix seconds. Events without a metric produce
// nothing and return false.
bool AppendCarbonLine(std::string_view path, const Event& e, std::string& out);

}  // namespace vigie::events
