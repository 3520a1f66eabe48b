// Internal to events/stream: reads one StreamSpec's parameters for the
// builder (stream.cc). Every error (Errc::kInvalidArgument) names the place,
// the kind and the parameter: `vigie.yaml:12: rate: interval: expected a
// positive number, got "x"`.
//
// Thread rules: a SpecReader reads one spec, which must outlive it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "events/stream/nodes.h"
#include "events/stream/stream.h"

namespace vigie::events::internal {

class SpecReader {
 public:
  // `where` is the spec's own place, or its nearest ancestor's.
  SpecReader(const StreamSpec& s, std::string_view where) : s_(s), where_(where) {}

  // "<where>: <kind>: <param>: <what>" (no param: "<where>: <kind>: <what>").
  Error Fail(std::string_view param, const std::string& what) const;

  bool Has(const std::string& key) const { return s_.params.count(key) > 0; }

  // One value; `fallback` when the parameter is absent, else "required".
  Result<std::string> Str(const std::string& key, std::optional<std::string> fallback = {}) const;

  // One finite number (> 0 when `positive`); `fallback` when absent.
  Result<double> Num(const std::string& key, std::optional<double> fallback = {},
                     bool positive = false) const;

  // `text` as Num reads it, errors naming `key`.
  Result<double> ParseNum(const std::string& key, const std::string& text, bool positive) const;

  // One or more values.
  Result<std::vector<std::string>> List(const std::string& key) const;

  // default / with: every parameter (but split's `when`) is a field to set:
  // host, service, state, description, ttl, metric (an integer stays one).
  Result<FieldSettings> Settings() const;

 private:
  const StreamSpec& s_;
  std::string_view where_;
};

}  // namespace vigie::events::internal
