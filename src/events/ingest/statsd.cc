// statsd line parsing after statsd/stats.js and lib/helpers.js.
#include "events/ingest/statsd.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace vigie::events {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

// JavaScript's Number() on decimal text (no hex): surrounding blanks and a
// sign allowed, "Infinity" too.
std::optional<double> JsNumber(std::string_view s) {
  s = Trim(s);
  if (s.empty())
    return std::nullopt;
  bool negative = false;
  if (s.front() == '+' || s.front() == '-') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "Infinity")
    return negative ? -HUGE_VAL : HUGE_VAL;
  if (s.empty() || !((s.front() >= '0' && s.front() <= '9') || s.front() == '.'))
    return std::nullopt;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    return std::nullopt;
  return negative ? -v : v;
}

Error BadLine(std::string_view line, const std::string& why) {
  return Error(Errc::kInvalidArgument,
               "bad line: " + why + " in \"" + std::string(line.substr(0, 200)) + "\"");
}

}  // namespace

std::string SanitizeStatsdKey(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size();) {
    char c = key[i];
    if (IsSpace(c)) {
      out.push_back('_');
      while (i < key.size() && IsSpace(key[i]))
        ++i;
      continue;
    }
    ++i;
    if (c == '/') {
      out.push_back('-');
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == ';' || c == '=') {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::vector<StatsdSample>> ParseStatsdLine(std::string_view line) {
  std::vector<StatsdSample> out;
  size_t colon = line.find(':');
  std::string key = SanitizeStatsdKey(line.substr(0, colon));
  if (colon == std::string_view::npos)
    return BadLine(line, "no value");
  std::string_view rest = line.substr(colon + 1);
  while (true) {
    size_t next = rest.find(':');
    std::string_view bit = rest.substr(0, next);
    // fields = bit.split("|")
    std::string_view fields[3];
    size_t nf = 0;
    size_t start = 0;
    while (nf < 3) {
      size_t bar = bit.find('|', start);
      fields[nf++] = bit.substr(start, bar == std::string_view::npos ? bar : bar - start);
      if (bar == std::string_view::npos)
        break;
      start = bar + 1;
    }
    if (nf < 2)
      return BadLine(line, "no type");
    StatsdSample s;
    s.key = key;
    std::string_view type = Trim(fields[1]);
    if (nf == 3) {
      // /^@([\d\.]+)/ then parseFloat.
      std::string_view rate = fields[2];
      size_t digits = 1;
      while (digits < rate.size() &&
             ((rate[digits] >= '0' && rate[digits] <= '9') || rate[digits] == '.')) {
        ++digits;
      }
      if (rate.empty() || rate[0] != '@' || digits == 1)
        return BadLine(line, "bad sample rate");
      std::string_view num = rate.substr(1, digits - 1);
      double v = 0;
      auto r = std::from_chars(num.data(), num.data() + num.size(), v);
      if (r.ec != std::errc() || !(v > 0))
        return BadLine(line, "bad sample rate");
      s.sample_rate = v;
    }
    if (type == "s") {
      s.type = StatsdType::kSet;
      s.set_member = std::string(fields[0]);
    } else {
      auto v = JsNumber(fields[0]);
      if (type == "c") {
        s.type = StatsdType::kCounter;
      } else if (type == "ms") {
        s.type = StatsdType::kTimer;
      } else if (type == "h") {
        s.type = StatsdType::kHistogram;
      } else if (type == "g") {
        s.type = StatsdType::kGauge;
        std::string_view raw = Trim(fields[0]);
        s.gauge_delta = !raw.empty() && (raw.front() == '+' || raw.front() == '-');
      } else {
        return BadLine(line, "unknown type \"" + std::string(type) + "\"");
      }
      if (!v)
        return BadLine(line, "value is not a number");
      if ((s.type == StatsdType::kTimer || s.type == StatsdType::kHistogram) && *v < 0) {
        return BadLine(line, "negative timer");
      }
      s.value = *v;
    }
    out.push_back(std::move(s));
    if (next == std::string_view::npos)
      break;
    rest = rest.substr(next + 1);
  }
  return out;
}

StatsdPacket ParseStatsdPacket(std::string_view packet) {
  StatsdPacket p;
  size_t start = 0;
  while (start <= packet.size()) {
    size_t nl = packet.find('\n', start);
    std::string_view line = packet.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty()) {
      auto r = ParseStatsdLine(line);
      if (r) {
        for (auto& s : *r)
          p.samples.push_back(std::move(s));
      } else {
        p.bad_lines.push_back(r.error());
      }
    }
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  return p;
}

}  // namespace vigie::events
