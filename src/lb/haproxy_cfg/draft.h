// What the haproxy.cfg section handlers build and Resolve() reads: a
// ProxyDraft per section (a proxy or a defaults section under construction),
// and the DiagnosticLog they all report to. Internal to the reader.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg::internal {

enum class SectionKind { kNone, kGlobal, kDefaults, kFrontend, kBackend, kListen, kOther };

// "global", "defaults", "frontend", "backend", "listen", "other", "none".
std::string_view SectionName(SectionKind k);

// A proxy (or defaults section) under construction. Copied from the defaults
// section when a proxy starts, which is how haproxy inherits.
struct ProxyDraft {
  SectionKind kind = SectionKind::kNone;
  std::string name;
  SourceLocation where;
  std::optional<SourceLocation> http_mode_at;
  BalanceAlgorithm balance = BalanceAlgorithm::kRoundRobin;
  bool allbackups = false;
  bool log_health_checks = false;
  bool tcplog = false;
  bool dontlognull = false;
  std::string monitor_uri;
  bool clitcpka = false;
  bool srvtcpka = false;
  bool splice_request = false;
  bool splice_response = false;
  bool redispatch = false;
  int retries = 3;
  int fullconn = 0;
  int maxconn = 0;
  Timeouts timeouts;
  bool httpchk = false;
  HttpCheck http_check;
  Server default_server;
  bool def_fastinter_set = false;
  bool def_downinter_set = false;
  std::string default_backend;
  std::vector<std::string> use_backends;
  std::vector<Bind> binds;
  std::vector<Server> servers;

  bool HasFrontend() const {
    return kind == SectionKind::kFrontend || kind == SectionKind::kListen;
  }
  bool HasBackend() const { return kind == SectionKind::kBackend || kind == SectionKind::kListen; }
  bool IsDefaults() const { return kind == SectionKind::kDefaults; }
};

// The diagnostics of one file, in the order they were added, up to a
// bound: past `max` entries, Add() drops what it is given.
class DiagnosticLog {
 public:
  DiagnosticLog(std::string_view file, std::size_t max) : file_(file), max_(max) {}

  // Records "file:line: severity: text"; line 0 = the file as a whole.
  void Add(int line, Severity severity, std::string text);

  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& entries() const { return entries_; }
  std::vector<Diagnostic> Take() { return std::move(entries_); }

 private:
  std::string file_;
  std::size_t max_;
  std::vector<Diagnostic> entries_;
};

}  // namespace vigie::lb::haproxy_cfg::internal
