// Logging: one spdlog logger per component ("dns", "lb", "admin"...), all
// writing to one sink: human text on a terminal, or JSON lines on request.
// Levels are set globally and per component from the `log:` config section.
//
// Thread rules: loggers are thread-safe. Configure() may be called again on
// reload; it changes formats and levels in place.
#pragma once

#include <map>
#include <memory>
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

}  // namespace vigie::log
