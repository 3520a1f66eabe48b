// The global section's directives: maxconn, nbthread, nosplice, the tune.*
// settings vigie reads, and stats socket/timeout; see reader.h.
#include <charconv>
#include <cstdint>
#include <utility>

#include "lb/haproxy_cfg/keywords.h"
#include "lb/haproxy_cfg/reader.h"
#include "lb/haproxy_cfg/values.h"

namespace vigie::lb::haproxy_cfg::internal {

void Reader::OnGlobal(const Line& line) {
  const std::string& kw = line.words[0];
  Global& g = config_.global;
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
  if (kw == "user" || kw == "uid" || kw == "group" || kw == "gid") {
    if (line.words.size() != 2) {
      Diag(line.number, Severity::kError, Quote(kw) + " expects exactly one argument");
      return;
    }
    const std::string& v = line.words[1];
    if ((kw == "uid" || kw == "gid") && v.find_first_not_of("0123456789") != std::string::npos) {
      Diag(line.number, Severity::kError, Quote(kw) + " expects a number, got " + Quote(v));
      return;
    }
    (kw == "user" || kw == "uid" ? g.user : g.group) = v;
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
  if (InTable(KeywordTable::kGlobalIgnored, kw) || kw.starts_with("tune.")) {
    Diag(line.number, Severity::kIgnored, Quote(kw) + " does not apply to vigie");
    return;
  }
  if (InTable(KeywordTable::kGlobalKnown, kw) || kw.starts_with("wurfl-") ||
      kw.starts_with("deviceatlas-") || kw.starts_with("51degrees-")) {
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
    } else if (InTable(KeywordTable::kBindWithArg, k) && has_arg) {
      ++i;
      Diag(line.number, Severity::kIgnored, "'stats socket' option " + Quote(k) + " is ignored");
    } else if (InTable(KeywordTable::kBindFlags, k)) {
      Diag(line.number, Severity::kIgnored, "'stats socket' option " + Quote(k) + " is ignored");
    } else {
      Diag(line.number, Severity::kError, "'stats socket' unknown keyword " + Quote(k));
    }
  }
  config_.global.stats_sockets.push_back(std::move(s));
}

}  // namespace vigie::lb::haproxy_cfg::internal
