// SpecReader: a stream spec's parameters, read and checked (spec_reader.h).
#include "events/stream/spec_reader.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace vigie::events::internal {

Error SpecReader::Fail(std::string_view param, const std::string& what) const {
  std::string place = where_.empty() ? "" : std::string(where_) + ": ";
  return Error(Errc::kInvalidArgument,
               place + s_.kind + (param.empty() ? "" : ": " + std::string(param)) + ": " + what);
}

Result<std::string> SpecReader::Str(const std::string& key,
                                    std::optional<std::string> fallback) const {
  auto it = s_.params.find(key);
  if (it == s_.params.end()) {
    if (fallback)
      return *fallback;
    return Fail(key, "required");
  }
  if (it->second.size() != 1)
    return Fail(key, "expected one value");
  return it->second[0];
}

Result<double> SpecReader::Num(const std::string& key, std::optional<double> fallback,
                               bool positive) const {
  auto it = s_.params.find(key);
  if (it == s_.params.end()) {
    if (fallback)
      return *fallback;
    return Fail(key, "required");
  }
  if (it->second.size() != 1)
    return Fail(key, "expected one value");
  return ParseNum(key, it->second[0], positive);
}

Result<double> SpecReader::ParseNum(const std::string& key, const std::string& text,
                                    bool positive) const {
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v) ||
      (positive && v <= 0)) {
    return Fail(key, std::string(positive ? "expected a positive number" : "expected a number") +
                         ", got \"" + text + "\"");
  }
  return v;
}

Result<std::vector<std::string>> SpecReader::List(const std::string& key) const {
  auto it = s_.params.find(key);
  if (it == s_.params.end() || it->second.empty())
    return Fail(key, "required");
  return it->second;
}

Result<FieldSettings> SpecReader::Settings() const {
  FieldSettings f;
  for (const auto& [key, values] : s_.params) {
    if (key == "when")
      continue;  // split's routing query
    if (key == "host" || key == "service" || key == "state" || key == "description") {
      VIGIE_ASSIGN_OR_RETURN(std::string v, Str(key));
      if (key == "host")
        f.host = v;
      else if (key == "service")
        f.service = v;
      else if (key == "state")
        f.state = v;
      else
        f.description = v;
    } else if (key == "ttl") {
      VIGIE_ASSIGN_OR_RETURN(double v, Num(key));
      f.ttl = static_cast<float>(v);
    } else if (key == "metric") {
      VIGIE_ASSIGN_OR_RETURN(std::string text, Str(key));
      int64_t i = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), i);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
        f.metric = Metric::Int(i);
      } else {
        VIGIE_ASSIGN_OR_RETURN(double d, ParseNum(key, text, false));
        f.metric = Metric::Double(d);
      }
    } else {
      return Fail(key, "unknown field (host, service, state, description, ttl, metric)");
    }
  }
  if (!f.host && !f.service && !f.state && !f.description && !f.ttl && !f.metric) {
    return Fail("", "no field to set");
  }
  return f;
}

}  // namespace vigie::events::internal
