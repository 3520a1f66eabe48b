// Section inheritance and the resolution of drafts into the model; see
// resolve.h.
#include "lb/haproxy_cfg/resolve.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "lb/haproxy_cfg/values.h"

namespace vigie::lb::haproxy_cfg::internal {

ProxyDraft InheritDraft(SectionKind kind, const ProxyDraft* base) {
  ProxyDraft draft;
  if (kind == SectionKind::kDefaults) {
    // A defaults section resets everything to the documented values, unless
    // it names another defaults section to start from.
    if (base != nullptr) {
      draft = *base;
    }
  } else {
    draft = *base;
    draft.binds.clear();
    draft.servers.clear();
    draft.use_backends.clear();
  }
  draft.kind = kind;
  return draft;
}

void Resolve(std::vector<ProxyDraft> proxies, Config& cfg, DiagnosticLog& log) {
  auto diag = [&log](int line, Severity sev, std::string text) {
    log.Add(line, sev, std::move(text));
  };
  int id = 2;  // haproxy 2.6 numbers user proxies from 2 (verified with `show stat`).
  for (ProxyDraft& px : proxies) {
    // haproxy 2.6's check, word for word: a frontend side needs `timeout
    // client`; a backend side with servers needs `timeout connect` and
    // `timeout server` (in TCP mode `timeout tunnel` stands in for it).
    // Without them a dead peer holds a connection forever.
    auto set = [](const std::optional<Millis>& t) { return t && t->count() > 0; };
    const bool fe_missing = px.HasFrontend() && !set(px.timeouts.client);
    const bool be_missing =
        px.HasBackend() && !px.servers.empty() &&
        (!set(px.timeouts.connect) ||
         (!set(px.timeouts.server) && (px.http_mode_at || !set(px.timeouts.tunnel))));
    if (fe_missing || be_missing) {
      diag(px.where.line, Severity::kWarning,
           "missing timeouts for " +
               std::string(px.kind == SectionKind::kListen ? "proxy" : SectionName(px.kind)) + " " +
               Quote(px.name) +
               ". While not properly invalid, you will certainly encounter various problems "
               "with such a configuration. To fix this, please ensure that all following "
               "timeouts are set to a non-zero value: 'client', 'connect', 'server'.");
    }
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
        diag(
            px.where.line, Severity::kWarning,
            "'http-check expect' in " + Quote(px.name) + " has no effect without 'option httpchk'");
      }
      // Server ids: explicit `id` kept, the others numbered in order
      // skipping used ids, as haproxy does.
      std::set<int> used;
      for (const Server& s : px.servers) {
        if (s.id > 0 && !used.insert(s.id).second) {
          diag(s.where.line, Severity::kError,
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
        diag(px.where.line, Severity::kWarning, "backend " + Quote(px.name) + " has no server");
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
        diag(px.where.line, Severity::kWarning,
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
        diag(p.where.line, Severity::kError,
             std::string(what) + " " + Quote(p.name) +
                 " has the same name as the one declared at " + log.file() + ":" +
                 std::to_string(it->second));
      }
    }
  };
  check_unique(cfg.frontends, "proxy");
  check_unique(cfg.backends, "proxy");
  for (Frontend& fe : cfg.frontends) {
    for (const std::string& b : fe.use_backends) {
      if (cfg.FindBackend(b) == nullptr) {
        diag(
            fe.where.line, Severity::kError,
            "Proxy " + Quote(fe.name) + ": unable to find required use_backend: " + Quote(b) + ".");
      }
    }
    if (!fe.default_backend.empty() && cfg.FindBackend(fe.default_backend) == nullptr) {
      diag(fe.where.line, Severity::kError,
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
      diag(fe.where.line, Severity::kWarning,
           "frontend " + Quote(fe.name) + " has no backend; connections will be closed");
    }
  }
}

}  // namespace vigie::lb::haproxy_cfg::internal
