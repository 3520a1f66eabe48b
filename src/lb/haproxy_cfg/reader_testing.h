// Parsing and diagnostic lookups shared by the haproxy.cfg reader's tests
// (test-only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg::reader_test {

// The diagnostics of `out` with `sev`, as "line: text".
inline std::vector<std::string> Lines(const ParseOutput& out, Severity sev) {
  std::vector<std::string> v;
  for (const Diagnostic& d : out.diagnostics) {
    if (d.severity == sev)
      v.push_back(std::to_string(d.where.line) + ": " + d.text);
  }
  return v;
}

// The first diagnostic on `line` with `sev`, or nullptr.
inline const Diagnostic* FindDiag(const ParseOutput& out, int line, Severity sev) {
  for (const Diagnostic& d : out.diagnostics) {
    if (d.where.line == line && d.severity == sev)
      return &d;
  }
  return nullptr;
}

// `text` read as "t.cfg".
inline ParseOutput P(std::string_view text) {
  return ParseHaproxyCfg(text, "t.cfg");
}

}  // namespace vigie::lb::haproxy_cfg::reader_test
