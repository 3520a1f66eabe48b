// bind, server and default-server lines: addresses, port ranges and the
// per-server keywords, default-server presets; see reader.h.
#include <cstdint>
#include <utility>
#include <vector>

#include "core/ip.h"
#include "lb/haproxy_cfg/keywords.h"
#include "lb/haproxy_cfg/reader.h"
#include "lb/haproxy_cfg/values.h"

namespace vigie::lb::haproxy_cfg::internal {

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
    } else if (InTable(KeywordTable::kBindIgnored, k)) {
      if (InTable(KeywordTable::kBindWithArg, k))
        ++i;
      Diag(line.number, Severity::kIgnored,
           "'bind' option " + Quote(k) + " does not apply to vigie");
    } else if (InTable(KeywordTable::kBindFlags, k)) {
      Diag(line.number, Severity::kUnsupported, "'bind' option " + Quote(k) + " is not supported");
    } else if (InTable(KeywordTable::kBindWithArg, k)) {
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
    bool takes_arg = InTable(KeywordTable::kServerWithArg, k);
    if (!takes_arg && !InTable(KeywordTable::kServerFlags, k)) {
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
    else if (k == "check-sni")
      s.check.sni = arg;
    else if (k == "verifyhost")
      s.check.verifyhost = arg;
    else if (k == "no-verifyhost")
      s.check.no_verifyhost = true;
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
    } else if (InTable(KeywordTable::kServerIgnored, k)) {
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

}  // namespace vigie::lb::haproxy_cfg::internal
