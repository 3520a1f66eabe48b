// haproxy.cfg reader, public entry: the model's small methods, and
// ParseHaproxyCfg/LoadHaproxyCfg over internal::Reader. The reader's parts:
// tokenizer.h (lines, words), keywords.h (tables), reader.h (sections and
// their directives), resolve.h (inheritance, frontends to backends),
// values.h (integers, names, ParseTime/FormatDuration).
#include "lb/haproxy_cfg/haproxy_cfg.h"

#include <algorithm>
#include <utility>

#include "lb/haproxy_cfg/reader.h"

namespace vigie::lb::haproxy_cfg {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kIgnored:
      return "ignored";
    case Severity::kWarning:
      return "warning";
    case Severity::kUnsupported:
      return "unsupported";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::string Diagnostic::ToString() const {
  return where.file + ":" + std::to_string(where.line) + ": " +
         std::string(SeverityName(severity)) + ": " + text;
}

std::string_view BalanceName(BalanceAlgorithm a) {
  switch (a) {
    case BalanceAlgorithm::kRoundRobin:
      return "roundrobin";
    case BalanceAlgorithm::kStaticRr:
      return "static-rr";
    case BalanceAlgorithm::kLeastConn:
      return "leastconn";
    case BalanceAlgorithm::kSource:
      return "source";
    case BalanceAlgorithm::kFirst:
      return "first";
  }
  return "roundrobin";
}

const Backend* Config::FindBackend(std::string_view name) const {
  for (const Backend& b : backends) {
    if (b.name == name)
      return &b;
  }
  return nullptr;
}

const Frontend* Config::FindFrontend(std::string_view name) const {
  for (const Frontend& f : frontends) {
    if (f.name == name)
      return &f;
  }
  return nullptr;
}

bool ParseOutput::HasErrors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::vector<const Diagnostic*> ParseOutput::AtLeast(Severity floor) const {
  std::vector<const Diagnostic*> out;
  for (const Diagnostic& d : diagnostics) {
    if (static_cast<int>(d.severity) >= static_cast<int>(floor))
      out.push_back(&d);
  }
  return out;
}

ParseOutput ParseHaproxyCfg(std::string_view text, std::string_view file, const Limits& limits) {
  internal::Reader reader(file, limits);
  return reader.Run(text);
}

Result<Config> LoadHaproxyCfg(std::string_view text, std::string_view file, const Limits& limits) {
  ParseOutput out = ParseHaproxyCfg(text, file, limits);
  for (const Diagnostic& d : out.diagnostics) {
    if (d.severity == Severity::kError) {
      return Error(Errc::kInvalidArgument,
                   d.where.file + ":" + std::to_string(d.where.line) + ": " + d.text);
    }
  }
  return std::move(out.config);
}

}  // namespace vigie::lb::haproxy_cfg
