// The statsd line protocol (`<bucket>:<value>|<type>[|@<rate>]`, UDP 8125)
// as etsy statsd's server.js reads it: several values per bucket
// (`a:1|c:2|c`), several lines per packet, key sanitising, relative gauges.
//
// Thread rules: free functions; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vigie::events {

enum class StatsdType : uint8_t { kCounter, kTimer, kGauge, kSet, kHistogram };

struct StatsdSample {
  std::string key;  // sanitised bucket name
  StatsdType type = StatsdType::kCounter;
  double value = 0;          // counters, timers, histograms, gauges
  std::string set_member;    // sets: the raw value
  bool gauge_delta = false;  // gauge written with a leading + or -
  double sample_rate = 1;    // from |@rate; counters are scaled by 1/rate

  friend bool operator==(const StatsdSample&, const StatsdSample&) = default;
};

// statsd's sanitizeKeyName: whitespace runs -> "_", "/" -> "-", then drop
// anything but [A-Za-z0-9_.;=-].
std::string SanitizeStatsdKey(std::string_view key);

// Parses one line into its samples (one per `:value|type` group).
// Errors ("bad line: ...") are what statsd counts as bad_lines_seen.
[[nodiscard]] Result<std::vector<StatsdSample>> ParseStatsdLine(std::string_view line);

struct StatsdPacket {
  std::vector<StatsdSample> samples;
  std::vector<Error> bad_lines;  // one per refused line, in order
};

// A datagram: lines split on "\n"; empty lines are skipped.
StatsdPacket ParseStatsdPacket(std::string_view packet);

}  // namespace vigie::events
