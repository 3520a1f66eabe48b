// Logging: one spdlog logger per component ("dns", "lb", "admin"...), all
// writing to one sink: human text on a terminal, or JSON lines on request.
// Levels are set globally and per component from the `log:` config section.
//
// Thread rules: loggers are thread-safe. Configure() may be called again on
// reload; it changes formats and levels in place.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "core/config.h"

namespace vigie::log {

enum class Format { kText, kJson };

struct LogConfig {
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::kText;
  std::map<std::string, spdlog::level::level_enum> components;  // per-component levels
};

bool ParseValue(const config::Field& f, LogConfig& out);

// Applies formats and levels to every logger, present and future.
void Configure(const LogConfig& config);

// The logger for `component`, created on first use with the configured level.
std::shared_ptr<spdlog::logger> Get(std::string_view component);

// Bounds the lines one kind of event can write under attack (a flood of bad
// datagrams, refused connections, failed checks): at most `burst` lines per
// `period`; the rest are counted, and the next line that passes says how
// many were suppressed. Lock-free; one per call site, shared by threads.
//
//   static log::RateLimit limit;
//   if (auto suppressed = limit.Allow()) {
//     logger->warn("refused {}{}", peer, log::Suppressed(*suppressed));
//   }
class RateLimit {
 public:
  explicit RateLimit(uint32_t burst = 10,
                     std::chrono::steady_clock::duration period = std::chrono::seconds(1))
      : burst_(burst), period_(period.count()) {}

  // nullopt: drop this line. Otherwise log it, with the number of lines
  // dropped since the last one that passed.
  std::optional<uint64_t> Allow(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  const uint32_t burst_;
  const std::chrono::steady_clock::rep period_;
  std::atomic<std::chrono::steady_clock::rep> window_start_{0};
  std::atomic<uint64_t> in_window_{0};
  std::atomic<uint64_t> suppressed_{0};
};

// " (N similar lines suppressed)", or "" for 0.
std::string Suppressed(uint64_t count);

}  // namespace vigie::log
