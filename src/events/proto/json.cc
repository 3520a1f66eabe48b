// Riemann event JSON: a hand-written renderer (hot: every subscription
// update) and an nlohmann-json based parser (ingest), whose exceptions stop
// here.
#include "events/proto/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace vigie::events {
namespace {

template <class T>
void AppendNumber(T v, std::string& out) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) {
      out += "\"NaN\"";
      return;
    }
    if (std::isinf(v)) {
      out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
      return;
    }
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// algorithm), and back.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Deepest [ / { nesting outside strings; guards the JSON library's stack.
size_t NestingDepth(std::string_view s) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

Error KeyError(std::string_view key, std::string_view what) {
  return Error(Errc::kInvalidArgument, "\"" + std::string(key) + "\": " + std::string(what));
}

}  // namespace

std::string FormatIso8601(int64_t unix_micros) {
  int64_t millis = FloorDiv(unix_micros, 1000);
  int64_t secs = FloorDiv(millis, 1000);
  int64_t days = FloorDiv(secs, 86400);
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(y), m, d, static_cast<int>(sod / 3600),
                static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60),
                static_cast<int>(millis - secs * 1000));
  return buf;
}

Result<int64_t> ParseIso8601(std::string_view t) {
  size_t i = 0;
  auto fail = [&](std::string_view what) {
    return Error(Errc::kInvalidArgument, "time \"" + std::string(t) + "\": " + std::string(what) +
                                             " at column " + std::to_string(i + 1));
  };
  auto digits = [&](size_t n, int64_t& v) {
    v = 0;
    for (size_t k = 0; k < n; ++k, ++i) {
      if (i >= t.size() || t[i] < '0' || t[i] > '9')
        return false;
      v = v * 10 + (t[i] - '0');
    }
    return true;
  };
  auto expect = [&](char c) {
    if (i < t.size() && t[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int64_t year, month, day, hour = 0, minute = 0, second = 0, micros = 0;
  if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day)) {
    return fail("expected YYYY-MM-DD");
  }
  if (month < 1 || month > 12 || day < 1 || day > 31)
    return fail("date out of range");
  if (i < t.size() && (t[i] == 'T' || t[i] == 't' || t[i] == ' ')) {
    ++i;
    if (!digits(2, hour) || !expect(':') || !digits(2, minute))
      return fail("expected hh:mm");
    if (expect(':')) {
      if (!digits(2, second))
        return fail("expected seconds");
      if (i < t.size() && (t[i] == '.' || t[i] == ',')) {
        ++i;
        size_t n = 0;
        int64_t scale = 100000;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
          if (n < 6)
            micros += (t[i] - '0') * scale;
          scale /= 10;
          ++n;
          ++i;
        }
        if (n == 0)
          return fail("expected fraction digits");
      }
    }
    if (hour > 23 || minute > 59 || second > 60)
      return fail("time out of range");
  }
  int64_t offset_secs = 0;
  if (i < t.size()) {
    if (t[i] == 'Z' || t[i] == 'z') {
      ++i;
    } else if (t[i] == '+' || t[i] == '-') {
      int sign = t[i] == '-' ? -1 : 1;
      ++i;
      int64_t oh, om = 0;
      if (!digits(2, oh))
        return fail("expected zone hours");
      if (expect(':')) {
        if (!digits(2, om))
          return fail("expected zone minutes");
      } else if (i < t.size()) {
        if (!digits(2, om))
          return fail("expected zone minutes");
      }
      if (oh > 23 || om > 59)
        return fail("zone out of range");
      offset_secs = sign * (oh * 3600 + om * 60);
    } else {
      return fail("unexpected character");
    }
  }
  if (i != t.size())
    return fail("trailing characters");
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_secs;
  return secs * 1'000'000 + micros;
}

void AppendEventJson(const Event& e, std::string& out) {
  auto str_field = [&](std::string_view key, bool has, const std::string& v) {
    out += key;
    if (has) {
      AppendJsonString(v, out);
    } else {
      out += "null";
    }
  };
  str_field("{\"host\":", e.Has(Event::kHost), e.host());
  str_field(",\"service\":", e.Has(Event::kService), e.service());
  str_field(",\"state\":", e.Has(Event::kState), e.state());
  str_field(",\"description\":", e.Has(Event::kDescription), e.description());
  out += ",\"metric\":";
  if (e.Has(Event::kMetricSint64)) {
    AppendNumber(e.metric_sint64(), out);
  } else if (e.Has(Event::kMetricD)) {
    AppendNumber(e.metric_d(), out);
  } else if (e.Has(Event::kMetricF)) {
    AppendNumber(e.metric_f(), out);
  } else {
    out += "null";
  }
  out += ",\"tags\":";
  if (e.tags().empty()) {
    out += "null";
  } else {
    out.push_back('[');
    for (size_t i = 0; i < e.tags().size(); ++i) {
      if (i > 0)
        out.push_back(',');
      AppendJsonString(e.tags()[i], out);
    }
    out.push_back(']');
  }
  out += ",\"time\":";
  if (auto t = e.GetTimeMicros()) {
    out.push_back('"');
    out += FormatIso8601(*t);
    out.push_back('"');
  } else {
    out += "null";
  }
  out += ",\"ttl\":";
  if (e.Has(Event::kTtl)) {
    AppendNumber(e.ttl(), out);
  } else {
    out += "null";
  }
  for (const Attribute& a : e.attributes()) {
    out.push_back(',');
    AppendJsonString(a.key, out);
    out.push_back(':');
    if (a.has_value) {
      AppendJsonString(a.value, out);
    } else {
      out += "null";
    }
  }
  out.push_back('}');
}

std::string EventToJson(const Event& e) {
  std::string out;
  AppendEventJson(e, out);
  return out;
}

namespace {

Result<Event> EventFromJson(const nlohmann::json& doc, const JsonLimits& limits) {
  using nlohmann::json;
  Event e;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (v.is_null())
      continue;
    if (key == "host" || key == "service" || key == "state" || key == "description") {
      if (!v.is_string())
        return KeyError(key, "expected a string");
      const auto& s = v.get_ref<const std::string&>();
      if (key == "host")
        e.set_host(s);
      else if (key == "service")
        e.set_service(s);
      else if (key == "state")
        e.set_state(s);
      else
        e.set_description(s);
    } else if (key == "metric") {
      if (v.is_number_integer()) {
        e.SetMetric(Metric::Int(v.is_number_unsigned()
                                    ? static_cast<int64_t>(std::min<uint64_t>(
                                          v.get<uint64_t>(), static_cast<uint64_t>(INT64_MAX)))
                                    : v.get<int64_t>()));
      } else if (v.is_number_float()) {
        e.SetMetric(Metric::Double(v.get<double>()));
      } else {
        return KeyError(key, "expected a number");
      }
    } else if (key == "ttl") {
      if (!v.is_number())
        return KeyError(key, "expected a number");
      e.set_ttl(v.get<float>());
    } else if (key == "time") {
      if (v.is_string()) {
        auto t = ParseIso8601(v.get_ref<const std::string&>());
        if (!t)
          return KeyError(key, t.error().ToString());
        e.SetTimeMicros(*t);
      } else if (v.is_number()) {
        double secs = v.get<double>();
        if (!std::isfinite(secs) || std::fabs(secs) > 9e12)
          return KeyError(key, "out of range");
        e.SetTimeMicros(static_cast<int64_t>(std::llround(secs * 1e6)));
      } else {
        return KeyError(key, "expected an ISO-8601 string or unix seconds");
      }
    } else if (key == "tags") {
      if (!v.is_array())
        return KeyError(key, "expected an array of strings");
      if (v.size() > limits.max_tags)
        return KeyError(key, "too many tags");
      for (const json& t : v) {
        if (!t.is_string())
          return KeyError(key, "expected an array of strings");
        e.add_tag(t.get_ref<const std::string&>());
      }
    } else {
      if (e.attributes().size() >= limits.max_attributes) {
        return Error(Errc::kLimitExceeded, "event JSON: too many attributes");
      }
      e.add_attribute(key, v.is_string() ? v.get_ref<const std::string&>() : v.dump());
    }
  }
  return e;
}

}  // namespace

Result<Event> ParseEventJson(std::string_view text, const JsonLimits& limits) {
  using nlohmann::json;
  if (text.size() > limits.max_bytes) {
    return Error(Errc::kLimitExceeded, "event JSON of " + std::to_string(text.size()) + " bytes");
  }
  if (NestingDepth(text) > 32) {
    return Error(Errc::kLimitExceeded, "event JSON nested deeper than 32");
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& ex) {
    return Error(Errc::kInvalidArgument, std::string("event JSON: ") + ex.what());
  }
  if (!doc.is_object()) {
    return Error(Errc::kInvalidArgument, "event JSON: expected an object");
  }
  try {
    return EventFromJson(doc, limits);
  } catch (const json::exception& ex) {
    return Error(Errc::kInvalidArgument, std::string("event JSON: ") + ex.what());
  }
}

}  // namespace vigie::events
