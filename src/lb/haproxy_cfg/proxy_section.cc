// Proxy directives (frontend, backend, listen and defaults sections): mode,
// balance, maxconn, backend choice, `option`, `timeout` and `http-check`;
// bind and server lines are in bind_server.cc. See reader.h.
#include <cstdint>
#include <utility>

#include "lb/haproxy_cfg/keywords.h"
#include "lb/haproxy_cfg/reader.h"
#include "lb/haproxy_cfg/tokenizer.h"
#include "lb/haproxy_cfg/values.h"

namespace vigie::lb::haproxy_cfg::internal {

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
  if (InTable(KeywordTable::kProxyIgnored, kw)) {
    Diag(line.number, Severity::kIgnored, Quote(kw) + " does not apply to vigie");
    return;
  }
  if (InTable(KeywordTable::kProxyUnsupported, kw)) {
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
  } else if (InTable(KeywordTable::kOptionIgnored, name)) {
    Diag(line.number, Severity::kIgnored, "'option " + name + "' does not apply to vigie");
  } else if (InTable(KeywordTable::kOptionUnsupported, name)) {
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

}  // namespace vigie::lb::haproxy_cfg::internal
