// The shared sink, the JSON line formatter and per-component levels.
#include "core/log.h"

#include <chrono>
#include <mutex>

#include <fmt/chrono.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/text.h"

namespace vigie::log {
namespace {

// {"ts":"2026-11-26T16:00:00.123Z","level":"info","component":"dns","msg":"..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    fmt::format_to(std::back_inserter(dest),
                   "{{\"ts\":\"{:%Y-%m-%dT%H:%M:%S}.{:03d}Z\",\"level\":\"", tm,
                   static_cast<int>(ms.count() % 1000));
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    dest.append(std::string_view("\",\"component\":"));
    Append(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    dest.append(std::string_view(",\"msg\":"));
    Append(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  // As a JSON string: a message may carry any bytes (a client's request
  // line, a name from a list); invalid UTF-8 becomes U+FFFD, so every line
  // stays valid JSON.
  static void Append(std::string_view s, spdlog::memory_buf_t& dest) {
    thread_local std::string quoted;
    quoted.clear();
    AppendJsonString(s, quoted);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
};

struct State {
  std::mutex mu;
  LogConfig config;
  spdlog::sink_ptr sink;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

State& GetState() {
  static State* state = [] {
    auto* s = new State;  // never destroyed: loggers may be used during exit
    // Logs go to stderr so that stdout stays for command output.
    s->sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    return s;
  }();
  return *state;
}

spdlog::level::level_enum LevelFor(const LogConfig& c, std::string_view component) {
  auto it = c.components.find(std::string(component));
  return it == c.components.end() ? c.level : it->second;
}

bool ParseLevel(const config::Field& f, spdlog::level::level_enum& out) {
  return config::ParseEnum(f, out,
                           {{"trace", spdlog::level::trace},
                            {"debug", spdlog::level::debug},
                            {"info", spdlog::level::info},
                            {"warn", spdlog::level::warn},
                            {"error", spdlog::level::err},
                            {"off", spdlog::level::off}});
}

}  // namespace

bool ParseValue(const config::Field& f, LogConfig& out) {
  auto m = f.AsMap();
  if (auto level = m.Get("level")) {
    ParseLevel(*level, out.level);
  }
  if (auto format = m.Get("format")) {
    config::ParseEnum(*format, out.format, {{"text", Format::kText}, {"json", Format::kJson}});
  }
  if (auto components = m.Get("components")) {
    for (auto& [name, field] : components->Entries()) {
      spdlog::level::level_enum level{};
      if (ParseLevel(field, level)) {
        out.components[name] = level;
      }
    }
  }
  m.Finish();
  return m.ok();
}

void Configure(const LogConfig& config) {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  s.config = config;
  if (config.format == Format::kJson) {
    s.sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    s.sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
  for (auto& [name, logger] : s.loggers) {
    logger->set_level(LevelFor(config, name));
  }
}

std::shared_ptr<spdlog::logger> Get(std::string_view component) {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  auto it = s.loggers.find(component);
  if (it != s.loggers.end()) {
    return it->second;
  }
  auto logger = std::make_shared<spdlog::logger>(std::string(component), s.sink);
  logger->set_level(LevelFor(s.config, component));
  logger->flush_on(spdlog::level::info);
  s.loggers.emplace(std::string(component), logger);
  return logger;
}

std::optional<uint64_t> RateLimit::Allow(std::chrono::steady_clock::time_point now) {
  const auto t = now.time_since_epoch().count();
  auto start = window_start_.load(std::memory_order_relaxed);
  if (t - start >= period_ &&
      window_start_.compare_exchange_strong(start, t, std::memory_order_relaxed)) {
    in_window_.store(0, std::memory_order_relaxed);
  }
  if (in_window_.fetch_add(1, std::memory_order_relaxed) < burst_) {
    return suppressed_.exchange(0, std::memory_order_relaxed);
  }
  suppressed_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

std::string Suppressed(uint64_t count) {
  if (count == 0) {
    return {};
  }
  return " (" + std::to_string(count) + " similar line" + (count == 1 ? "" : "s") + " suppressed)";
}

}  // namespace vigie::log
