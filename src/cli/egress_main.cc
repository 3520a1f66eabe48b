// `vigie egress`: the OpenShift egress images as one subcommand (the HTTP
// proxy from EGRESS_HTTP_PROXY_DESTINATION, the router from
// EGRESS_DESTINATION), `vigie egress check TARGET`, and the `egress:`
// section of `vigie serve`.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/server.h"
#include "core/text.h"
#include "egress/acl/acl.h"
#include "egress/acl/check_target.h"
#include "egress/egress.h"
#include "egress/forward/config.h"
#include "egress/nft/ruleset.h"
#include "egress/proxy/config.h"
#include "egress/proxy/http_proxy.h"
#include "egress/router/router.h"

namespace vigie::cli {
namespace {

struct EgressOptions {
  std::string listen = "127.0.0.1:8080";
  std::string admin = "127.0.0.1:9901";
  std::string destination_file;
  std::string hosts_file;
  std::vector<std::string> nameservers;
  std::string access_log;
  int workers = 0;
  std::string config;
  std::string target;
  bool no_resolve = false;
  egress::router::RouterOptions router;
  bool no_network_setup = false;
  // DNS proxy and userspace redirect.
  std::string bind_address = "127.0.0.1";
  std::string fallback_ports = "80,443";
  std::string udp_idle_timeout;
  std::string refresh_interval;
};

// Prints the upstream message for an environment error and returns exit 1.
int EnvError(const Error& error) {
  std::fprintf(stderr, "%s\n", error.ToString().c_str());
  return egress::kExitConfigError;
}

// The HTTP proxy image: validate EGRESS_HTTP_PROXY_DESTINATION (or the file)
// exactly as upstream, then serve it through the regular server, so the
// admin endpoint, /metrics, SIGHUP and SIGTERM drain behave as in `serve`.
int RunHttpProxy(const EgressOptions& o, const egress::Environment& env) {
  std::string destination_line;
  if (o.destination_file.empty()) {
    auto spec = egress::ParseHttpProxyEnvironment(env);
    if (!spec)
      return EnvError(spec.error());
    auto it = env.find("EGRESS_HTTP_PROXY_DESTINATION");
    destination_line = "    destination: " + YamlQuote(it->second) + "\n";
  } else {
    destination_line = "    destination_file: " + YamlQuote(o.destination_file) + "\n";
  }
  std::string yaml = "admin:\n  listen: " + YamlQuote(o.admin) + "\n";
  if (o.workers > 0)
    yaml += "runtime:\n  workers: " + std::to_string(o.workers) + "\n";
  yaml += "egress:\n  http_proxy:\n    listen: " + YamlQuote(o.listen) + "\n" + destination_line;
  if (!o.hosts_file.empty())
    yaml += "    hosts_file: " + YamlQuote(o.hosts_file) + "\n";
  if (!o.nameservers.empty()) {
    yaml += "    nameservers:\n";
    for (const auto& n : o.nameservers)
      yaml += "      - " + YamlQuote(n) + "\n";
  }
  if (!o.access_log.empty())
    yaml += "    access_log: " + YamlQuote(o.access_log) + "\n";
  std::vector<ComponentSpec> specs;
  AddEgressSpec(specs);
  Server server(ConfigSource{"", yaml}, std::move(specs), Version());
  return server.Run();
}

// The admin/runtime head of a generated config.
std::string ServeHead(const EgressOptions& o) {
  std::string yaml = "admin:\n  listen: " + YamlQuote(o.admin) + "\n";
  if (o.workers > 0)
    yaml += "runtime:\n  workers: " + std::to_string(o.workers) + "\n";
  return yaml;
}

int ServeGenerated(const std::string& yaml) {
  std::vector<ComponentSpec> specs;
  AddEgressSpec(specs);
  Server server(ConfigSource{"", yaml}, std::move(specs), Version());
  return server.Run();
}

// The DNS proxy image (haproxy forwarding TCP ports to addresses or names):
// validate EGRESS_DNS_PROXY_DESTINATION as upstream, then serve it.
int RunDnsProxy(const EgressOptions& o, const egress::Environment& env) {
  std::string yaml = ServeHead(o) + "egress:\n  dns_proxy:\n";
  yaml += "    listen_address: " + YamlQuote(o.bind_address) + "\n";
  if (o.destination_file.empty()) {
    auto spec = egress::ParseDnsProxyEnvironment(env);
    if (!spec)
      return EnvError(spec.error());
    yaml +=
        "    destination: " + YamlQuote(env.find("EGRESS_DNS_PROXY_DESTINATION")->second) + "\n";
  } else {
    yaml += "    destination_file: " + YamlQuote(o.destination_file) + "\n";
  }
  if (!o.hosts_file.empty())
    yaml += "    hosts_file: " + YamlQuote(o.hosts_file) + "\n";
  if (!o.nameservers.empty()) {
    yaml += "    nameservers:\n";
    for (const auto& n : o.nameservers)
      yaml += "      - " + YamlQuote(n) + "\n";
  }
  if (!o.refresh_interval.empty())
    yaml += "    refresh_interval: " + YamlQuote(o.refresh_interval) + "\n";
  return ServeGenerated(yaml);
}

// Redirect mode, userspace engine (EGRESS_ROUTER_ENGINE=userspace, a vigie
// extension): the EGRESS_DESTINATION lines served by vigie's own listeners,
// for pods without NET_ADMIN. EGRESS_SOURCE, when set, is the address
// outgoing sockets bind; EGRESS_GATEWAY is not used (no routes are changed).
int RunUserspaceRedirect(const EgressOptions& o, const egress::Environment& env) {
  auto get = [&](const char* name) -> std::string {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  std::string yaml = ServeHead(o) + "egress:\n  redirect:\n";
  yaml += "    listen_address: " + YamlQuote(o.bind_address) + "\n";
  if (std::string source = get("EGRESS_SOURCE"); !source.empty()) {
    auto parsed = egress::forward::ParseSourceValue(source);
    if (!parsed)
      return EnvError(parsed.error());
    yaml += "    source: " + YamlQuote(parsed->ToString()) + "\n";
  }
  if (o.destination_file.empty()) {
    auto spec = egress::ParseEgressDestination(get("EGRESS_DESTINATION"));
    if (!spec)
      return EnvError(spec.error());
    yaml += "    destination: " + YamlQuote(get("EGRESS_DESTINATION")) + "\n";
  } else {
    yaml += "    destination_file: " + YamlQuote(o.destination_file) + "\n";
  }
  if (auto ports = egress::forward::ParsePortSet(o.fallback_ports); !ports) {
    std::fprintf(stderr, "--fallback-ports: %s\n", ports.error().ToString().c_str());
    return egress::kExitConfigError;
  }
  yaml += "    fallback_ports: " + YamlQuote(o.fallback_ports) + "\n";
  if (!o.udp_idle_timeout.empty())
    yaml += "    udp_idle_timeout: " + YamlQuote(o.udp_idle_timeout) + "\n";
  return ServeGenerated(yaml);
}

// The router image (init, legacy, unit-test): validate as upstream.
int RunRouter(const EgressOptions& o, const egress::Environment& env) {
  egress::ErrorLocation where;
  auto spec = egress::ParseRouterEnvironment(env, &where);
  if (!spec)
    return EnvError(spec.error());
  switch (spec->mode) {
    case egress::RouterMode::kUnitTest: {
      auto script = egress::BuildNftInstallScript(*spec->redirect, spec->source, o.router.nft);
      if (!script)
        return EnvError(script.error());
      std::fputs(script->c_str(), stdout);
      return egress::kExitOk;
    }
    case egress::RouterMode::kDnsProxy:  // handled by RunDnsProxy
    case egress::RouterMode::kHttpProxy:
      break;
    case egress::RouterMode::kInit:
    case egress::RouterMode::kLegacy: {
      egress::router::RouterOptions options = o.router;
      options.setup_network = !o.no_network_setup;
      return egress::router::RunRouterMode(*spec, options);
    }
  }
  return egress::kExitConfigError;
}

int RunEgress(const EgressOptions& o) {
  egress::Environment env = egress::ProcessEnvironment();
  auto mode = env.find("EGRESS_ROUTER_MODE");
  auto engine = env.find("EGRESS_ROUTER_ENGINE");
  bool dns_env = env.count("EGRESS_DNS_PROXY_DESTINATION") > 0;
  bool userspace = engine != env.end() && engine->second == "userspace";
  // --destination-file alone means the HTTP proxy's ACL, as before.
  bool proxy_env = env.count("EGRESS_HTTP_PROXY_DESTINATION") > 0 ||
                   (!o.destination_file.empty() && !dns_env && !userspace);
  if ((mode != env.end() && mode->second == "http-proxy") ||
      (mode == env.end() && proxy_env && env.count("EGRESS_DESTINATION") == 0)) {
    return RunHttpProxy(o, env);
  }
  if ((mode != env.end() && mode->second == "dns-proxy") ||
      (mode == env.end() && dns_env && env.count("EGRESS_DESTINATION") == 0)) {
    return RunDnsProxy(o, env);
  }
  if (engine != env.end() && !engine->second.empty()) {
    if (engine->second != "userspace" && engine->second != "nftables") {
      std::fprintf(stderr, "Unrecognized EGRESS_ROUTER_ENGINE '%s'\n", engine->second.c_str());
      return egress::kExitConfigError;
    }
    auto parsed_mode = egress::ParseRouterMode(mode == env.end() ? "" : mode->second);
    if (!parsed_mode)
      return EnvError(parsed_mode.error());
    if (engine->second == "userspace" &&
        (*parsed_mode == egress::RouterMode::kInit || *parsed_mode == egress::RouterMode::kLegacy))
      return RunUserspaceRedirect(o, env);
  }
  return RunRouter(o, env);
}

int RunCheck(const EgressOptions& o) {
  egress::proxy::HttpProxyConfig cfg;
  if (!o.config.empty()) {
    config::Diagnostics diag(o.config);
    std::vector<ComponentSpec> specs = AllComponents();
    auto loaded = LoadServeConfig(ConfigSource{o.config, ""}, specs, diag);
    if (!loaded) {
      std::fputs(diag.ToString().c_str(), stderr);
      return egress::kCheckExitError;
    }
    auto it = loaded->components.find("egress");
    auto* section = it == loaded->components.end()
                        ? nullptr
                        : dynamic_cast<const egress::EgressConfig*>(it->second.get());
    if (section == nullptr || !section->http_proxy) {
      std::fprintf(stderr, "%s: no egress.http_proxy section\n", o.config.c_str());
      return egress::kCheckExitError;
    }
    cfg = *section->http_proxy;
  } else {
    auto env = egress::ProcessEnvironment();
    if (!o.destination_file.empty()) {
      cfg.destination_file = o.destination_file;
      if (auto r = egress::proxy::LoadDestination(cfg); !r) {
        std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
        return egress::kCheckExitError;
      }
    } else {
      auto spec = egress::ParseHttpProxyEnvironment(env);
      if (!spec) {
        std::fprintf(stderr, "%s\n", spec.error().ToString().c_str());
        return egress::kCheckExitError;
      }
      cfg.spec = std::move(*spec);
    }
    cfg.hosts_file = o.hosts_file;
    for (const auto& n : o.nameservers) {
      auto a = ParseAddress(n, AddressOptions{.allow_any_host = false, .default_port = 53});
      if (!a) {
        std::fprintf(stderr, "--nameserver %s: %s\n", n.c_str(), a.error().ToString().c_str());
        return egress::kCheckExitError;
      }
      cfg.nameservers.push_back(*a);
    }
    if (auto r = egress::proxy::LoadHosts(cfg); !r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return egress::kCheckExitError;
    }
  }
  auto target = egress::ParseCheckTarget(o.target);
  if (!target) {
    std::fprintf(stderr, "%s: %s\n", o.target.c_str(), target.error().ToString().c_str());
    return egress::kCheckExitError;
  }
  egress::DestinationAcl acl(cfg.spec);
  std::vector<IpAddress> addresses;
  std::optional<egress::AclDecision> decision;
  if (target->address) {
    addresses.push_back(*target->address);
  } else {
    decision = acl.DecideByName(target->host);
    if (!decision && !o.no_resolve)
      addresses = egress::proxy::ResolveBlocking(
          target->host, std::make_shared<const egress::proxy::HttpProxyConfig>(cfg));
  }
  if (!decision)
    decision = acl.Decide(target->host, addresses);
  std::printf("%s\n", egress::FormatCheckResult(*target, *decision).c_str());
  return egress::CheckExitCode(*decision);
}

}  // namespace

void RegisterEgress(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<EgressOptions>();
  auto* cmd = app.add_subcommand(
      "egress",
      "OpenShift's egress router images as one command. Without a subcommand it reads the\n"
      "images' environment: EGRESS_ROUTER_MODE=http-proxy (or EGRESS_HTTP_PROXY_DESTINATION\n"
      "alone) runs the HTTP proxy with that ACL; init and legacy (the default) set up\n"
      "EGRESS_SOURCE/EGRESS_GATEWAY and install the EGRESS_DESTINATION NAT in nft table\n"
      "ip vigie_egress (legacy then waits for SIGTERM and removes it); unit-test prints it.\n"
      "EGRESS_ROUTER_ENGINE=userspace (vigie extension) serves EGRESS_DESTINATION with vigie's\n"
      "own TCP/UDP listeners instead (no NET_ADMIN; outgoing sockets bound to EGRESS_SOURCE).\n"
      "EGRESS_ROUTER_MODE=dns-proxy (or EGRESS_DNS_PROXY_DESTINATION alone) forwards TCP\n"
      "ports to addresses or names re-resolved as their TTL expires.\n"
      "Errors use upstream's messages and exit 1. For a vigie.yaml, use `vigie serve`\n"
      "with an `egress:` section. Reference: docs/egress.md.");
  cmd->add_option("--listen", o->listen,
                  "HTTP proxy address (upstream: port 8080 on all addresses; vigie binds\n"
                  "loopback unless told, e.g. --listen 0.0.0.0:8080 in a pod)")
      ->capture_default_str();
  cmd->add_option("--admin", o->admin, "Admin endpoint (/metrics, /healthz, POST /reload)")
      ->capture_default_str();
  cmd->add_option("--destination-file", o->destination_file,
                  "Read the list from this file instead of EGRESS_HTTP_PROXY_DESTINATION\n"
                  "(or, in the DNS proxy and userspace redirect, EGRESS_DNS_PROXY_DESTINATION /\n"
                  "EGRESS_DESTINATION); SIGHUP re-reads it (a mounted ConfigMap), keeping the\n"
                  "old list on error");
  cmd->add_option("--hosts-file", o->hosts_file,
                  "Resolve names from this hosts-format file first (never /etc/hosts); the DNS\n"
                  "proxy re-reads it every --refresh-interval");
  cmd->add_option("--nameserver", o->nameservers,
                  "Ask this DNS server (host[:port], repeatable) for names the hosts file does\n"
                  "not hold; with --hosts-file or --nameserver the system resolver is not used");
  cmd->add_option("--access-log", o->access_log,
                  "Write a Squid-format access log to this file ('-' for stdout)");
  cmd->add_option("--workers", o->workers, "Worker threads (default: one per core)");
  cmd->add_option("--nft-table", o->router.nft.table,
                  "Redirect mode: the nft table vigie owns (`table ip NAME`)")
      ->capture_default_str();
  cmd->add_option("--ingress-interface", o->router.nft.ingress_interface,
                  "Redirect mode: where redirected traffic arrives (upstream: eth0)")
      ->capture_default_str();
  cmd->add_option("--egress-interface", o->router.nft.egress_interface,
                  "Redirect mode: where EGRESS_SOURCE lives and SNAT applies (upstream: macvlan0)")
      ->capture_default_str();
  cmd->add_option("--bind-address", o->bind_address,
                  "DNS proxy and userspace redirect: the address every line's port is bound on\n"
                  "(upstream: all addresses; e.g. --bind-address 0.0.0.0 in a pod)")
      ->capture_default_str();
  cmd->add_option("--fallback-ports", o->fallback_ports,
                  "Userspace redirect: ports the fallback IP line serves, e.g.\n"
                  "\"80,443,8000-8100,53/udp\" (a userspace engine cannot catch all ports)")
      ->capture_default_str();
  cmd->add_option("--udp-idle-timeout", o->udp_idle_timeout,
                  "Userspace redirect: a UDP flow with no datagram either way for this long ends\n"
                  "(default 30s)");
  cmd->add_option("--refresh-interval", o->refresh_interval,
                  "DNS proxy: how often names answered by --hosts-file or the system resolver\n"
                  "are looked up again (DNS answers live their TTL; default 10s)");
  cmd->add_flag("--no-network-setup", o->no_network_setup,
                "Redirect mode: only install the nft rules; leave addresses and routes alone");
  cmd->callback([cmd, o, &exit_code] {
    if (cmd->get_subcommands().empty())
      exit_code = RunEgress(*o);
  });

  auto* check = cmd->add_subcommand(
      "check",
      "Print whether the HTTP proxy ACL allows TARGET, and the rule that decided:\n"
      "  vigie egress check http://perdu.com/  ->  deny http://perdu.com/ (line 1: !perdu.com)\n"
      "Reads EGRESS_HTTP_PROXY_DESTINATION (or --destination-file), or -c vigie.yaml.\n"
      "Names are resolved as the proxy would (--hosts-file, --nameserver, or the system\n"
      "resolver) when an address rule needs them. Exit status: 0 allow, 1 deny, 2 error.");
  check->add_option("TARGET", o->target, "URL or host[:port], [v6]:port, address")->required();
  check->add_option("-c,--config", o->config, "vigie.yaml with an egress.http_proxy section");
  check->add_option("--destination-file", o->destination_file, "ACL file (instead of the env)");
  check->add_option("--hosts-file", o->hosts_file, "Resolve names from this hosts file only");
  check->add_option("--nameserver", o->nameservers, "Ask this DNS server (repeatable)");
  check->add_flag("--no-resolve", o->no_resolve,
                  "Do not resolve names: address rules then match nothing (as in Squid)");
  check->callback([o, &exit_code] { exit_code = RunCheck(*o); });
}

void AddEgressSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(egress::EgressComponentSpec());
}

}  // namespace vigie::cli
