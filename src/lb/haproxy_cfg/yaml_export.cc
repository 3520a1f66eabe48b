// vigie.yaml `lb:` section writer for an imported haproxy.cfg.
#include "lb/haproxy_cfg/yaml_export.h"

#include <array>
#include <cctype>
#include <cstdio>

#include "core/text.h"

namespace vigie::lb::haproxy_cfg {
namespace {

// A plain YAML scalar when it cannot be mistaken for anything else; a
// double-quoted one otherwise.
std::string Scalar(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kReserved = {
      "true", "false", "yes", "no", "on", "off", "null", "~", "True", "False", "Null", "NULL"};
  bool plain = !s.empty() && (std::isalpha(static_cast<unsigned char>(s.front())) ||
                              s.front() == '/' || s.front() == '_');
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '/')) {
      plain = false;
    }
  }
  for (std::string_view r : kReserved) {
    if (s == r)
      plain = false;
  }
  if (plain)
    return std::string(s);
  return YamlQuote(s);
}

std::string Bool(bool b) {
  return b ? "true" : "false";
}

std::string HostPort(const std::string& host, bool ipv6, std::uint16_t port) {
  std::string h = ipv6 ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

void WriteTimeouts(std::string& out, const std::string& indent, const Timeouts& t, bool frontend) {
  std::string body;
  auto add = [&](const char* name, const std::optional<Millis>& v) {
    if (v) {
      body += (body.empty() ? "" : ", ") + std::string(name) + ": " + FormatDuration(*v);
    }
  };
  if (frontend) {
    add("client", t.client);
    add("client_fin", t.client_fin);
    add("http_request", t.http_request);
    add("http_keep_alive", t.http_keep_alive);
  } else {
    add("connect", t.connect);
    add("server", t.server);
    add("tunnel", t.tunnel);
    add("server_fin", t.server_fin);
    add("queue", t.queue);
    add("check", t.check);
  }
  out += indent + "timeouts: {" + body + "}\n";
}

const char* ProxyProtocolName(ProxyProtocolVersion v) {
  switch (v) {
    case ProxyProtocolVersion::kV1:
      return "v1";
    case ProxyProtocolVersion::kV2:
      return "v2";
    case ProxyProtocolVersion::kNone:
      break;
  }
  return "none";
}

// A proxy's `option splice-request` / `splice-response`, when set.
void WriteSplice(std::string& out, bool request, bool response) {
  if (request)
    out += "      splice_request: true\n";
  if (response)
    out += "      splice_response: true\n";
}

}  // namespace

std::string ExportVigieYaml(const ParseOutput& parsed) {
  const Config& cfg = parsed.config;
  std::string out;
  out += "# lb section imported from haproxy.cfg by `vigie import haproxy`.\n";
  out += "lb:\n";
  if (cfg.global.maxconn > 0)
    out += "  maxconn: " + std::to_string(cfg.global.maxconn) + "\n";
  if (cfg.global.nbthread > 0)
    out += "  threads: " + std::to_string(cfg.global.nbthread) + "\n";
  if (!cfg.global.multi_queue)
    out += "  multi_queue: false\n";
  if (cfg.global.maxaccept != haproxy_cfg::Global().maxaccept)
    out += "  max_accept: " + std::to_string(cfg.global.maxaccept) + "\n";
  if (cfg.global.nosplice)
    out += "  nosplice: true\n";
  if (!cfg.global.stats_sockets.empty()) {
    out += "  stats_sockets:\n";
    for (const StatsSocket& s : cfg.global.stats_sockets) {
      out += "    - path: " + Scalar(s.path) + "\n";
      if (s.mode) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\"%04o\"", *s.mode);
        out += std::string("      mode: ") + buf + "\n";
      }
      out += "      level: " + s.level + "\n";
      out += "      expose_fd_listeners: " + Bool(s.expose_fd_listeners) + "\n";
    }
    out += "  stats_timeout: " + FormatDuration(cfg.global.stats_timeout) + "\n";
  }
  out += cfg.frontends.empty() ? "  frontends: []\n" : "  frontends:\n";
  for (const Frontend& f : cfg.frontends) {
    out += "    - name: " + Scalar(f.name) + "\n";
    out += f.binds.empty() ? "      binds: []\n" : "      binds:\n";
    for (const Bind& b : f.binds) {
      std::string port = std::to_string(b.port_first);
      if (b.port_last != b.port_first)
        port += "-" + std::to_string(b.port_last);
      std::string addr =
          b.host.empty() ? "*:" + port : (b.ipv6 ? "[" + b.host + "]" : b.host) + ":" + port;
      out += "        - { address: " + Scalar(addr) + ", accept_proxy: " + Bool(b.accept_proxy) +
             " }\n";
    }
    out += "      backend: " + (f.backend.empty() ? std::string("null") : Scalar(f.backend)) + "\n";
    if (f.maxconn > 0)
      out += "      maxconn: " + std::to_string(f.maxconn) + "\n";
    WriteTimeouts(out, "      ", f.timeouts, true);
    out += "      tcplog: " + Bool(f.tcplog) + "\n";
    if (f.dontlognull)
      out += "      dont_log_null: true\n";
    if (!f.monitor_uri.empty())
      out += "      monitor_uri: " + Scalar(f.monitor_uri) + "\n";
    out += "      client_keepalive: " + Bool(f.clitcpka) + "\n";
    WriteSplice(out, f.splice_request, f.splice_response);
  }
  out += cfg.backends.empty() ? "  backends: []\n" : "  backends:\n";
  for (const Backend& b : cfg.backends) {
    out += "    - name: " + Scalar(b.name) + "\n";
    out += "      balance: " + std::string(BalanceName(b.balance)) + "\n";
    out += "      all_backups: " + Bool(b.allbackups) + "\n";
    out += "      log_health_checks: " + Bool(b.log_health_checks) + "\n";
    out += "      server_keepalive: " + Bool(b.srvtcpka) + "\n";
    WriteSplice(out, b.splice_request, b.splice_response);
    out += "      retries: " + std::to_string(b.retries) + "\n";
    out += "      redispatch: " + Bool(b.redispatch) + "\n";
    WriteTimeouts(out, "      ", b.timeouts, false);
    if (b.http_check) {
      const HttpCheck& h = *b.http_check;
      out += "      http_check:\n";
      out += "        method: " + Scalar(h.method) + "\n";
      out += "        uri: " + Scalar(h.uri) + "\n";
      out += "        version: " + Scalar(h.version) + "\n";
      if (!h.headers.empty()) {
        out += "        headers:\n";
        for (const auto& [name, value] : h.headers) {
          out += "          - { name: " + Scalar(name) + ", value: " + Scalar(value) + " }\n";
        }
      }
      out += "        expect_status: " +
             (h.expect_text.empty() ? std::string("\"200-399\"") : Scalar(h.expect_text)) + "\n";
    }
    out += b.servers.empty() ? "      servers: []\n" : "      servers:\n";
    for (const Server& s : b.servers) {
      out += "        - name: " + Scalar(s.name) + "\n";
      out += "          id: " + std::to_string(s.id) + "\n";
      std::string addr = s.port_from_client
                             ? (s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host)
                             : HostPort(s.host, s.host.find(':') != std::string::npos, s.port);
      out += "          address: " + Scalar(addr) + "\n";
      out += "          weight: " + std::to_string(s.weight) + "\n";
      out += "          maxconn: " + std::to_string(s.maxconn) + "\n";
      out += "          maxqueue: " + std::to_string(s.maxqueue) + "\n";
      out += "          backup: " + Bool(s.backup) + "\n";
      out += "          disabled: " + Bool(s.disabled) + "\n";
      out += "          slowstart: " + FormatDuration(s.slowstart) + "\n";
      out += "          send_proxy: " + std::string(ProxyProtocolName(s.send_proxy)) + "\n";
      out += "          shutdown_sessions_on_down: " + Bool(s.shutdown_sessions_on_down) + "\n";
      const HealthCheckSettings& c = s.check;
      out += "          check:\n";
      out += "            enabled: " + Bool(c.enabled) + "\n";
      out += "            tls: " + Bool(c.ssl) + "\n";
      out += "            verify: " + std::string(c.verify_none ? "none" : "required") + "\n";
      if (!c.ca_file.empty())
        out += "            ca_file: " + Scalar(c.ca_file) + "\n";
      if (!c.sni.empty())
        out += "            sni: " + Scalar(c.sni) + "\n";
      if (!c.verifyhost.empty())
        out += "            verifyhost: " + Scalar(c.verifyhost) + "\n";
      if (c.no_verifyhost)
        out += "            no_verifyhost: true\n";
      if (c.port)
        out += "            port: " + std::to_string(*c.port) + "\n";
      out += "            inter: " + FormatDuration(c.inter) + "\n";
      out += "            fastinter: " + FormatDuration(c.fastinter) + "\n";
      out += "            downinter: " + FormatDuration(c.downinter) + "\n";
      out += "            rise: " + std::to_string(c.rise) + "\n";
      out += "            fall: " + std::to_string(c.fall) + "\n";
    }
  }
  if (parsed.diagnostics.empty()) {
    out += "# every directive was carried over.\n";
  } else {
    out += "# diagnostics (" + std::to_string(parsed.diagnostics.size()) +
           "; ignored, unsupported and error lines were not carried over):\n";
    for (const Diagnostic& d : parsed.diagnostics) {
      std::string line = d.ToString();
      for (char& c : line) {
        if (c == '\n' || c == '\r')
          c = ' ';
      }
      out += "#   " + line + "\n";
    }
  }
  return out;
}

}  // namespace vigie::lb::haproxy_cfg
