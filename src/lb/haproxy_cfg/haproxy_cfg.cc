// haproxy.cfg reader: tokenizer (haproxy's quoting and escapes), section
// state machine, directive handlers and the final resolution of frontends to
// backends.
#include "lb/haproxy_cfg/haproxy_cfg.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "core/ip.h"

namespace vigie::lb::haproxy_cfg {
namespace {

constexpr std::int64_t kMaxTimerMs = 2147483647;

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

// Keyword tables. A keyword haproxy knows that vigie does not implement is
// reported kUnsupported; one haproxy does not know is kError, as haproxy
// refuses it too. The lists come from configuration.txt (2.6) §3, §4.1, §5.
constexpr std::array kGlobalIgnored = {"log",
                                       "log-send-hostname",
                                       "log-tag",
                                       "chroot",
                                       "user",
                                       "group",
                                       "uid",
                                       "gid",
                                       "daemon",
                                       "master-worker",
                                       "pidfile",
                                       "ca-base",
                                       "crt-base",
                                       "ssl-default-bind-ciphers",
                                       "ssl-default-bind-ciphersuites",
                                       "ssl-default-bind-curves",
                                       "ssl-default-bind-options",
                                       "ssl-default-server-ciphers",
                                       "ssl-default-server-ciphersuites",
                                       "ssl-default-server-options",
                                       "ssl-dh-param-file",
                                       "ssl-server-verify",
                                       "node",
                                       "description",
                                       "ulimit-n",
                                       "quiet",
                                       "zero-warning",
                                       "nbproc",
                                       "cpu-map",
                                       "hard-stop-after",
                                       "mworker-max-reloads",
                                       "set-dumpable",
                                       "noepoll",
                                       "nopoll",
                                       "noreuseport",
                                       "nogetaddrinfo",
                                       "busy-polling",
                                       "maxpipes",
                                       "maxzlibmem",
                                       "maxcompcpuusage",
                                       "maxcomprate",
                                       "grace",
                                       "strict-limits",
                                       "unix-bind",
                                       "insecure-fork-wanted",
                                       "insecure-setuid-wanted",
                                       "numa-cpu-mapping",
                                       "fd-hard-limit",
                                       "no-memory-trimming",
                                       "profiling.tasks",
                                       "ssl-engine",
                                       "ssl-mode-async",
                                       "tune.ssl.default-dh-param",
                                       "default-path",
                                       "issuers-chain-path",
                                       "ssl-skip-self-issued-ca",
                                       "localpeer",
                                       "pp2-never-send-local"};
constexpr std::array kGlobalKnown = {"51degrees-data-file",
                                     "cluster-secret",
                                     "deviceatlas-json-file",
                                     "expose-experimental-directives",
                                     "external-check",
                                     "h1-accept-payload-with-any-method",
                                     "h1-case-adjust",
                                     "h1-case-adjust-file",
                                     "h2-workaround-bogus-websocket-clients",
                                     "lua-load",
                                     "lua-load-per-thread",
                                     "lua-prepend-path",
                                     "presetenv",
                                     "resetenv",
                                     "set-var",
                                     "setenv",
                                     "ssl-propquery",
                                     "ssl-provider",
                                     "ssl-provider-path",
                                     "unsetenv",
                                     "wurfl-data-file",
                                     "max-spread-checks",
                                     "maxconnrate",
                                     "maxsessrate",
                                     "maxsslconn",
                                     "maxsslrate",
                                     "server-state-base",
                                     "server-state-file",
                                     "spread-checks",
                                     "httpclient.resolvers.id",
                                     "httpclient.resolvers.prefer",
                                     "httpclient.ssl.ca-file",
                                     "httpclient.ssl.verify"};

// Proxy keywords (section 4.1) that change nothing for a TCP balancer.
constexpr std::array kProxyIgnored = {"log",
                                      "log-format",
                                      "log-format-sd",
                                      "error-log-format",
                                      "log-tag",
                                      "errorfile",
                                      "errorfiles",
                                      "errorloc",
                                      "errorloc302",
                                      "errorloc303",
                                      "description",
                                      "email-alert",
                                      "bind-process",
                                      "unique-id-format",
                                      "unique-id-header",
                                      "http-reuse",
                                      "backlog",
                                      "http-send-name-header",
                                      "max-keep-alive-queue",
                                      "http-error"};
constexpr std::array kProxyUnsupported = {"acl",
                                          "capture",
                                          "compression",
                                          "cookie",
                                          "declare",
                                          "dispatch",
                                          "external-check",
                                          "filter",
                                          "force-persist",
                                          "ignore-persist",
                                          "load-server-state-from-file",
                                          "monitor",
                                          "persist",
                                          "rate-limit",
                                          "redirect",
                                          "retry-on",
                                          "server-state-file-name",
                                          "server-template",
                                          "source",
                                          "stats",
                                          "stick",
                                          "stick-table",
                                          "tcp-check",
                                          "tcp-request",
                                          "tcp-response",
                                          "http-request",
                                          "http-response",
                                          "http-after-response",
                                          "use-fcgi-app",
                                          "use-server",
                                          "transparent",
                                          "clitcpka-cnt",
                                          "clitcpka-idle",
                                          "clitcpka-intvl",
                                          "srvtcpka-cnt",
                                          "srvtcpka-idle",
                                          "srvtcpka-intvl",
                                          "enabled",
                                          "disabled",
                                          "id"};
constexpr std::array kOptionIgnored = {"dontlog-normal",
                                       "log-separate-errors",
                                       "logasap",
                                       "contstats",
                                       "socket-stats",
                                       "tcp-smart-accept",
                                       "tcp-smart-connect",
                                       "independent-streams",
                                       "httplog",
                                       "httpslog",
                                       "http-server-close",
                                       "httpclose",
                                       "http-keep-alive",
                                       "forwardfor",
                                       "originalto",
                                       "http-buffer-request",
                                       "http-ignore-probes",
                                       "http-no-delay",
                                       "http-pretend-keepalive",
                                       "http-use-proxy-header",
                                       "http-restrict-req-hdr-names",
                                       "accept-invalid-http-request",
                                       "accept-invalid-http-response",
                                       "checkcache",
                                       "disable-h2-upgrade",
                                       "h1-case-adjust-bogus-client",
                                       "h1-case-adjust-bogus-server",
                                       "idle-close-on-response",
                                       "abortonclose"};
constexpr std::array kOptionUnsupported = {
    "external-check", "ldap-check",         "mysql-check",   "pgsql-check", "redis-check",
    "smtpchk",        "spop-check",         "ssl-hello-chk", "tcp-check",   "nolinger",
    "persist",        "prefer-last-server", "transparent"};

// Server keywords: flags take no argument; the others take one.
constexpr std::array kServerFlags = {"agent-check",
                                     "allow-0rtt",
                                     "backup",
                                     "check",
                                     "check-send-proxy",
                                     "check-ssl",
                                     "check-via-socks4",
                                     "disabled",
                                     "enabled",
                                     "force-sslv3",
                                     "force-tlsv10",
                                     "force-tlsv11",
                                     "force-tlsv12",
                                     "force-tlsv13",
                                     "no-agent-check",
                                     "no-backup",
                                     "no-check",
                                     "no-check-ssl",
                                     "no-send-proxy",
                                     "no-send-proxy-v2",
                                     "no-send-proxy-v2-ssl",
                                     "no-send-proxy-v2-ssl-cn",
                                     "no-ssl",
                                     "no-ssl-reuse",
                                     "no-sslv3",
                                     "no-tfo",
                                     "no-tls-tickets",
                                     "no-tlsv10",
                                     "no-tlsv11",
                                     "no-tlsv12",
                                     "no-tlsv13",
                                     "no-verifyhost",
                                     "non-stick",
                                     "send-proxy",
                                     "send-proxy-v2",
                                     "send-proxy-v2-ssl",
                                     "send-proxy-v2-ssl-cn",
                                     "ssl",
                                     "ssl-reuse",
                                     "stick",
                                     "tfo",
                                     "tls-tickets"};
constexpr std::array kServerWithArg = {"addr",
                                       "agent-addr",
                                       "agent-inter",
                                       "agent-port",
                                       "agent-send",
                                       "alpn",
                                       "ca-file",
                                       "check-alpn",
                                       "check-proto",
                                       "check-sni",
                                       "ciphers",
                                       "ciphersuites",
                                       "cookie",
                                       "crl-file",
                                       "crt",
                                       "downinter",
                                       "error-limit",
                                       "fall",
                                       "fastinter",
                                       "id",
                                       "init-addr",
                                       "inter",
                                       "log-proto",
                                       "max-reuse",
                                       "maxconn",
                                       "maxqueue",
                                       "minconn",
                                       "namespace",
                                       "npn",
                                       "observe",
                                       "on-error",
                                       "on-marked-down",
                                       "on-marked-up",
                                       "pool-low-conn",
                                       "pool-max-conn",
                                       "pool-purge-delay",
                                       "port",
                                       "proto",
                                       "proxy-v2-options",
                                       "redir",
                                       "resolve-net",
                                       "resolve-opts",
                                       "resolve-prefer",
                                       "resolvers",
                                       "rise",
                                       "slowstart",
                                       "sni",
                                       "socks4",
                                       "source",
                                       "ssl-max-ver",
                                       "ssl-min-ver",
                                       "tcp-ut",
                                       "track",
                                       "verify",
                                       "verifyhost",
                                       "weight",
                                       "ws"};
// Server keywords that only tune TLS of the check or pooling: ignored.
constexpr std::array kServerIgnored = {
    "check-sni",        "check-alpn",     "ssl-min-ver",  "ssl-max-ver",   "ciphers",
    "ciphersuites",     "no-sslv3",       "no-tlsv10",    "no-tlsv11",     "no-tlsv12",
    "no-tlsv13",        "force-sslv3",    "force-tlsv10", "force-tlsv11",  "force-tlsv12",
    "force-tlsv13",     "no-tls-tickets", "tls-tickets",  "pool-low-conn", "pool-max-conn",
    "pool-purge-delay", "max-reuse",      "tfo",          "no-tfo",        "cookie",
    "error-limit",      "observe",        "on-error",     "alpn",          "npn",
    "no-ssl-reuse",     "ssl-reuse",      "verifyhost",   "no-verifyhost", "crl-file",
    "tcp-ut",           "log-proto",      "ws",           "non-stick",     "stick",
    "allow-0rtt",       "no-agent-check", "no-ssl"};

constexpr std::array kBindFlags = {"accept-proxy",
                                   "allow-0rtt",
                                   "defer-accept",
                                   "force-sslv3",
                                   "force-tlsv10",
                                   "force-tlsv11",
                                   "force-tlsv12",
                                   "force-tlsv13",
                                   "generate-certificates",
                                   "no-ca-names",
                                   "no-sslv3",
                                   "no-tls-tickets",
                                   "no-tlsv10",
                                   "no-tlsv11",
                                   "no-tlsv12",
                                   "no-tlsv13",
                                   "prefer-client-ciphers",
                                   "quic-force-retry",
                                   "ssl",
                                   "strict-sni",
                                   "tfo",
                                   "transparent",
                                   "v4v6",
                                   "v6only"};
constexpr std::array kBindWithArg = {"accept-netscaler-cip",
                                     "alpn",
                                     "backlog",
                                     "ca-file",
                                     "ca-ignore-err",
                                     "ca-sign-file",
                                     "ca-sign-pass",
                                     "ca-verify-file",
                                     "ciphers",
                                     "ciphersuites",
                                     "crl-file",
                                     "crt",
                                     "crt-ignore-err",
                                     "crt-list",
                                     "curves",
                                     "ecdhe",
                                     "expose-fd",
                                     "gid",
                                     "group",
                                     "id",
                                     "interface",
                                     "level",
                                     "maxconn",
                                     "mode",
                                     "mss",
                                     "name",
                                     "namespace",
                                     "nice",
                                     "npn",
                                     "process",
                                     "proto",
                                     "quic-cc-algo",
                                     "severity-output",
                                     "shards",
                                     "ssl-max-ver",
                                     "ssl-min-ver",
                                     "tcp-ut",
                                     "thread",
                                     "tls-ticket-keys",
                                     "uid",
                                     "user",
                                     "verify"};
constexpr std::array kBindIgnored = {"backlog", "defer-accept", "tfo",    "name",   "id",
                                     "nice",    "process",      "thread", "shards", "maxconn",
                                     "tcp-ut",  "mss",          "v4v6",   "v6only"};

template <std::size_t N>
bool In(const std::array<const char*, N>& list, std::string_view word) {
  return std::any_of(list.begin(), list.end(), [&](const char* k) { return word == k; });
}

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// One tokenized line.
struct Line {
  int number = 0;
  std::vector<std::string> words;
};

enum class SectionKind { kNone, kGlobal, kDefaults, kFrontend, kBackend, kListen, kOther };

std::string_view SectionName(SectionKind k) {
  switch (k) {
    case SectionKind::kGlobal:
      return "global";
    case SectionKind::kDefaults:
      return "defaults";
    case SectionKind::kFrontend:
      return "frontend";
    case SectionKind::kBackend:
      return "backend";
    case SectionKind::kListen:
      return "listen";
    case SectionKind::kOther:
      return "other";
    case SectionKind::kNone:
      break;
  }
  return "none";
}

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

Result<std::int64_t> ParseInt(std::string_view s, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Error(Errc::kInvalidArgument, "'" + std::string(s) + "' is not an integer");
  }
  if (v < lo || v > hi) {
    return Error(Errc::kInvalidArgument, "'" + std::string(s) + "' is not within " +
                                             std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

class Reader {
 public:
  Reader(std::string_view file, const Limits& limits) : file_(file), limits_(limits) {
    defaults_ = ProxyDraft{};
    defaults_.kind = SectionKind::kDefaults;
  }

  ParseOutput Run(std::string_view text);

 private:
  void Diag(int line, Severity sev, std::string text) {
    if (out_.diagnostics.size() >= limits_.max_diagnostics) {
      return;
    }
    out_.diagnostics.push_back({SourceLocation{file_, line}, sev, std::move(text)});
  }

  bool Tokenize(std::string_view raw, int number, Line& line);
  void StartSection(const Line& line);
  void FinishProxy();
  void OnGlobal(const Line& line);
  void OnProxy(const Line& line);
  void OnOption(const Line& line, bool negated, std::size_t first);
  void OnTimeout(const Line& line);
  void OnBind(const Line& line);
  void OnServer(const Line& line, bool is_default_server);
  void OnHttpCheck(const Line& line);
  void OnStatsSocket(const Line& line);
  bool ParseServerAddress(const Line& line, std::string_view text, Server& server);
  // Applies `words[i...]` server keywords to `server`. Returns false on error.
  bool ApplyServerKeywords(const Line& line, std::size_t i, Server& server,
                           const std::string& label, bool& fastinter_set, bool& downinter_set);
  bool ParseHttpchkVersion(const Line& line, std::string_view version, HttpCheck& check);
  void Resolve();

  std::optional<Millis> TimeArg(const Line& line, std::size_t i, std::string_view what);

  std::string file_;
  Limits limits_;
  ParseOutput out_;
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

// haproxy's parse_line(): blanks separate words; '#' starts a comment; '\'
// escapes (\  \# \\ \' \" \r \n \t \xHH) outside single quotes; single
// quotes are literal; double quotes allow escapes. We also take the UTF-8
// non-breaking space as a blank (blog copy-pastes carry it; haproxy does not).
bool Reader::Tokenize(std::string_view raw, int number, Line& line) {
  line.number = number;
  line.words.clear();
  std::string word;
  bool in_word = false;
  char quote = 0;
  bool saw_nbsp = false;
  bool saw_env = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (quote == 0) {
      bool nbsp = static_cast<unsigned char>(c) == 0xC2 && i + 1 < raw.size() &&
                  static_cast<unsigned char>(raw[i + 1]) == 0xA0;
      if (IsBlank(c) || c == '\r' || nbsp) {
        if (nbsp) {
          ++i;
          saw_nbsp = true;
        }
        if (in_word) {
          line.words.push_back(std::move(word));
          word.clear();
          in_word = false;
        }
        continue;
      }
      if (c == '#') {
        break;
      }
    }
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == '"' && quote == '"') {
      quote = 0;
      continue;
    }
    if (c == '$' && quote == '"') {
      saw_env = true;
    }
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[++i];
      switch (n) {
        case 'r':
          word += '\r';
          break;
        case 'n':
          word += '\n';
          break;
        case 't':
          word += '\t';
          break;
        case 'x': {
          int v = 0;
          if (i + 2 < raw.size() &&
              std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16).ptr ==
                  raw.data() + i + 3) {
            word += static_cast<char>(v);
            i += 2;
          } else {
            Diag(number, Severity::kError, "truncated or invalid hexadecimal sequence");
            return false;
          }
          break;
        }
        default:
          word += n;
          break;
      }
      in_word = true;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (quote != 0) {
    Diag(number, Severity::kError,
         std::string("unmatched ") + (quote == '"' ? "double" : "single") + " quote");
    return false;
  }
  if (in_word) {
    line.words.push_back(std::move(word));
  }
  if (saw_nbsp) {
    if (nbsp_lines_++ == 0) {
      nbsp_first_line_ = number;
    }
  }
  if (saw_env) {
    Diag(number, Severity::kUnsupported,
         "environment variable expansion in double quotes is not performed; '$' kept literally");
  }
  if (line.words.size() > limits_.max_words) {
    Diag(number, Severity::kError,
         "too many words, truncating after word " + std::to_string(limits_.max_words));
    return false;
  }
  return true;
}

ParseOutput Reader::Run(std::string_view text) {
  if (text.size() > limits_.max_bytes) {
    Diag(0, Severity::kError,
         "file is larger than " + std::to_string(limits_.max_bytes) + " bytes");
    return std::move(out_);
  }
  int number = 0;
  std::size_t pos = 0;
  Line line;
  while (pos < text.size() && !stop_) {
    std::size_t eol = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++number;
    if (raw.size() > limits_.max_line_bytes) {
      Diag(number, Severity::kError,
           "line too long, limit is " + std::to_string(limits_.max_line_bytes) + " bytes");
      continue;
    }
    if (!Tokenize(raw, number, line) || line.words.empty()) {
      continue;
    }
    const std::string& kw = line.words[0];
    if (kw == "global" || kw == "defaults" || kw == "frontend" || kw == "backend" ||
        kw == "listen" || kw == "resolvers" || kw == "peers" || kw == "userlist" ||
        kw == "mailers" || kw == "program" || kw == "http-errors" || kw == "ring" ||
        kw == "cache" || kw == "fcgi-app" || kw == "crt-store") {
      StartSection(line);
      continue;
    }
    switch (section_) {
      case SectionKind::kNone:
        Diag(number, Severity::kError, "unknown keyword " + Quote(kw) + " out of section.");
        break;
      case SectionKind::kGlobal:
        OnGlobal(line);
        break;
      case SectionKind::kOther:
        ++other_section_lines_;
        break;
      default:
        OnProxy(line);
        break;
    }
  }
  StartSection(Line{});  // closes the last section
  if (nbsp_lines_ > 0) {
    Diag(nbsp_first_line_, Severity::kWarning,
         "non-breaking spaces (U+00A0) on " + std::to_string(nbsp_lines_) +
             " line(s) from here were read as blanks; haproxy itself rejects such lines "
             "(\"unknown keyword\")");
  }
  Resolve();
  // Report in file order; same-line diagnostics keep their emission order.
  std::stable_sort(
      out_.diagnostics.begin(), out_.diagnostics.end(),
      [](const Diagnostic& a, const Diagnostic& b) { return a.where.line < b.where.line; });
  return std::move(out_);
}

void Reader::StartSection(const Line& line) {
  // Close the section in progress.
  if (section_ == SectionKind::kOther && other_section_line_ > 0) {
    Diag(other_section_line_, Severity::kUnsupported,
         "section " + Quote(other_section_name_) + " is not supported; its " +
             std::to_string(other_section_lines_) + " line(s) were not read");
  }
  if (current_) {
    FinishProxy();
  }
  section_ = SectionKind::kNone;
  if (line.words.empty()) {
    return;
  }
  const std::string& kw = line.words[0];
  if (kw == "global") {
    section_ = SectionKind::kGlobal;
    if (line.words.size() > 1) {
      Diag(line.number, Severity::kError, "'global' section takes no argument");
    }
    return;
  }
  SectionKind kind = kw == "defaults"   ? SectionKind::kDefaults
                     : kw == "frontend" ? SectionKind::kFrontend
                     : kw == "backend"  ? SectionKind::kBackend
                     : kw == "listen"   ? SectionKind::kListen
                                        : SectionKind::kOther;
  if (kind == SectionKind::kOther) {
    section_ = kind;
    other_section_line_ = line.number;
    other_section_lines_ = 0;
    other_section_name_ = kw;
    return;
  }
  section_ = kind;
  if (proxies_.size() >= limits_.max_proxies) {
    Diag(line.number, Severity::kError,
         "too many proxies, limit is " + std::to_string(limits_.max_proxies));
    stop_ = true;
    return;
  }
  std::size_t i = 1;
  std::string name;
  if (i < line.words.size() && line.words[i] != "from") {
    name = line.words[i++];
  }
  if (kind != SectionKind::kDefaults && name.empty()) {
    Diag(line.number, Severity::kError, Quote(kw) + " expects <name> as an argument");
    section_ = SectionKind::kOther;
    other_section_line_ = 0;
    return;
  }
  if (!name.empty()) {
    bool valid = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
             c == ':';
    });
    if (!valid) {
      Diag(line.number, Severity::kError,
           "character in " + Quote(name) + " is not permitted in " + std::string(kw) +
               " name (letters, digits, '-', '_', '.', ':')");
    }
  }
  const ProxyDraft* base = &defaults_;
  if (i < line.words.size() && line.words[i] == "from") {
    if (i + 1 >= line.words.size()) {
      Diag(line.number, Severity::kError, "'from' expects the name of a defaults section");
    } else {
      auto it = named_defaults_.find(line.words[i + 1]);
      if (it == named_defaults_.end()) {
        Diag(line.number, Severity::kError,
             "defaults section " + Quote(line.words[i + 1]) + " not found for " + std::string(kw) +
                 " " + Quote(name));
      } else {
        base = &it->second;
      }
    }
    i += 2;
  } else if (kind == SectionKind::kListen && i < line.words.size()) {
    // Old syntax: `listen name addr:port`.
    Diag(line.number, Severity::kUnsupported,
         "address on the 'listen' line is not read; use a 'bind' line");
    ++i;
  }
  if (i < line.words.size()) {
    Diag(line.number, Severity::kError, "unexpected argument " + Quote(line.words[i]));
  }
  ProxyDraft draft;
  if (kind == SectionKind::kDefaults) {
    // A defaults section resets everything to the documented values, unless
    // it names another defaults section to start from.
    if (base != &defaults_) {
      draft = *base;
    }
  } else {
    draft = *base;
    draft.binds.clear();
    draft.servers.clear();
    draft.use_backends.clear();
  }
  draft.kind = kind;
  draft.name = name;
  draft.where = SourceLocation{file_, line.number};
  current_ = std::move(draft);
}

void Reader::FinishProxy() {
  ProxyDraft draft = std::move(*current_);
  current_.reset();
  if (draft.IsDefaults()) {
    if (!draft.name.empty()) {
      named_defaults_[draft.name] = draft;
    }
    defaults_ = std::move(draft);
    return;
  }
  if (draft.http_mode_at && !draft.monitor_uri.empty() && draft.kind == SectionKind::kFrontend &&
      draft.default_backend.empty() && draft.use_backends.empty()) {
    Diag(draft.http_mode_at->line, Severity::kWarning,
         "'mode http' in frontend " + Quote(draft.name) +
             ": vigie answers its monitor-uri only (it balances TCP)");
  } else if (draft.http_mode_at) {
    Diag(draft.http_mode_at->line, Severity::kUnsupported,
         "'mode http' in " + std::string(SectionName(draft.kind)) + " " + Quote(draft.name) +
             " is not supported; vigie balances TCP only");
  }
  proxies_.push_back(std::move(draft));
}

std::optional<Millis> Reader::TimeArg(const Line& line, std::size_t i, std::string_view what) {
  if (i >= line.words.size()) {
    Diag(line.number, Severity::kError,
         Quote(what) + " expects an integer value (in milliseconds)");
    return std::nullopt;
  }
  auto t = ParseTime(line.words[i]);
  if (!t) {
    Diag(line.number, Severity::kError, t.error().context() + " to " + Quote(what));
    return std::nullopt;
  }
  return *t;
}

void Reader::OnGlobal(const Line& line) {
  const std::string& kw = line.words[0];
  Global& g = out_.config.global;
  if (kw == "maxconn" || kw == "nbthread") {
    if (line.words.size() < 2) {
      Diag(line.number, Severity::kError, Quote(kw) + " expects an integer argument");
      return;
    }
    auto v = ParseInt(line.words[1], 1, kw == "nbthread" ? 4096 : 100000000);
    if (!v) {
      Diag(line.number, Severity::kError, Quote(kw) + ": " + v.error().context());
      return;
    }
    (kw == "maxconn" ? g.maxconn : g.nbthread) = static_cast<int>(*v);
    return;
  }
  if (kw == "stats") {
    std::string sub = line.words.size() > 1 ? line.words[1] : "";
    if (sub == "socket") {
      OnStatsSocket(line);
    } else if (sub == "timeout") {
      if (auto t = TimeArg(line, 2, "stats timeout")) {
        g.stats_timeout = *t;
      }
    } else if (sub == "maxconn" || sub == "bind-process") {
      Diag(line.number, Severity::kIgnored, "'stats " + sub + "' does not apply to vigie");
    } else {
      Diag(line.number, Severity::kError,
           "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got " +
               Quote(sub) + ")");
    }
    return;
  }
  if (kw == "nosplice") {
    if (line.words.size() != 1) {
      Diag(line.number, Severity::kError, "'nosplice' takes no argument");
      return;
    }
    g.nosplice = true;
    return;
  }
  if (kw == "tune.maxaccept") {
    auto v = line.words.size() == 2 ? ParseInt(line.words[1], -1, 1000000)
                                    : Result<std::int64_t>(Error(Errc::kInvalidArgument, ""));
    if (!v || *v == 0) {
      Diag(line.number, Severity::kError,
           Quote(kw) + " expects a positive number, or -1 for no limit");
      return;
    }
    g.maxaccept = static_cast<int>(*v);
    return;
  }
  if (kw == "tune.listener.multi-queue") {
    if (line.words.size() != 2 || (line.words[1] != "on" && line.words[1] != "off")) {
      Diag(line.number, Severity::kError, Quote(kw) + " expects 'on' or 'off'");
      return;
    }
    g.multi_queue = line.words[1] == "on";
    return;
  }
  if (In(kGlobalIgnored, kw) || kw.starts_with("tune.")) {
    Diag(line.number, Severity::kIgnored, Quote(kw) + " does not apply to vigie");
    return;
  }
  if (In(kGlobalKnown, kw) || kw.starts_with("wurfl-") || kw.starts_with("deviceatlas-") ||
      kw.starts_with("51degrees-")) {
    Diag(line.number, Severity::kUnsupported, "global " + Quote(kw) + " is not supported");
    return;
  }
  Diag(line.number, Severity::kError, "unknown keyword " + Quote(kw) + " in 'global' section");
}

void Reader::OnStatsSocket(const Line& line) {
  if (line.words.size() < 3) {
    Diag(line.number, Severity::kError, "'stats socket' requires a path or an address");
    return;
  }
  StatsSocket s;
  s.where = SourceLocation{file_, line.number};
  s.path = line.words[2];
  if (s.path.find(':') != std::string::npos && s.path.front() != '/') {
    Diag(line.number, Severity::kUnsupported,
         "'stats socket' on a TCP address is not supported; only UNIX socket paths");
    return;
  }
  for (std::size_t i = 3; i < line.words.size(); ++i) {
    const std::string& k = line.words[i];
    bool has_arg = i + 1 < line.words.size();
    if (k == "mode" && has_arg) {
      std::uint32_t mode = 0;
      const std::string& v = line.words[++i];
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), mode, 8);
      if (ec != std::errc() || p != v.data() + v.size()) {
        Diag(line.number, Severity::kError, "'mode' expects an octal value, got " + Quote(v));
      } else {
        s.mode = mode;
      }
    } else if (k == "level" && has_arg) {
      const std::string& v = line.words[++i];
      if (v != "user" && v != "operator" && v != "admin") {
        Diag(line.number, Severity::kError,
             "'level' only supports 'user', 'operator', and 'admin' (got " + Quote(v) + ")");
      } else {
        s.level = v;
      }
    } else if (k == "expose-fd" && has_arg) {
      if (line.words[++i] != "listeners") {
        Diag(line.number, Severity::kError, "'expose-fd' only supports 'listeners'");
      } else {
        s.expose_fd_listeners = true;
      }
    } else if ((k == "user" || k == "group" || k == "uid" || k == "gid") && has_arg) {
      ++i;
      Diag(line.number, Severity::kUnsupported,
           "'stats socket' option " + Quote(k) + " is not supported; set ownership outside vigie");
    } else if (In(kBindWithArg, k) && has_arg) {
      ++i;
      Diag(line.number, Severity::kIgnored, "'stats socket' option " + Quote(k) + " is ignored");
    } else if (In(kBindFlags, k)) {
      Diag(line.number, Severity::kIgnored, "'stats socket' option " + Quote(k) + " is ignored");
    } else {
      Diag(line.number, Severity::kError, "'stats socket' unknown keyword " + Quote(k));
    }
  }
  out_.config.global.stats_sockets.push_back(std::move(s));
}

void Reader::OnProxy(const Line& line) {
  if (!current_) {
    return;  // the section header was refused
  }
  ProxyDraft& px = *current_;
  const std::string& kw = line.words[0];
  const std::string where =
      std::string(SectionName(px.kind)) + (px.name.empty() ? "" : " " + Quote(px.name));
  auto need_args = [&](std::size_t n, std::string_view usage) {
    if (line.words.size() < n + 1) {
      Diag(line.number, Severity::kError, Quote(kw) + " expects " + std::string(usage));
      return false;
    }
    return true;
  };
  auto frontend_only = [&]() {
    if (px.kind == SectionKind::kBackend) {
      Diag(line.number, Severity::kIgnored,
           Quote(kw) + " ignored because backend " + Quote(px.name) +
               " has no frontend capability.");
      return false;
    }
    return true;
  };
  auto backend_only = [&]() {
    if (px.kind == SectionKind::kFrontend) {
      Diag(line.number, Severity::kIgnored,
           Quote(kw) + " ignored because frontend " + Quote(px.name) +
               " has no backend capability.");
      return false;
    }
    return true;
  };

  if (kw == "mode") {
    if (!need_args(1, "one of 'tcp' or 'http'"))
      return;
    if (line.words[1] == "tcp") {
      px.http_mode_at.reset();
    } else if (line.words[1] == "http") {
      px.http_mode_at = SourceLocation{file_, line.number};
    } else {
      Diag(line.number, Severity::kError, "unknown proxy mode " + Quote(line.words[1]) + ".");
    }
    return;
  }
  if (kw == "bind") {
    if (px.IsDefaults()) {
      Diag(line.number, Severity::kError, "'bind' not allowed in 'defaults' section");
      return;
    }
    if (!frontend_only())
      return;
    OnBind(line);
    return;
  }
  if (kw == "server" || kw == "default-server") {
    if (kw == "server" && px.IsDefaults()) {
      Diag(line.number, Severity::kError, "'server' not allowed in 'defaults' section");
      return;
    }
    if (px.kind == SectionKind::kFrontend) {
      Diag(line.number, Severity::kError,
           Quote(kw) + " not allowed because frontend " + Quote(px.name) +
               " has no backend capability.");
      return;
    }
    OnServer(line, kw == "default-server");
    return;
  }
  if (kw == "balance") {
    if (!need_args(1, "an algorithm"))
      return;
    if (!backend_only())
      return;
    const std::string& a = line.words[1];
    if (a == "roundrobin")
      px.balance = BalanceAlgorithm::kRoundRobin;
    else if (a == "static-rr")
      px.balance = BalanceAlgorithm::kStaticRr;
    else if (a == "leastconn")
      px.balance = BalanceAlgorithm::kLeastConn;
    else if (a == "source")
      px.balance = BalanceAlgorithm::kSource;
    else if (a == "first")
      px.balance = BalanceAlgorithm::kFirst;
    else if (a == "uri" || a == "url_param" || a == "random" || a.starts_with("random(") ||
             a.starts_with("hdr(") || a.starts_with("rdp-cookie") || a == "hash") {
      Diag(line.number, Severity::kUnsupported,
           "balance " + Quote(a) +
               " is not supported (roundrobin, static-rr, leastconn, "
               "source, first are)");
      return;
    } else {
      Diag(line.number, Severity::kError,
           "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'first', "
           "'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.");
      return;
    }
    if (line.words.size() > 2) {
      Diag(line.number, Severity::kUnsupported,
           "balance arguments after " + Quote(a) + " are not read");
    }
    return;
  }
  if (kw == "hash-type") {
    if (!need_args(1, "'map-based' or 'consistent'"))
      return;
    if (line.words[1] == "consistent")
      return;
    if (line.words[1] == "map-based") {
      Diag(line.number, Severity::kWarning,
           "'hash-type map-based': vigie always hashes consistently (only a failed server's "
           "clients move)");
      return;
    }
    Diag(line.number, Severity::kUnsupported,
         "hash-type " + Quote(line.words[1]) + " is not supported");
    return;
  }
  if (kw == "option" || (kw == "no" && line.words.size() > 1 && line.words[1] == "option")) {
    bool negated = kw == "no";
    std::size_t first = negated ? 2 : 1;
    if (line.words.size() <= first) {
      Diag(line.number, Severity::kError, "'option' expects an option name");
      return;
    }
    OnOption(line, negated, first);
    return;
  }
  if (kw == "timeout") {
    OnTimeout(line);
    return;
  }
  if (kw == "maxconn" || kw == "retries" || kw == "fullconn") {
    if (!need_args(1, "an integer argument"))
      return;
    if (kw == "maxconn" && !frontend_only())
      return;
    if (kw != "maxconn" && !backend_only())
      return;
    auto v = ParseInt(line.words[1], 0, 100000000);
    if (!v) {
      Diag(line.number, Severity::kError, Quote(kw) + ": " + v.error().context());
      return;
    }
    (kw == "maxconn"   ? px.maxconn
     : kw == "retries" ? px.retries
                       : px.fullconn) = static_cast<int>(*v);
    return;
  }
  if (kw == "monitor-uri") {
    if (!need_args(1, "a URI"))
      return;
    if (!frontend_only())
      return;
    px.monitor_uri = line.words[1];
    return;
  }
  if (kw == "default_backend") {
    if (!need_args(1, "a backend name"))
      return;
    if (!frontend_only())
      return;
    px.default_backend = line.words[1];
    return;
  }
  if (kw == "use_backend") {
    if (!need_args(1, "a backend name"))
      return;
    if (px.IsDefaults()) {
      Diag(line.number, Severity::kError, "'use_backend' not allowed in 'defaults' section");
      return;
    }
    if (!frontend_only())
      return;
    if (line.words.size() > 2) {
      Diag(line.number, Severity::kUnsupported,
           "'use_backend' with a condition is not supported (" + line.words[2] +
               " ...); the rule is not used");
      return;
    }
    px.use_backends.push_back(line.words[1]);
    return;
  }
  if (kw == "http-check") {
    if (!backend_only())
      return;
    OnHttpCheck(line);
    return;
  }
  if (In(kProxyIgnored, kw)) {
    Diag(line.number, Severity::kIgnored, Quote(kw) + " does not apply to vigie");
    return;
  }
  if (In(kProxyUnsupported, kw)) {
    Diag(line.number, Severity::kUnsupported, Quote(kw) + " in " + where + " is not supported");
    return;
  }
  Diag(line.number, Severity::kError,
       "unknown keyword " + Quote(kw) + " in " + Quote(SectionName(px.kind)) + " section");
}

void Reader::OnOption(const Line& line, bool negated, std::size_t first) {
  ProxyDraft& px = *current_;
  const std::string& name = line.words[first];
  bool value = !negated;
  auto no_args = [&]() {
    if (line.words.size() > first + 1 && name != "httpchk" && name != "tcplog") {
      Diag(line.number, Severity::kError, "'option " + name + "' cannot take arguments");
      return false;
    }
    return true;
  };
  if (name == "log-health-checks") {
    if (no_args())
      px.log_health_checks = value;
  } else if (name == "tcplog") {
    if (line.words.size() > first + 1) {
      Diag(line.number, Severity::kUnsupported,
           "'option tcplog " + line.words[first + 1] +
               "' variant is not supported; plain tcplog used");
    }
    px.tcplog = value;
  } else if (name == "dontlognull") {
    if (no_args())
      px.dontlognull = value;
  } else if (name == "tcpka") {
    if (no_args())
      px.clitcpka = px.srvtcpka = value;
  } else if (name == "clitcpka") {
    if (no_args())
      px.clitcpka = value;
  } else if (name == "srvtcpka") {
    if (no_args())
      px.srvtcpka = value;
  } else if (name == "splice-auto") {
    // haproxy splices when it guesses it pays; vigie always does then.
    if (no_args())
      px.splice_request = px.splice_response = value;
  } else if (name == "splice-request") {
    if (no_args())
      px.splice_request = value;
  } else if (name == "splice-response") {
    if (no_args())
      px.splice_response = value;
  } else if (name == "allbackups") {
    if (no_args())
      px.allbackups = value;
  } else if (name == "redispatch") {
    if (line.words.size() > first + 1) {
      Diag(line.number, Severity::kUnsupported, "'option redispatch <interval>' is not supported");
    }
    px.redispatch = value;
  } else if (name == "httpchk") {
    if (negated) {
      px.httpchk = false;
      return;
    }
    px.httpchk = true;
    std::size_t n = line.words.size() - first - 1;
    HttpCheck& hc = px.http_check;
    hc.method = "OPTIONS";
    hc.uri = "/";
    hc.version = "HTTP/1.0";
    hc.headers.clear();
    if (n == 1) {
      hc.uri = line.words[first + 1];
    } else if (n >= 2) {
      hc.method = line.words[first + 1];
      hc.uri = line.words[first + 2];
      if (n >= 3) {
        ParseHttpchkVersion(line, line.words[first + 3], hc);
      }
      if (n > 3) {
        Diag(line.number, Severity::kError, "'option httpchk' takes at most 3 arguments");
      }
    }
  } else if (In(kOptionIgnored, name)) {
    Diag(line.number, Severity::kIgnored, "'option " + name + "' does not apply to vigie");
  } else if (In(kOptionUnsupported, name)) {
    Diag(line.number, Severity::kUnsupported, "'option " + name + "' is not supported");
  } else {
    Diag(line.number, Severity::kError, "unknown option " + Quote(name) + ".");
  }
}

bool Reader::ParseHttpchkVersion(const Line& line, std::string_view version, HttpCheck& hc) {
  // Legacy form: "HTTP/1.1\r\nHost:\ example" hides headers after the version.
  std::size_t crlf = version.find("\r\n");
  hc.version = std::string(version.substr(0, crlf));
  while (crlf != std::string_view::npos) {
    version = version.substr(crlf + 2);
    crlf = version.find("\r\n");
    std::string_view h = version.substr(0, crlf);
    if (h.empty())
      continue;
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos) {
      Diag(line.number, Severity::kError, "'option httpchk': header without ':' in version string");
      return false;
    }
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && IsBlank(value.front()))
      value.remove_prefix(1);
    hc.headers.emplace_back(std::string(h.substr(0, colon)), std::string(value));
  }
  if (!hc.headers.empty()) {
    Diag(line.number, Severity::kWarning,
         "'option httpchk' : hiding headers or body at the end of the version string is "
         "deprecated. Please, consider to use 'http-check send' directive instead.");
  }
  return true;
}

void Reader::OnHttpCheck(const Line& line) {
  ProxyDraft& px = *current_;
  if (line.words.size() < 2) {
    Diag(line.number, Severity::kError, "'http-check' expects an action");
    return;
  }
  const std::string& action = line.words[1];
  HttpCheck& hc = px.http_check;
  if (action == "send") {
    for (std::size_t i = 2; i < line.words.size(); ++i) {
      const std::string& k = line.words[i];
      if (i + 1 >= line.words.size()) {
        Diag(line.number, Severity::kError,
             "'http-check send' : " + Quote(k) + " expects an argument");
        return;
      }
      if (k == "meth") {
        hc.method = line.words[++i];
      } else if (k == "uri") {
        hc.uri = line.words[++i];
      } else if (k == "ver") {
        hc.version = line.words[++i];
      } else if (k == "hdr") {
        if (i + 2 >= line.words.size()) {
          Diag(line.number, Severity::kError,
               "'http-check send' : 'hdr' expects <name> and <value>");
          return;
        }
        hc.headers.emplace_back(line.words[i + 1], line.words[i + 2]);
        i += 2;
      } else if (k == "body" || k == "uri-lf" || k == "body-lf") {
        ++i;
        Diag(line.number, Severity::kUnsupported, "'http-check send " + k + "' is not supported");
      } else {
        Diag(line.number, Severity::kError,
             "'http-check send' : unknown argument " + Quote(k) +
                 " (expects 'meth', 'uri', 'ver', 'hdr' or 'body')");
        return;
      }
    }
    return;
  }
  if (action == "expect") {
    std::size_t i = 2;
    if (i < line.words.size() && line.words[i] == "!") {
      Diag(line.number, Severity::kUnsupported, "negated 'http-check expect' is not supported");
      return;
    }
    if (i + 1 >= line.words.size()) {
      Diag(line.number, Severity::kError, "'http-check expect' expects <match> <pattern>");
      return;
    }
    if (line.words[i] != "status") {
      Diag(line.number, Severity::kUnsupported,
           "'http-check expect " + line.words[i] + "' is not supported (only 'status')");
      return;
    }
    const std::string& pattern = line.words[i + 1];
    std::vector<std::pair<int, int>> ranges;
    std::string_view rest = pattern;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      std::size_t dash = item.find('-');
      auto lo = ParseInt(item.substr(0, dash), 100, 999);
      auto hi = dash == std::string_view::npos ? lo : ParseInt(item.substr(dash + 1), 100, 999);
      if (!lo || !hi || *hi < *lo) {
        Diag(line.number, Severity::kError,
             "'http-check expect status' : invalid status code or range " + Quote(item));
        return;
      }
      ranges.emplace_back(static_cast<int>(*lo), static_cast<int>(*hi));
    }
    if (!hc.expect_status.empty()) {
      Diag(line.number, Severity::kUnsupported,
           "several 'http-check expect' rules are not supported; the last one is used");
    }
    hc.expect_status = std::move(ranges);
    hc.expect_text = pattern;
    return;
  }
  if (action == "disable-on-404" || action == "send-state" || action == "connect" ||
      action == "comment" || action == "set-var" || action == "unset-var") {
    Diag(line.number, Severity::kUnsupported, "'http-check " + action + "' is not supported");
    return;
  }
  Diag(line.number, Severity::kError, "'http-check' : unknown action " + Quote(action));
}

void Reader::OnTimeout(const Line& line) {
  ProxyDraft& px = *current_;
  if (line.words.size() < 2) {
    Diag(line.number, Severity::kError, "'timeout' expects a type and a value");
    return;
  }
  const std::string& what = line.words[1];
  std::string label = "timeout " + what;
  std::optional<Millis>* slot = nullptr;
  bool frontend_side = false;
  if (what == "connect")
    slot = &px.timeouts.connect;
  else if (what == "client") {
    slot = &px.timeouts.client;
    frontend_side = true;
  } else if (what == "server")
    slot = &px.timeouts.server;
  else if (what == "tunnel")
    slot = &px.timeouts.tunnel;
  else if (what == "client-fin") {
    slot = &px.timeouts.client_fin;
    frontend_side = true;
  } else if (what == "server-fin")
    slot = &px.timeouts.server_fin;
  else if (what == "queue")
    slot = &px.timeouts.queue;
  else if (what == "check")
    slot = &px.timeouts.check;
  else if (what == "http-request" || what == "http-keep-alive") {
    // Kept for monitor-uri frontends; every other use is HTTP proxying.
    if (auto t = TimeArg(line, 2, label)) {
      (what == "http-request" ? px.timeouts.http_request : px.timeouts.http_keep_alive) = *t;
      Diag(line.number, Severity::kIgnored,
           Quote(label) + " only applies to HTTP mode (in vigie: monitor-uri frontends)");
    }
    return;
  } else if (what == "tarpit") {
    if (TimeArg(line, 2, label)) {
      Diag(line.number, Severity::kIgnored, Quote(label) + " only applies to HTTP mode");
    }
    return;
  } else {
    Diag(line.number, Severity::kError,
         "'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', "
         "'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got " +
             Quote(what) + ")");
    return;
  }
  auto t = TimeArg(line, 2, label);
  if (!t)
    return;
  if (frontend_side && px.kind == SectionKind::kBackend) {
    Diag(line.number, Severity::kIgnored,
         Quote(label) + " will be ignored because backend " + Quote(px.name) +
             " has no frontend capability");
    return;
  }
  if (!frontend_side && px.kind == SectionKind::kFrontend) {
    Diag(line.number, Severity::kIgnored,
         Quote(label) + " will be ignored because frontend " + Quote(px.name) +
             " has no backend capability");
    return;
  }
  *slot = *t;
}

bool IsHostName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

void Reader::OnBind(const Line& line) {
  ProxyDraft& px = *current_;
  if (line.words.size() < 2) {
    Diag(line.number, Severity::kError,
         "'bind' expects {<path>|[addr1]:port1[-end1]}{,...} [param*] as arguments.");
    return;
  }
  std::vector<Bind> binds;
  std::string_view list = line.words[1];
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    Bind b;
    b.where = SourceLocation{file_, line.number};
    if (item.starts_with("ipv4@"))
      item.remove_prefix(5);
    else if (item.starts_with("ipv6@"))
      item.remove_prefix(5);
    if (item.starts_with("/") || item.find('@') != std::string_view::npos) {
      Diag(line.number, Severity::kUnsupported,
           "'bind' on " + Quote(item) + " is not supported; only IPv4/IPv6 TCP addresses");
      continue;
    }
    auto split = SplitHostAndPort(item);
    if (!split || !split->has_port) {
      Diag(line.number, Severity::kError, "'bind' : missing port specification in " + Quote(item));
      continue;
    }
    std::string_view host = split->host;
    std::string_view port = split->port;
    if (host == "*" || host.empty()) {
      b.host.clear();
    } else if (auto ip = IpAddress::Parse(host)) {
      b.host = std::string(host);
      b.ipv6 = ip->is_v6();
    } else {
      Diag(line.number, Severity::kError,
           "'bind' : invalid address " + Quote(host) + " in " + Quote(item));
      continue;
    }
    std::size_t dash = port.find('-');
    auto p1 = ParseInt(port.substr(0, dash), 1, 65535);
    auto p2 = dash == std::string_view::npos ? p1 : ParseInt(port.substr(dash + 1), 1, 65535);
    if (!p1 || !p2 || *p2 < *p1) {
      Diag(line.number, Severity::kError, "'bind' : invalid port range " + Quote(port));
      continue;
    }
    b.port_first = static_cast<std::uint16_t>(*p1);
    b.port_last = static_cast<std::uint16_t>(*p2);
    binds.push_back(std::move(b));
  }
  bool accept_proxy = false;
  for (std::size_t i = 2; i < line.words.size(); ++i) {
    const std::string& k = line.words[i];
    if (k == "accept-proxy") {
      accept_proxy = true;
    } else if (In(kBindIgnored, k)) {
      if (In(kBindWithArg, k))
        ++i;
      Diag(line.number, Severity::kIgnored,
           "'bind' option " + Quote(k) + " does not apply to vigie");
    } else if (In(kBindFlags, k)) {
      Diag(line.number, Severity::kUnsupported, "'bind' option " + Quote(k) + " is not supported");
    } else if (In(kBindWithArg, k)) {
      if (i + 1 >= line.words.size()) {
        Diag(line.number, Severity::kError, "'bind' : " + Quote(k) + " expects an argument");
        return;
      }
      ++i;
      Diag(line.number, Severity::kUnsupported, "'bind' option " + Quote(k) + " is not supported");
    } else {
      Diag(line.number, Severity::kError, "'bind' : unknown keyword " + Quote(k));
    }
  }
  for (Bind& b : binds) {
    b.accept_proxy = accept_proxy;
    px.binds.push_back(std::move(b));
  }
}

bool Reader::ParseServerAddress(const Line& line, std::string_view text, Server& server) {
  auto split = SplitHostAndPort(text);
  if (!split) {
    Diag(line.number, Severity::kError, "invalid address: " + Quote(text));
    return false;
  }
  std::string_view host = split->host;
  std::string_view port = split->port;
  bool has_port = split->has_port;
  if (IpAddress::Parse(host)) {
    server.host = std::string(host);
  } else if (IsHostName(host)) {
    server.host = std::string(host);
    server.host_is_name = true;
  } else {
    Diag(line.number, Severity::kError, "invalid address: " + Quote(text));
    return false;
  }
  if (!has_port || port.empty()) {
    server.port = 0;
    server.port_from_client = true;
    return true;
  }
  if (port.front() == '+' || port.front() == '-') {
    Diag(line.number, Severity::kUnsupported,
         "server port offsets (" + Quote(port) + ") are not supported");
    return false;
  }
  auto p = ParseInt(port, 1, 65535);
  if (!p) {
    Diag(line.number, Severity::kError, "invalid port " + Quote(port));
    return false;
  }
  server.port = static_cast<std::uint16_t>(*p);
  return true;
}

bool Reader::ApplyServerKeywords(const Line& line, std::size_t i, Server& s,
                                 const std::string& label, bool& fastinter_set,
                                 bool& downinter_set) {
  bool ok = true;
  auto err = [&](std::string text) {
    Diag(line.number, Severity::kError, label + " : " + std::move(text));
    ok = false;
  };
  for (; i < line.words.size(); ++i) {
    const std::string& k = line.words[i];
    bool takes_arg = In(kServerWithArg, k);
    if (!takes_arg && !In(kServerFlags, k)) {
      err("unknown keyword " + Quote(k));
      continue;
    }
    std::string arg;
    if (takes_arg) {
      if (i + 1 >= line.words.size()) {
        err(Quote(k) + " expects an argument");
        return false;
      }
      arg = line.words[++i];
    }
    auto time_arg = [&](Millis& out, bool nonzero) {
      auto t = ParseTime(arg);
      if (!t) {
        err(t.error().context() + " to " + Quote(k));
      } else if (nonzero && t->count() <= 0) {
        err("invalid value " + arg + " for argument " + Quote(k) + " of server " + s.name + ".");
      } else {
        out = *t;
      }
    };
    auto int_arg = [&](int& out, std::int64_t lo, std::int64_t hi, std::string bad) {
      auto v = ParseInt(arg, lo, hi);
      if (!v) {
        err(bad.empty() ? Quote(k) + ": " + v.error().context() : std::move(bad));
      } else {
        out = static_cast<int>(*v);
      }
    };
    if (k == "check")
      s.check.enabled = true;
    else if (k == "no-check")
      s.check.enabled = false;
    else if (k == "check-ssl")
      s.check.ssl = true;
    else if (k == "no-check-ssl")
      s.check.ssl = false;
    else if (k == "backup")
      s.backup = true;
    else if (k == "no-backup")
      s.backup = false;
    else if (k == "disabled")
      s.disabled = true;
    else if (k == "enabled")
      s.disabled = false;
    else if (k == "send-proxy")
      s.send_proxy = ProxyProtocolVersion::kV1;
    else if (k == "send-proxy-v2")
      s.send_proxy = ProxyProtocolVersion::kV2;
    else if (k == "no-send-proxy" || k == "no-send-proxy-v2")
      s.send_proxy = ProxyProtocolVersion::kNone;
    else if (k == "verify") {
      if (arg == "none")
        s.check.verify_none = true;
      else if (arg == "required")
        s.check.verify_none = false;
      else
        err("'verify' expects 'none' or 'required'");
    } else if (k == "ca-file")
      s.check.ca_file = arg;
    else if (k == "weight") {
      int_arg(s.weight, 0, 256,
              "weight of server " + s.name + " is not within 0 and 256 (" + arg + ").");
    } else if (k == "maxconn")
      int_arg(s.maxconn, 0, 100000000, "");
    else if (k == "maxqueue")
      int_arg(s.maxqueue, 0, 100000000, "");
    else if (k == "rise")
      int_arg(s.check.rise, 1, 1000000, "'rise' has to be > 0.");
    else if (k == "fall")
      int_arg(s.check.fall, 1, 1000000, "'fall' has to be > 0.");
    else if (k == "inter")
      time_arg(s.check.inter, true);
    else if (k == "fastinter") {
      time_arg(s.check.fastinter, true);
      fastinter_set = true;
    } else if (k == "downinter") {
      time_arg(s.check.downinter, true);
      downinter_set = true;
    } else if (k == "slowstart")
      time_arg(s.slowstart, false);
    else if (k == "port") {
      auto v = ParseInt(arg, 1, 65535);
      if (!v)
        err("invalid check port " + Quote(arg));
      else
        s.check.port = static_cast<std::uint16_t>(*v);
    } else if (k == "id") {
      int id = 0;
      int_arg(id, 1, 2147483647, "custom id has to be > 0.");
      if (id > 0)
        s.id = id;
    } else if (k == "on-marked-down") {
      if (arg == "shutdown-sessions")
        s.shutdown_sessions_on_down = true;
      else
        err("'on-marked-down' expects 'shutdown-sessions' but got " + Quote(arg));
    } else if (In(kServerIgnored, k)) {
      Diag(line.number, Severity::kIgnored, label + " : " + Quote(k) + " does not apply to vigie");
    } else {
      Diag(line.number, Severity::kUnsupported, label + " : " + Quote(k) + " is not supported");
    }
  }
  return ok;
}

void Reader::OnServer(const Line& line, bool is_default_server) {
  ProxyDraft& px = *current_;
  if (is_default_server) {
    ApplyServerKeywords(line, 1, px.default_server, "'default-server'", px.def_fastinter_set,
                        px.def_downinter_set);
    return;
  }
  if (line.words.size() < 3) {
    Diag(line.number, Severity::kError,
         "'server' expects <name> and <addr>[:<port>] as arguments.");
    return;
  }
  if (px.servers.size() >= limits_.max_servers) {
    Diag(line.number, Severity::kError,
         "too many servers in " + Quote(px.name) + ", limit is " +
             std::to_string(limits_.max_servers));
    return;
  }
  Server s = px.default_server;
  s.where = SourceLocation{file_, line.number};
  s.name = line.words[1];
  s.id = 0;
  std::string label = "'server " + px.name + "/" + s.name + "'";
  if (!ParseServerAddress(line, line.words[2], s))
    return;
  // fastinter and downinter follow inter unless set on this line or on a
  // default-server line before it (haproxy keeps 0 = "use inter").
  bool fastinter_set = px.def_fastinter_set;
  bool downinter_set = px.def_downinter_set;
  if (!ApplyServerKeywords(line, 3, s, label, fastinter_set, downinter_set))
    return;
  if (!fastinter_set)
    s.check.fastinter = s.check.inter;
  if (!downinter_set)
    s.check.downinter = s.check.inter;
  for (const Server& other : px.servers) {
    if (other.name == s.name) {
      Diag(line.number, Severity::kError,
           "backend " + Quote(px.name) + " has the same server name " + Quote(s.name) +
               " declared at " + other.where.file + ":" + std::to_string(other.where.line));
      return;
    }
  }
  px.servers.push_back(std::move(s));
}

void Reader::Resolve() {
  Config& cfg = out_.config;
  int id = 2;  // haproxy 2.6 numbers user proxies from 2 (verified with `show stat`).
  for (ProxyDraft& px : proxies_) {
    int proxy_id = id++;
    if (px.HasBackend()) {
      Backend be;
      be.where = px.where;
      be.name = px.name;
      be.id = proxy_id;
      be.from_listen = px.kind == SectionKind::kListen;
      be.balance = px.balance;
      be.allbackups = px.allbackups;
      be.log_health_checks = px.log_health_checks;
      be.srvtcpka = px.srvtcpka;
      be.splice_request = px.splice_request;
      be.splice_response = px.splice_response;
      be.redispatch = px.redispatch;
      be.retries = px.retries;
      be.fullconn = px.fullconn;
      be.timeouts = px.timeouts;
      be.timeouts.client.reset();
      be.timeouts.client_fin.reset();
      if (px.httpchk)
        be.http_check = px.http_check;
      else if (!px.http_check.expect_status.empty()) {
        Diag(
            px.where.line, Severity::kWarning,
            "'http-check expect' in " + Quote(px.name) + " has no effect without 'option httpchk'");
      }
      // Server ids: explicit `id` kept, the others numbered in order
      // skipping used ids, as haproxy does.
      std::set<int> used;
      for (const Server& s : px.servers) {
        if (s.id > 0 && !used.insert(s.id).second) {
          Diag(s.where.line, Severity::kError,
               "server " + Quote(s.name) + " uses an id already in use in " + Quote(px.name));
        }
      }
      int next = 1;
      for (Server& s : px.servers) {
        if (s.id > 0)
          continue;
        while (used.count(next) != 0)
          ++next;
        s.id = next;
        used.insert(next);
      }
      be.servers = std::move(px.servers);
      if (be.servers.empty() && !px.HasFrontend()) {
        Diag(px.where.line, Severity::kWarning, "backend " + Quote(px.name) + " has no server");
      }
      cfg.backends.push_back(std::move(be));
    }
    if (px.HasFrontend()) {
      Frontend fe;
      fe.where = px.where;
      fe.name = px.name;
      fe.id = proxy_id;
      fe.from_listen = px.kind == SectionKind::kListen;
      fe.binds = std::move(px.binds);
      fe.maxconn = px.maxconn;
      fe.timeouts.client = px.timeouts.client;
      fe.timeouts.http_request = px.timeouts.http_request;
      fe.timeouts.http_keep_alive = px.timeouts.http_keep_alive;
      fe.timeouts.client_fin = px.timeouts.client_fin;
      fe.tcplog = px.tcplog;
      fe.dontlognull = px.dontlognull;
      fe.monitor_uri = px.monitor_uri;
      fe.clitcpka = px.clitcpka;
      fe.splice_request = px.splice_request;
      fe.splice_response = px.splice_response;
      fe.use_backends = std::move(px.use_backends);
      fe.default_backend = px.default_backend;
      if (fe.binds.empty()) {
        Diag(px.where.line, Severity::kWarning,
             std::string(SectionName(px.kind)) + " " + Quote(px.name) + " has no 'bind' line");
      }
      cfg.frontends.push_back(std::move(fe));
    }
  }
  // Names: two frontends or two backends may not share a name.
  auto check_unique = [&](const auto& list, std::string_view what) {
    std::map<std::string, int, std::less<>> seen;
    for (const auto& p : list) {
      auto [it, inserted] = seen.emplace(p.name, p.where.line);
      if (!inserted) {
        Diag(p.where.line, Severity::kError,
             std::string(what) + " " + Quote(p.name) +
                 " has the same name as the one declared at " + file_ + ":" +
                 std::to_string(it->second));
      }
    }
  };
  check_unique(cfg.frontends, "proxy");
  check_unique(cfg.backends, "proxy");
  for (Frontend& fe : cfg.frontends) {
    for (const std::string& b : fe.use_backends) {
      if (cfg.FindBackend(b) == nullptr) {
        Diag(
            fe.where.line, Severity::kError,
            "Proxy " + Quote(fe.name) + ": unable to find required use_backend: " + Quote(b) + ".");
      }
    }
    if (!fe.default_backend.empty() && cfg.FindBackend(fe.default_backend) == nullptr) {
      Diag(fe.where.line, Severity::kError,
           "Proxy " + Quote(fe.name) +
               ": unable to find required default_backend: " + Quote(fe.default_backend) + ".");
    }
    if (!fe.use_backends.empty())
      fe.backend = fe.use_backends.front();
    else if (!fe.default_backend.empty())
      fe.backend = fe.default_backend;
    else if (fe.from_listen)
      fe.backend = fe.name;
    else if (fe.monitor_uri.empty()) {
      Diag(fe.where.line, Severity::kWarning,
           "frontend " + Quote(fe.name) + " has no backend; connections will be closed");
    }
  }
}

}  // namespace

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
  Reader reader(file, limits);
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

Result<Millis> ParseTime(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0) {
    return Error(Errc::kInvalidArgument, "expected a number in argument " + Quote(text));
  }
  std::uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc()) {
    return Error(Errc::kInvalidArgument, "timer overflow in argument " + Quote(text) +
                                             " (maximum value is 2147483647 ms or ~24.8 days)");
  }
  (void)p;
  std::string_view unit = text.substr(digits);
  std::uint64_t mul = 1;
  std::uint64_t div = 1;
  if (unit.empty() || unit == "ms") {
  } else if (unit == "us") {
    div = 1000;
  } else if (unit == "s") {
    mul = 1000;
  } else if (unit == "m") {
    mul = 60000;
  } else if (unit == "h") {
    mul = 3600000;
  } else if (unit == "d") {
    mul = 86400000;
  } else {
    return Error(Errc::kInvalidArgument, "unexpected character " + Quote(unit.substr(0, 1)) +
                                             " in argument " + Quote(text));
  }
  if (value > static_cast<std::uint64_t>(kMaxTimerMs) * div / mul + 1 ||
      value * mul / div > static_cast<std::uint64_t>(kMaxTimerMs)) {
    return Error(Errc::kInvalidArgument, "timer overflow in argument " + Quote(text) +
                                             " (maximum value is 2147483647 ms or ~24.8 days)");
  }
  return Millis(static_cast<std::int64_t>(value * mul / div));
}

std::string FormatDuration(Millis d) {
  std::int64_t ms = d.count();
  if (ms == 0)
    return "0s";
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  constexpr std::array<Unit, 4> kUnits = {
      {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}}};
  for (const Unit& u : kUnits) {
    if (ms % u.ms == 0)
      return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace vigie::lb::haproxy_cfg
