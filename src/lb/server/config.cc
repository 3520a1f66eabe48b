// The `lb:` YAML reader: the shape ExportVigieYaml writes, into the
// haproxy_cfg model the server runs.
#include "lb/server/config.h"

#include <fstream>
#include <sstream>

#include "core/ip.h"

namespace vigie::lb {
namespace {

using haproxy_cfg::Millis;

bool ParseMillis(const config::Field& f, Millis& out) {
  Duration d{};
  if (!config::ParseValue(f, d)) {
    return false;
  }
  if (d.count() < 0) {
    return f.Fail("negative duration");
  }
  out = std::chrono::duration_cast<Millis>(d);
  return true;
}

bool ParseOptMillis(const config::Field& f, std::optional<Millis>& out) {
  Millis m{};
  if (!ParseMillis(f, m)) {
    return false;
  }
  out = m;
  return true;
}

bool ParseIntIn(const config::Field& f, int& out, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!config::ParseInRange(f, v, lo, hi)) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

using config::MapReader;

void ReadTimeouts(MapReader& m, haproxy_cfg::Timeouts& t) {
  auto f = m.Get("timeouts");
  if (!f) {
    return;
  }
  auto tm = f->AsMap();
  const std::pair<const char*, std::optional<Millis>*> keys[] = {
      {"connect", &t.connect},
      {"client", &t.client},
      {"server", &t.server},
      {"tunnel", &t.tunnel},
      {"client_fin", &t.client_fin},
      {"server_fin", &t.server_fin},
      {"queue", &t.queue},
      {"check", &t.check},
      {"http_request", &t.http_request},
      {"http_keep_alive", &t.http_keep_alive}};
  for (const auto& [key, slot] : keys) {
    if (auto v = tm.Get(key)) {
      ParseOptMillis(*v, *slot);
    }
  }
  tm.Finish();
}

// "host:port" / "[v6]:port" / "*:port" / "host:first-last".
bool ParseBindAddress(const config::Field& f, haproxy_cfg::Bind& b) {
  const std::string* s = f.Scalar("an address host:port");
  if (s == nullptr) {
    return false;
  }
  auto colon = s->rfind(':');
  if (colon == std::string::npos) {
    return f.Fail("missing port in \"" + *s + "\" (write host:port)");
  }
  std::string host = s->substr(0, colon);
  std::string ports = s->substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    b.ipv6 = true;
  }
  if (host == "*" || host.empty()) {
    host.clear();
  } else {
    auto ip = IpAddress::Parse(host);
    if (!ip) {
      return f.Fail("not an IP address: \"" + host + "\"");
    }
    b.ipv6 = ip->is_v6();
  }
  b.host = host;
  auto dash = ports.find('-');
  auto parse_port = [&](std::string_view p, std::uint16_t& out) {
    int v = 0;
    for (char c : p) {
      if (c < '0' || c > '9' || v > 65535) {
        return false;
      }
      v = v * 10 + (c - '0');
    }
    if (p.empty() || v > 65535) {
      return false;
    }
    out = static_cast<std::uint16_t>(v);
    return true;
  };
  bool ok = dash == std::string::npos
                ? parse_port(ports, b.port_first)
                : parse_port(std::string_view(ports).substr(0, dash), b.port_first) &&
                      parse_port(std::string_view(ports).substr(dash + 1), b.port_last);
  if (!ok) {
    return f.Fail("invalid port \"" + ports + "\"");
  }
  if (dash == std::string::npos) {
    b.port_last = b.port_first;
  }
  if (b.port_last < b.port_first) {
    return f.Fail("invalid port range \"" + ports + "\"");
  }
  return true;
}

bool ParseBind(const config::Field& f, haproxy_cfg::Bind& b) {
  b.where.line = f.mark().line;
  if (f.value().is_scalar()) {
    return ParseBindAddress(f, b);
  }
  auto m = f.AsMap();
  if (auto a = m.Get("address")) {
    ParseBindAddress(*a, b);
  } else {
    m.Required("address", b.host);
  }
  m.Optional("accept_proxy", b.accept_proxy);
  m.Finish();
  return m.ok();
}

bool ParseFrontend(const config::Field& f, haproxy_cfg::Frontend& fe) {
  fe.where.line = f.mark().line;
  auto m = f.AsMap();
  m.Required("name", fe.name);
  if (auto binds = m.Get("binds")) {
    for (const auto& item : binds->Items()) {
      haproxy_cfg::Bind b;
      if (ParseBind(item, b)) {
        fe.binds.push_back(std::move(b));
      }
    }
  }
  m.Optional("backend", fe.backend);
  if (auto v = m.Get("maxconn")) {
    ParseIntIn(*v, fe.maxconn, 0, 10000000);
  }
  ReadTimeouts(m, fe.timeouts);
  m.Optional("tcplog", fe.tcplog);
  m.Optional("dont_log_null", fe.dontlognull);
  m.Optional("monitor_uri", fe.monitor_uri);
  m.Optional("client_keepalive", fe.clitcpka);
  m.Optional("splice_request", fe.splice_request);
  m.Optional("splice_response", fe.splice_response);
  m.Finish();
  return m.ok();
}

bool ParseCheck(const config::Field& f, haproxy_cfg::HealthCheckSettings& c) {
  auto m = f.AsMap();
  m.Optional("enabled", c.enabled);
  m.Optional("tls", c.ssl);
  if (auto v = m.Get("verify")) {
    std::string verify = c.verify_none ? "none" : "required";
    config::ParseEnum(*v, verify,
                      {{"none", std::string("none")}, {"required", std::string("required")}});
    c.verify_none = verify == "none";
  }
  m.Optional("ca_file", c.ca_file);
  m.Optional("sni", c.sni);
  m.Optional("verifyhost", c.verifyhost);
  m.Optional("no_verifyhost", c.no_verifyhost);
  if (auto v = m.Get("port")) {
    std::uint16_t p = 0;
    if (config::ParseValue(*v, p)) {
      c.port = p;
    }
  }
  bool fast_set = false;
  bool down_set = false;
  if (auto v = m.Get("inter")) {
    ParseMillis(*v, c.inter);
  }
  if (auto v = m.Get("fastinter")) {
    fast_set = ParseMillis(*v, c.fastinter);
  }
  if (auto v = m.Get("downinter")) {
    down_set = ParseMillis(*v, c.downinter);
  }
  if (!fast_set) {
    c.fastinter = c.inter;
  }
  if (!down_set) {
    c.downinter = c.inter;
  }
  if (auto v = m.Get("rise")) {
    ParseIntIn(*v, c.rise, 1, 1000);
  }
  if (auto v = m.Get("fall")) {
    ParseIntIn(*v, c.fall, 1, 1000);
  }
  m.Finish();
  return m.ok();
}

bool ParseServer(const config::Field& f, haproxy_cfg::Server& s, int position) {
  s.where.line = f.mark().line;
  s.id = position;
  auto m = f.AsMap();
  m.Required("name", s.name);
  if (auto v = m.Get("id")) {
    ParseIntIn(*v, s.id, 1, 1 << 30);
  }
  if (auto v = m.Get("address")) {
    Address a;
    if (config::ParseValue(*v, a, AddressOptions{.allow_any_host = false, .default_port = 0})) {
      s.host = a.host;
      s.port = a.port;
      s.port_from_client = a.port == 0;
    }
  } else {
    m.Required("address", s.host);
  }
  if (auto v = m.Get("weight")) {
    ParseIntIn(*v, s.weight, 0, 256);
  }
  if (auto v = m.Get("maxconn")) {
    ParseIntIn(*v, s.maxconn, 0, 10000000);
  }
  if (auto v = m.Get("maxqueue")) {
    ParseIntIn(*v, s.maxqueue, 0, 10000000);
  }
  m.Optional("backup", s.backup);
  m.Optional("disabled", s.disabled);
  if (auto v = m.Get("slowstart")) {
    ParseMillis(*v, s.slowstart);
  }
  if (auto v = m.Get("send_proxy")) {
    config::ParseEnum(*v, s.send_proxy,
                      {{"none", haproxy_cfg::ProxyProtocolVersion::kNone},
                       {"v1", haproxy_cfg::ProxyProtocolVersion::kV1},
                       {"v2", haproxy_cfg::ProxyProtocolVersion::kV2}});
  }
  m.Optional("shutdown_sessions_on_down", s.shutdown_sessions_on_down);
  if (auto v = m.Get("check")) {
    ParseCheck(*v, s.check);
  }
  m.Finish();
  return m.ok();
}

// "200", "200,301", "200-299".
bool ParseExpectStatus(const config::Field& f, haproxy_cfg::HttpCheck& h) {
  const std::string* s = f.Scalar("status codes such as 200 or 200-399");
  if (s == nullptr) {
    return false;
  }
  h.expect_status.clear();
  std::stringstream in(*s);
  std::string part;
  while (std::getline(in, part, ',')) {
    auto dash = part.find('-');
    try {
      int lo = std::stoi(part.substr(0, dash));
      int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      if (lo < 100 || hi > 999 || hi < lo) {
        return f.Fail("invalid status range \"" + part + "\"");
      }
      h.expect_status.emplace_back(lo, hi);
    } catch (const std::exception&) {
      return f.Fail("not a status code: \"" + part + "\"");
    }
  }
  h.expect_text = *s == "200-399" ? "" : *s;
  if (h.expect_text.empty()) {
    h.expect_status.clear();
  }
  return true;
}

bool ParseHttpCheck(const config::Field& f, haproxy_cfg::HttpCheck& h) {
  auto m = f.AsMap();
  m.Optional("method", h.method);
  m.Optional("uri", h.uri);
  m.Optional("version", h.version);
  if (auto v = m.Get("headers")) {
    for (const auto& item : v->Items()) {
      auto hm = item.AsMap();
      std::string name;
      std::string value;
      hm.Required("name", name);
      hm.Required("value", value);
      hm.Finish();
      h.headers.emplace_back(name, value);
    }
  }
  if (auto v = m.Get("expect_status")) {
    ParseExpectStatus(*v, h);
  }
  m.Finish();
  return m.ok();
}

bool ParseBackend(const config::Field& f, haproxy_cfg::Backend& be) {
  be.where.line = f.mark().line;
  auto m = f.AsMap();
  m.Required("name", be.name);
  if (auto v = m.Get("balance")) {
    config::ParseEnum(*v, be.balance,
                      {{"roundrobin", haproxy_cfg::BalanceAlgorithm::kRoundRobin},
                       {"static-rr", haproxy_cfg::BalanceAlgorithm::kStaticRr},
                       {"leastconn", haproxy_cfg::BalanceAlgorithm::kLeastConn},
                       {"source", haproxy_cfg::BalanceAlgorithm::kSource},
                       {"first", haproxy_cfg::BalanceAlgorithm::kFirst}});
  }
  m.Optional("all_backups", be.allbackups);
  m.Optional("log_health_checks", be.log_health_checks);
  m.Optional("server_keepalive", be.srvtcpka);
  m.Optional("splice_request", be.splice_request);
  m.Optional("splice_response", be.splice_response);
  if (auto v = m.Get("retries")) {
    ParseIntIn(*v, be.retries, 0, 100);
  }
  m.Optional("redispatch", be.redispatch);
  if (auto v = m.Get("fullconn")) {
    ParseIntIn(*v, be.fullconn, 0, 10000000);
  }
  ReadTimeouts(m, be.timeouts);
  if (auto v = m.Get("http_check")) {
    haproxy_cfg::HttpCheck h;
    if (ParseHttpCheck(*v, h)) {
      be.http_check = std::move(h);
    }
  }
  if (auto v = m.Get("servers")) {
    int position = 0;
    for (const auto& item : v->Items()) {
      haproxy_cfg::Server s;
      if (ParseServer(item, s, ++position)) {
        be.servers.push_back(std::move(s));
      }
    }
  }
  m.Finish();
  return m.ok();
}

bool ParseStatsSocket(const config::Field& f, haproxy_cfg::StatsSocket& s) {
  s.where.line = f.mark().line;
  auto m = f.AsMap();
  m.Required("path", s.path);
  if (auto v = m.Get("mode")) {
    const std::string* text = v->Scalar("an octal mode such as \"0660\"");
    if (text != nullptr) {
      std::uint32_t mode = 0;
      bool ok = !text->empty() && text->size() <= 4;
      for (char c : *text) {
        ok = ok && c >= '0' && c <= '7';
        mode = mode * 8 + static_cast<std::uint32_t>(c - '0');
      }
      if (ok) {
        s.mode = mode;
      } else {
        v->Fail("not an octal mode: \"" + *text + "\"");
      }
    }
  }
  if (auto v = m.Get("level")) {
    config::ParseEnum(*v, s.level,
                      {{"user", std::string("user")},
                       {"operator", std::string("operator")},
                       {"admin", std::string("admin")}});
  }
  m.Optional("expose_fd_listeners", s.expose_fd_listeners);
  m.Finish();
  return m.ok();
}

bool ValidateInto(const config::Field& f, const haproxy_cfg::Config& model) {
  bool ok = true;
  for (const auto& problem : ValidateForServing(model)) {
    ok = f.Fail(problem);
  }
  return ok;
}

}  // namespace

std::vector<std::string> ValidateForServing(const haproxy_cfg::Config& model) {
  std::vector<std::string> out;
  for (const auto& fe : model.frontends) {
    if (fe.backend.empty()) {
      if (fe.monitor_uri.empty()) {
        out.push_back("frontend '" + fe.name + "' has no backend");
      }
    } else if (model.FindBackend(fe.backend) == nullptr) {
      out.push_back("frontend '" + fe.name + "': no backend named '" + fe.backend + "'");
    }
    if (fe.binds.empty()) {
      out.push_back("frontend '" + fe.name + "' has no bind");
    }
    for (const auto& b : fe.binds) {
      if (!b.host.empty() && !IpAddress::Parse(b.host)) {
        out.push_back("frontend '" + fe.name + "': bind address '" + b.host +
                      "' is not an IP address");
      }
      if (b.port_last - b.port_first >= 256) {
        out.push_back("frontend '" + fe.name + "': port ranges are limited to 256 ports");
      }
    }
  }
  // Server names are resolved when the config is applied (snapshot.h).
  return out;
}

std::vector<std::string> LoadHaproxyFile(const std::string& path, LbConfig& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {path + ": cannot read the file"};
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = haproxy_cfg::ParseHaproxyCfg(text.str(), path);
  std::vector<std::string> errors;
  for (const auto& d : parsed.diagnostics) {
    if (d.severity == haproxy_cfg::Severity::kError) {
      errors.push_back(d.ToString());
    }
  }
  if (errors.empty()) {
    for (auto& e : ValidateForServing(parsed.config)) {
      errors.push_back(path + ": " + e);
    }
  }
  out.model = std::move(parsed.config);
  out.diagnostics = std::move(parsed.diagnostics);
  out.source = path;
  return errors;
}

bool ParseValue(const config::Field& f, LbConfig& out) {
  auto m = f.AsMap();
  m.Optional("splice", out.splice);
  if (auto path = m.Get("haproxy_cfg")) {
    const std::string* p = path->Scalar("a haproxy.cfg path");
    if (p != nullptr) {
      for (const auto& e : LoadHaproxyFile(*p, out)) {
        path->Fail(e);
      }
    }
    m.Finish();
    return m.ok() && f.diag().empty();
  }
  out.source = f.diag().file();
  auto& g = out.model.global;
  if (auto v = m.Get("maxconn")) {
    ParseIntIn(*v, g.maxconn, 0, 10000000);
  }
  if (auto v = m.Get("threads")) {
    ParseIntIn(*v, g.nbthread, 0, 256);
  }
  m.Optional("multi_queue", g.multi_queue);
  if (auto v = m.Get("max_accept")) {
    if (ParseIntIn(*v, g.maxaccept, -1, 1000000) && g.maxaccept == 0) {
      v->Fail("expected a positive number, or -1 for no limit");
    }
  }
  m.Optional("nosplice", g.nosplice);
  if (auto v = m.Get("stats_sockets")) {
    for (const auto& item : v->Items()) {
      haproxy_cfg::StatsSocket s;
      if (ParseStatsSocket(item, s)) {
        g.stats_sockets.push_back(std::move(s));
      }
    }
  }
  if (auto v = m.Get("stats_timeout")) {
    ParseMillis(*v, g.stats_timeout);
  }
  int id = 1;
  if (auto v = m.Get("frontends")) {
    for (const auto& item : v->Items()) {
      haproxy_cfg::Frontend fe;
      fe.id = ++id;
      if (ParseFrontend(item, fe)) {
        out.model.frontends.push_back(std::move(fe));
      }
    }
  }
  if (auto v = m.Get("backends")) {
    for (const auto& item : v->Items()) {
      haproxy_cfg::Backend be;
      be.id = ++id;
      if (ParseBackend(item, be)) {
        // A frontend and backend of one name are a `listen`: one proxy id.
        if (const auto* fe = out.model.FindFrontend(be.name)) {
          be.id = fe->id;
          be.from_listen = true;
        }
        out.model.backends.push_back(std::move(be));
      }
    }
  }
  m.Finish();
  if (!m.ok() || !f.diag().empty()) {
    return false;
  }
  return ValidateInto(f, out.model);
}

}  // namespace vigie::lb
