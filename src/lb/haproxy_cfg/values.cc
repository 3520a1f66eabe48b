// Value readers (values.h) and haproxy's time values (ParseTime,
// FormatDuration of haproxy_cfg.h).
#include "lb/haproxy_cfg/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg {
namespace internal {

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

Result<std::int64_t> ParseInt(std::string_view s, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Error(Errc::kInvalidArgument, "'" + std::string(s) + "' is not an integer");
  }
  if (v < lo || v > hi) {
    return Error(Errc::kInvalidArgument, "'" + std::string(s) + "' is not within " +
                                             std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

bool IsHostName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace internal

namespace {

constexpr std::int64_t kMaxTimerMs = 2147483647;

}  // namespace

using internal::Quote;

Result<Millis> ParseTime(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0) {
    return Error(Errc::kInvalidArgument, "expected a number in argument " + Quote(text));
  }
  std::uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc()) {
    return Error(Errc::kInvalidArgument, "timer overflow in argument " + Quote(text) +
                                             " (maximum value is 2147483647 ms or ~24.8 days)");
  }
  (void)p;
  std::string_view unit = text.substr(digits);
  std::uint64_t mul = 1;
  std::uint64_t div = 1;
  if (unit.empty() || unit == "ms") {
  } else if (unit == "us") {
    div = 1000;
  } else if (unit == "s") {
    mul = 1000;
  } else if (unit == "m") {
    mul = 60000;
  } else if (unit == "h") {
    mul = 3600000;
  } else if (unit == "d") {
    mul = 86400000;
  } else {
    return Error(Errc::kInvalidArgument, "unexpected character " + Quote(unit.substr(0, 1)) +
                                             " in argument " + Quote(text));
  }
  if (value > static_cast<std::uint64_t>(kMaxTimerMs) * div / mul + 1 ||
      value * mul / div > static_cast<std::uint64_t>(kMaxTimerMs)) {
    return Error(Errc::kInvalidArgument, "timer overflow in argument " + Quote(text) +
                                             " (maximum value is 2147483647 ms or ~24.8 days)");
  }
  return Millis(static_cast<std::int64_t>(value * mul / div));
}

std::string FormatDuration(Millis d) {
  std::int64_t ms = d.count();
  if (ms == 0)
    return "0s";
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  constexpr std::array<Unit, 4> kUnits = {
      {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}}};
  for (const Unit& u : kUnits) {
    if (ms % u.ms == 0)
      return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace vigie::lb::haproxy_cfg
