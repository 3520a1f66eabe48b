// `vigie egress`: the images from their environment, and `check`.
#include "egress/cli.h"

#include <cstdio>
#include <memory>

#include "egress/acl/acl.h"
#include "egress/acl/check_target.h"
#include "egress/egress.h"
#include "egress/forward/config.h"
#include "egress/nft/ruleset.h"
#include "egress/proxy/http_proxy.h"

namespace vigie::egress {
namespace {

std::string Get(const Environment& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

// A job that prints `message` (upstream's words) and exits 1.
ImageRun Fail(std::string message) {
  return ImageRun{std::nullopt, [message = std::move(message)] {
                    std::fprintf(stderr, "%s\n", message.c_str());
                    return kExitConfigError;
                  }};
}

// The resolver settings the HTTP proxy and the DNS proxy share.
void PutResolver(const ImageOptions& o, const std::string& section, config::Overlay& out) {
  if (!o.hosts_file.empty()) {
    out.Set(section + ".hosts_file", o.hosts_file, "--hosts-file");
  }
  if (!o.nameservers.empty()) {
    out.SetList(section + ".nameservers", o.nameservers, "--nameserver");
  }
}

// The HTTP proxy image: EGRESS_HTTP_PROXY_DESTINATION (or the file),
// validated exactly as upstream before anything is served.
ImageRun PlanHttpProxy(const ImageOptions& o, const Environment& env) {
  config::Overlay out;
  const std::string s = "egress.http_proxy";
  out.Set(s + ".listen", o.listen, "--listen");
  if (o.destination_file.empty()) {
    auto spec = ParseHttpProxyEnvironment(env);
    if (!spec) {
      return Fail(spec.error().ToString());
    }
    out.Set(s + ".destination", Get(env, "EGRESS_HTTP_PROXY_DESTINATION"),
            "EGRESS_HTTP_PROXY_DESTINATION");
  } else {
    out.Set(s + ".destination_file", o.destination_file, "--destination-file");
  }
  PutResolver(o, s, out);
  if (!o.access_log.empty()) {
    out.Set(s + ".access_log", o.access_log, "--access-log");
  }
  return ImageRun{std::move(out), {}};
}

// The DNS proxy image (haproxy forwarding TCP ports to addresses or names).
ImageRun PlanDnsProxy(const ImageOptions& o, const Environment& env) {
  config::Overlay out;
  const std::string s = "egress.dns_proxy";
  out.Set(s + ".listen_address", o.bind_address, "--bind-address");
  if (o.destination_file.empty()) {
    auto spec = ParseDnsProxyEnvironment(env);
    if (!spec) {
      return Fail(spec.error().ToString());
    }
    out.Set(s + ".destination", Get(env, "EGRESS_DNS_PROXY_DESTINATION"),
            "EGRESS_DNS_PROXY_DESTINATION");
  } else {
    out.Set(s + ".destination_file", o.destination_file, "--destination-file");
  }
  PutResolver(o, s, out);
  if (!o.refresh_interval.empty()) {
    out.Set(s + ".refresh_interval", o.refresh_interval, "--refresh-interval");
  }
  return ImageRun{std::move(out), {}};
}

// Redirect mode, userspace engine (EGRESS_ROUTER_ENGINE=userspace, a vigie
// extension): the EGRESS_DESTINATION lines served by vigie's own listeners,
// for pods without NET_ADMIN. EGRESS_SOURCE, when set, is the address
// outgoing sockets bind; EGRESS_GATEWAY is not used (no routes are changed).
ImageRun PlanUserspaceRedirect(const ImageOptions& o, const Environment& env) {
  config::Overlay out;
  const std::string s = "egress.redirect";
  out.Set(s + ".listen_address", o.bind_address, "--bind-address");
  if (std::string source = Get(env, "EGRESS_SOURCE"); !source.empty()) {
    auto parsed = forward::ParseSourceValue(source);
    if (!parsed) {
      return Fail(parsed.error().ToString());
    }
    out.Set(s + ".source", parsed->ToString(), "EGRESS_SOURCE");
  }
  if (o.destination_file.empty()) {
    auto spec = ParseEgressDestination(Get(env, "EGRESS_DESTINATION"));
    if (!spec) {
      return Fail(spec.error().ToString());
    }
    out.Set(s + ".destination", Get(env, "EGRESS_DESTINATION"), "EGRESS_DESTINATION");
  } else {
    out.Set(s + ".destination_file", o.destination_file, "--destination-file");
  }
  if (auto ports = forward::ParsePortSet(o.fallback_ports); !ports) {
    return Fail("--fallback-ports: " + ports.error().ToString());
  }
  out.Set(s + ".fallback_ports", o.fallback_ports, "--fallback-ports");
  if (!o.udp_idle_timeout.empty()) {
    out.Set(s + ".udp_idle_timeout", o.udp_idle_timeout, "--udp-idle-timeout");
  }
  return ImageRun{std::move(out), {}};
}

// The router image (init, legacy, unit-test): validated as upstream, then
// run by itself (nftables, addresses and routes; legacy waits for SIGTERM).
ImageRun PlanRouter(const ImageOptions& o, const Environment& env) {
  ErrorLocation where;
  auto spec = ParseRouterEnvironment(env, &where);
  if (!spec) {
    return Fail(spec.error().ToString());
  }
  switch (spec->mode) {
    case RouterMode::kUnitTest: {
      auto script = BuildNftInstallScript(*spec->redirect, spec->source, o.router.nft);
      if (!script) {
        return Fail(script.error().ToString());
      }
      return ImageRun{std::nullopt, [text = std::move(*script)] {
                        std::fputs(text.c_str(), stdout);
                        return kExitOk;
                      }};
    }
    case RouterMode::kDnsProxy:  // PlanDnsProxy's
    case RouterMode::kHttpProxy:
      break;
    case RouterMode::kInit:
    case RouterMode::kLegacy: {
      router::RouterOptions options = o.router;
      options.setup_network = !o.no_network_setup;
      return ImageRun{std::nullopt, [spec = std::move(*spec), options] {
                        return router::RunRouterMode(spec, options);
                      }};
    }
  }
  return ImageRun{std::nullopt, [] { return kExitConfigError; }};
}

}  // namespace

ImageRun PlanImage(const ImageOptions& o, const Environment& env) {
  auto mode = env.find("EGRESS_ROUTER_MODE");
  auto engine = env.find("EGRESS_ROUTER_ENGINE");
  bool dns_env = env.count("EGRESS_DNS_PROXY_DESTINATION") > 0;
  bool userspace = engine != env.end() && engine->second == "userspace";
  // --destination-file alone means the HTTP proxy's ACL, as before.
  bool proxy_env = env.count("EGRESS_HTTP_PROXY_DESTINATION") > 0 ||
                   (!o.destination_file.empty() && !dns_env && !userspace);
  if ((mode != env.end() && mode->second == "http-proxy") ||
      (mode == env.end() && proxy_env && env.count("EGRESS_DESTINATION") == 0)) {
    return PlanHttpProxy(o, env);
  }
  if ((mode != env.end() && mode->second == "dns-proxy") ||
      (mode == env.end() && dns_env && env.count("EGRESS_DESTINATION") == 0)) {
    return PlanDnsProxy(o, env);
  }
  if (engine != env.end() && !engine->second.empty()) {
    if (engine->second != "userspace" && engine->second != "nftables") {
      return Fail("Unrecognized EGRESS_ROUTER_ENGINE '" + engine->second + "'");
    }
    auto parsed_mode = ParseRouterMode(mode == env.end() ? "" : mode->second);
    if (!parsed_mode) {
      return Fail(parsed_mode.error().ToString());
    }
    if (engine->second == "userspace" &&
        (*parsed_mode == RouterMode::kInit || *parsed_mode == RouterMode::kLegacy)) {
      return PlanUserspaceRedirect(o, env);
    }
  }
  return PlanRouter(o, env);
}

int CheckAcl(const CheckOptions& o, const proxy::HttpProxyConfig* from_config) {
  proxy::HttpProxyConfig cfg;
  if (from_config != nullptr) {
    cfg = *from_config;
  } else {
    if (!o.destination_file.empty()) {
      cfg.destination_file = o.destination_file;
      if (auto r = proxy::LoadDestination(cfg); !r) {
        std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
        return kCheckExitError;
      }
    } else {
      auto spec = ParseHttpProxyEnvironment(ProcessEnvironment());
      if (!spec) {
        std::fprintf(stderr, "%s\n", spec.error().ToString().c_str());
        return kCheckExitError;
      }
      cfg.spec = std::move(*spec);
    }
    cfg.hosts_file = o.hosts_file;
    for (const auto& n : o.nameservers) {
      auto a = ParseAddress(n, AddressOptions{.allow_any_host = false, .default_port = 53});
      if (!a) {
        std::fprintf(stderr, "--nameserver %s: %s\n", n.c_str(), a.error().ToString().c_str());
        return kCheckExitError;
      }
      cfg.nameservers.push_back(*a);
    }
    if (auto r = proxy::LoadHosts(cfg); !r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return kCheckExitError;
    }
  }
  auto target = ParseCheckTarget(o.target);
  if (!target) {
    std::fprintf(stderr, "%s: %s\n", o.target.c_str(), target.error().ToString().c_str());
    return kCheckExitError;
  }
  DestinationAcl acl(cfg.spec);
  std::vector<IpAddress> addresses;
  std::optional<AclDecision> decision;
  if (target->address) {
    addresses.push_back(*target->address);
  } else {
    decision = acl.DecideByName(target->host);
    if (!decision && !o.no_resolve) {
      addresses =
          proxy::ResolveBlocking(target->host, std::make_shared<const proxy::HttpProxyConfig>(cfg));
    }
  }
  if (!decision) {
    decision = acl.Decide(target->host, addresses);
  }
  std::printf("%s\n", FormatCheckResult(*target, *decision).c_str());
  return CheckExitCode(*decision);
}

}  // namespace vigie::egress
