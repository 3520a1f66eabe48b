// The haproxy.cfg reader: lines to sections, each section's directives into
// the global settings or a ProxyDraft, then Resolve(). Its member functions
// are defined by concern: reader.cc (lines and sections), global_section.cc,
// proxy_section.cc (proxy directives, options, timeouts, http-check),
// bind_server.cc (bind, server and default-server lines). Internal; the
// entry point is ParseHaproxyCfg() in haproxy_cfg.h.
//
// Thread rules: one Reader reads one text, once.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb/haproxy_cfg/draft.h"
#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg::internal {

// One tokenized, non-empty line.
struct Line {
  int number = 0;  // 1-based
  std::vector<std::string> words;
};

class Reader {
 public:
  Reader(std::string_view file, const Limits& limits);

  // Reads `text` whole: the model and every diagnostic, in line order.
  ParseOutput Run(std::string_view text);

 private:
  void Diag(int line, Severity sev, std::string text) { log_.Add(line, sev, std::move(text)); }

  // reader.cc
  void StartSection(const Line& line);
  void FinishProxy();
  std::optional<Millis> TimeArg(const Line& line, std::size_t i, std::string_view what);

  // global_section.cc
  void OnGlobal(const Line& line);
  void OnStatsSocket(const Line& line);

  // proxy_section.cc
  void OnProxy(const Line& line);
  void OnOption(const Line& line, bool negated, std::size_t first);
  void OnTimeout(const Line& line);
  void OnHttpCheck(const Line& line);
  bool ParseHttpchkVersion(const Line& line, std::string_view version, HttpCheck& check);

  // bind_server.cc
  void OnBind(const Line& line);
  void OnServer(const Line& line, bool is_default_server);
  bool ParseServerAddress(const Line& line, std::string_view text, Server& server);
  // Applies `words[i...]` server keywords to `server`. Returns false on error.
  bool ApplyServerKeywords(const Line& line, std::size_t i, Server& server,
                           const std::string& label, bool& fastinter_set, bool& downinter_set);

  std::string file_;
  Limits limits_;
  DiagnosticLog log_;
  Config config_;  // global set by the handlers; frontends and backends by Resolve()
  SectionKind section_ = SectionKind::kNone;
  int other_section_line_ = 0;
  int other_section_lines_ = 0;
  std::string other_section_name_;
  ProxyDraft defaults_;  // the last (unnamed or named) defaults section
  std::map<std::string, ProxyDraft, std::less<>> named_defaults_;
  std::optional<ProxyDraft> current_;
  std::vector<ProxyDraft> proxies_;
  int nbsp_first_line_ = 0;
  int nbsp_lines_ = 0;
  bool stop_ = false;
};

}  // namespace vigie::lb::haproxy_cfg::internal
