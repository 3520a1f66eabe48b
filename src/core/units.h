// Durations and byte sizes as operators write them in vigie.yaml: "1500ms",
// "10s", "3h", "2GiB", "512MB". Pure parsing, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace vigie {

using Duration = std::chrono::nanoseconds;

// The unit a bare number ("30") means for a given field. kNone: a bare number
// is an error, the unit must be written.
enum class BareUnit { kNone, kMilliseconds, kSeconds };

// Parses "<number><unit>" with unit one of ns, us, ms, s, m, h, d, or a
// sequence of them ("1m30s"). Decimals are allowed ("1.5s"). A bare number
// takes `bare`. Negative values and overflow are errors.
[[nodiscard]] Result<Duration> ParseDuration(std::string_view text,
                                             BareUnit bare = BareUnit::kNone);

// The shortest exact form: 1500ms -> "1500ms", 90s -> "90s", 2h -> "2h".
std::string FormatDuration(Duration d);

struct ByteSize {
  uint64_t bytes = 0;
  friend bool operator==(ByteSize, ByteSize) = default;
};

// Parses a byte size: a bare integer is bytes; units B, kB/KB, MB, GB, TB
// (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024). Any other unit,
// such as the "2G" that etcd rejects, is an error listing the accepted forms.
[[nodiscard]] Result<ByteSize> ParseByteSize(std::string_view text);

std::string FormatByteSize(ByteSize size);

// Edit distance, for "did you mean" suggestions.
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a likely typo.
template <class Range>
std::optional<std::string> ClosestMatch(std::string_view word, const Range& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    std::size_t d = EditDistance(word, c);
    if (!best || d < best_distance) {
      best = std::string(c);
      best_distance = d;
    }
  }
  std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  if (best && best_distance <= limit) {
    return best;
  }
  return std::nullopt;
}

}  // namespace vigie
