// Duration and byte-size parsing.
#include "core/units.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace vigie {
namespace {

struct Unit {
  std::string_view name;
  double factor;
};

constexpr std::array<Unit, 7> kDurationUnits = {{
    {"ns", 1.0},
    {"us", 1e3},
    {"ms", 1e6},
    {"s", 1e9},
    {"m", 60e9},
    {"h", 3600e9},
    {"d", 86400e9},
}};

constexpr std::array<Unit, 10> kByteUnits = {{
    {"B", 1.0},
    {"kB", 1e3},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
    {"KiB", 1024.0},
    {"MiB", 1024.0 * 1024},
    {"GiB", 1024.0 * 1024 * 1024},
    {"TiB", 1024.0 * 1024 * 1024 * 1024},
}};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string Quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Reads "123" or "1.5" at the front of `text`; returns the number of chars.
std::size_t ReadNumber(std::string_view text, double& value, bool& fractional) {
  std::size_t i = 0;
  double v = 0;
  while (i < text.size() && IsDigit(text[i])) {
    v = v * 10 + (text[i] - '0');
    ++i;
  }
  fractional = false;
  if (i > 0 && i < text.size() && text[i] == '.') {
    std::size_t j = i + 1;
    double scale = 0.1;
    while (j < text.size() && IsDigit(text[j])) {
      v += (text[j] - '0') * scale;
      scale /= 10;
      ++j;
    }
    if (j == i + 1) {
      return 0;  // "1." is not a number
    }
    fractional = true;
    i = j;
  }
  value = v;
  return i;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text, BareUnit bare) {
  std::string_view s = Trim(text);
  if (s.empty()) {
    return Error(Errc::kInvalidArgument, "empty duration");
  }
  if (s.front() == '-') {
    return Error(Errc::kInvalidArgument, "negative duration " + Quote(text));
  }
  double total = 0;
  bool any = false;
  while (!s.empty()) {
    double value = 0;
    bool fractional = false;
    std::size_t n = ReadNumber(s, value, fractional);
    if (n == 0) {
      return Error(Errc::kInvalidArgument,
                   "not a duration: " + Quote(text) + " (expected e.g. 1500ms, 10s, 1m30s, 3h)");
    }
    s.remove_prefix(n);
    while (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);  // "10 s" reads like "10s"
    }
    std::size_t u = 0;
    while (u < s.size() && IsAlpha(s[u])) {
      ++u;
    }
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    if (unit.empty()) {
      if (any || !s.empty()) {
        return Error(Errc::kInvalidArgument, "missing unit in duration " + Quote(text));
      }
      switch (bare) {
        case BareUnit::kNone:
          return Error(Errc::kInvalidArgument,
                       "duration " + Quote(text) + " needs a unit (ns, us, ms, s, m, h, d)");
        case BareUnit::kMilliseconds:
          total += value * 1e6;
          break;
        case BareUnit::kSeconds:
          total += value * 1e9;
          break;
      }
      break;
    }
    auto it = std::find_if(kDurationUnits.begin(), kDurationUnits.end(),
                           [&](const Unit& x) { return x.name == unit; });
    if (it == kDurationUnits.end()) {
      return Error(Errc::kInvalidArgument, "unknown duration unit " + Quote(unit) + " in " +
                                               Quote(text) + " (accepted: ns, us, ms, s, m, h, d)");
    }
    total += value * it->factor;
    any = true;
  }
  if (total > static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return Error(Errc::kInvalidArgument, "duration " + Quote(text) + " is too large");
  }
  return Duration(static_cast<int64_t>(std::llround(total)));
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) {
    return "0s";
  }
  // Largest unit that divides exactly.
  for (std::size_t i = kDurationUnits.size(); i-- > 0;) {
    auto f = static_cast<int64_t>(kDurationUnits[i].factor);
    if (ns % f == 0) {
      return std::to_string(ns / f) + std::string(kDurationUnits[i].name);
    }
  }
  return std::to_string(ns) + "ns";
}

Result<ByteSize> ParseByteSize(std::string_view text) {
  std::string_view s = Trim(text);
  static const std::string kAccepted =
      "accepted: a bare number of bytes, or a number with B, kB, MB, GB, TB (powers of 1000) "
      "or KiB, MiB, GiB, TiB (powers of 1024)";
  double value = 0;
  bool fractional = false;
  std::size_t n = ReadNumber(s, value, fractional);
  if (n == 0) {
    return Error(Errc::kInvalidArgument, "not a byte size: " + Quote(text) + "; " + kAccepted);
  }
  std::string_view unit = Trim(s.substr(n));
  double factor = 1;
  if (unit.empty()) {
    if (fractional) {
      return Error(Errc::kInvalidArgument,
                   "a bare byte count must be a whole number: " + Quote(text));
    }
  } else {
    auto it = std::find_if(kByteUnits.begin(), kByteUnits.end(),
                           [&](const Unit& x) { return x.name == unit; });
    if (it == kByteUnits.end()) {
      return Error(Errc::kInvalidArgument,
                   "unknown size unit " + Quote(unit) + " in " + Quote(text) + "; " + kAccepted);
    }
    factor = it->factor;
  }
  double bytes = value * factor;
  if (bytes > 1.8e19) {
    return Error(Errc::kInvalidArgument, "byte size " + Quote(text) + " is too large");
  }
  if (bytes != std::floor(bytes)) {
    return Error(Errc::kInvalidArgument,
                 "byte size " + Quote(text) + " is not a whole number of bytes");
  }
  return ByteSize{static_cast<uint64_t>(bytes)};
}

std::string FormatByteSize(ByteSize size) {
  uint64_t b = size.bytes;
  if (b == 0) {
    return "0";
  }
  static constexpr std::array<std::pair<uint64_t, std::string_view>, 4> kBinary = {
      {{1ULL << 40, "TiB"}, {1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}}};
  for (const auto& [f, name] : kBinary) {
    if (b % f == 0) {
      return std::to_string(b / f) + std::string(name);
    }
  }
  return std::to_string(b);
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace vigie
