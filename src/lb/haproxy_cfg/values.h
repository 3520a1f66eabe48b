// Value readers shared by the haproxy.cfg section handlers: bounded
// integers, server host names, and the quoting of words in diagnostics.
// (The public ParseTime() and FormatDuration() of haproxy_cfg.h live in
// values.cc too.) Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace vigie::lb::haproxy_cfg::internal {

// `s` in single quotes, as haproxy's messages quote words: "'s'".
std::string Quote(std::string_view s);

// A decimal integer (optional leading '-') within [lo, hi]. Errors
// (kInvalidArgument), as context: "'s' is not an integer", "'s' is not
// within lo and hi".
Result<std::int64_t> ParseInt(std::string_view s, std::int64_t lo, std::int64_t hi);

// Whether `s` may name a server host to resolve: 1 to 253 letters, digits,
// '-', '.' or '_'.
bool IsHostName(std::string_view s);

}  // namespace vigie::lb::haproxy_cfg::internal
