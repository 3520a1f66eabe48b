// Carbon plaintext parsing (carbon/lib/carbon/protocols.py) and Riemann's
// Graphite paths (riemann/graphite.clj).
#include "events/ingest/carbon.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace vigie::events {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Python's float() for what carbon sees: decimal or exponent forms, an
// optional sign, "nan" and "inf"/"infinity" in any case.
std::optional<double> ParseFloat(std::string_view s) {
  if (s.starts_with('+'))
    s.remove_prefix(1);
  if (s.empty() || s.starts_with('+'))
    return std::nullopt;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // Python saturates: 1e400 -> inf, 1e-400 -> 0.
    bool negative_exponent =
        s.find("e-") != std::string_view::npos || s.find("E-") != std::string_view::npos;
    bool negative = s.starts_with('-');
    v = negative_exponent ? (negative ? -0.0 : 0.0) : (negative ? -HUGE_VAL : HUGE_VAL);
    return v;
  }
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

Error LineError(std::string_view line, const std::string& what) {
  std::string shown(line.substr(0, 200));
  return Error(Errc::kInvalidArgument, "carbon line \"" + shown + "\": " + what);
}

// Java's String.split: trailing empty strings dropped; "" gives [""].
std::vector<std::string_view> JavaSplit(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos)
      break;
    start = at + 1;
  }
  if (s.empty())
    return parts;
  while (!parts.empty() && parts.back().empty())
    parts.pop_back();
  return parts;
}

std::string JoinPath(const Event& e, std::string_view service) {
  std::vector<std::string_view> parts;
  if (e.Has(Event::kHost)) {
    auto host = JavaSplit(e.host(), '.');
    parts.insert(parts.end(), host.rbegin(), host.rend());
  }
  if (e.Has(Event::kService)) {
    auto words = JavaSplit(service, ' ');
    parts.insert(parts.end(), words.begin(), words.end());
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      out.push_back('.');
    out.append(parts[i]);
  }
  return out;
}

}  // namespace

Result<std::optional<CarbonPoint>> ParseCarbonLine(std::string_view line, int64_t now_micros) {
  if (line.size() > kMaxCarbonLine) {
    return Error(Errc::kLimitExceeded, "carbon line of " + std::to_string(line.size()) + " bytes");
  }
  std::string_view tokens[3];
  size_t n = 0;
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && IsSpace(line[i]))
      ++i;
    if (i >= line.size())
      break;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i]))
      ++i;
    if (n == 3)
      return LineError(line, "expected <path> <value> <timestamp>, got more tokens");
    tokens[n++] = line.substr(start, i - start);
  }
  if (n != 3)
    return LineError(line, "expected <path> <value> <timestamp>");
  auto value = ParseFloat(tokens[1]);
  if (!value)
    return LineError(line, "value is not a number");
  auto ts = ParseFloat(tokens[2]);
  if (!ts)
    return LineError(line, "timestamp is not a number");
  if (std::isnan(*value))
    return std::optional<CarbonPoint>();
  CarbonPoint p;
  p.value = *value;
  if (*ts == -1) {
    p.time_micros = now_micros;
  } else {
    if (!std::isfinite(*ts) || std::fabs(*ts) > 1e11)
      return LineError(line, "timestamp out of range");
    p.time_micros = static_cast<int64_t>(std::llround(*ts * 1e6));
  }
  // Tagged series: name;tag1=v1;tag2=v2.
  std::string_view path = tokens[0];
  size_t semi = path.find(';');
  p.path = std::string(path.substr(0, semi));
  if (p.path.empty())
    return LineError(line, "empty metric name");
  while (semi != std::string_view::npos) {
    size_t next = path.find(';', semi + 1);
    std::string_view tag =
        path.substr(semi + 1, next == std::string_view::npos ? next : next - semi - 1);
    size_t eq = tag.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == tag.size()) {
      return LineError(line, "bad tag \"" + std::string(tag) + "\" (expected name=value)");
    }
    p.tags.emplace_back(std::string(tag.substr(0, eq)), std::string(tag.substr(eq + 1)));
    semi = next;
  }
  return std::optional<CarbonPoint>(std::move(p));
}

Event CarbonPointToEvent(const CarbonPoint& p) {
  Event e;
  e.set_service(p.path);
  double whole = std::trunc(p.value);
  if (whole == p.value && std::fabs(p.value) < 9.2e18) {
    e.SetMetric(Metric::Int(static_cast<int64_t>(whole)));
  } else {
    e.SetMetric(Metric::Double(p.value));
  }
  e.SetTimeMicros(p.time_micros);
  for (const auto& [k, v] : p.tags)
    e.add_attribute(k, v);
  return e;
}

std::string GraphitePath(const Event& e) {
  return JoinPath(e, e.service());
}

std::string GraphitePathPercentiles(const Event& e) {
  std::string_view service = e.service();
  size_t space = service.rfind(' ');
  std::string_view last = space == std::string_view::npos ? service : service.substr(space + 1);
  size_t dot = last.find('.');
  bool digits = dot != std::string_view::npos && dot > 0 && dot + 1 < last.size();
  for (size_t i = 0; digits && i < last.size(); ++i) {
    digits = i == dot || (last[i] >= '0' && last[i] <= '9');
  }
  if (!digits)
    return GraphitePath(e);
  auto q = ParseFloat(last);
  std::string rewritten(service.substr(0, service.size() - last.size()));
  rewritten += std::to_string(static_cast<int64_t>(*q * 100));
  return JoinPath(e, rewritten);
}

bool AppendCarbonLine(std::string_view path, const Event& e, std::string& out) {
  auto m = e.GetMetric();
  if (!m)
    return false;
  out.append(path);
  out.push_back(' ');
  char buf[64];
  auto r = m->is_integer ? std::to_chars(buf, buf + sizeof(buf), m->i)
                         : std::to_chars(buf, buf + sizeof(buf), m->d);
  out.append(buf, r.ptr);
  out.push_back(' ');
  int64_t secs = e.GetTimeMicros().value_or(0) / 1'000'000;
  out += std::to_string(secs);
  out.push_back('\n');
  return true;
}

}  // namespace vigie::events
