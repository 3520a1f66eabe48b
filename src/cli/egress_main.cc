// `vigie egress`: the OpenShift egress images as one subcommand (the HTTP
// proxy from EGRESS_HTTP_PROXY_DESTINATION, the DNS proxy, the router from
// EGRESS_DESTINATION), `vigie egress check TARGET`, and the `egress:` section
// of `vigie serve`. The work is in egress/cli.h.
#include "cli/commands.h"
#include "cli/flags.h"
#include "egress/cli.h"
#include "egress/egress.h"

namespace vigie::cli {

void RegisterEgress(CLI::App& app, int& exit_code) {
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
  struct Flags {
    ServeFlags serve;
    egress::ImageOptions image;
  };
  auto f = std::make_shared<Flags>();
  auto& o = f->image;
  // No -c: a vigie.yaml with an egress: section is `vigie serve`'s.
  const ServeFlagsSpec spec{.config_help = ""};
  AddServeFlags(*cmd, f->serve, spec);
  cmd->add_option("--listen", o.listen,
                  "HTTP proxy address (upstream: port 8080 on all addresses; vigie binds\n"
                  "loopback unless told, e.g. --listen 0.0.0.0:8080 in a pod)")
      ->capture_default_str();
  cmd->add_option("--destination-file", o.destination_file,
                  "Read the list from this file instead of EGRESS_HTTP_PROXY_DESTINATION\n"
                  "(or, in the DNS proxy and userspace redirect, EGRESS_DNS_PROXY_DESTINATION /\n"
                  "EGRESS_DESTINATION); SIGHUP re-reads it (a mounted ConfigMap), keeping the\n"
                  "old list on error");
  cmd->add_option("--hosts-file", o.hosts_file,
                  "Resolve names from this hosts-format file first (never /etc/hosts); the DNS\n"
                  "proxy re-reads it every --refresh-interval");
  cmd->add_option("--nameserver", o.nameservers,
                  "Ask this DNS server (host[:port], repeatable) for names the hosts file does\n"
                  "not hold; with --hosts-file or --nameserver the system resolver is not used");
  cmd->add_option("--access-log", o.access_log,
                  "Write a Squid-format access log to this file ('-' for stdout)");
  cmd->add_option("--nft-table", o.router.nft.table,
                  "Redirect mode: the nft table vigie owns (`table ip NAME`)")
      ->capture_default_str();
  cmd->add_option("--ingress-interface", o.router.nft.ingress_interface,
                  "Redirect mode: where redirected traffic arrives (upstream: eth0)")
      ->capture_default_str();
  cmd->add_option("--egress-interface", o.router.nft.egress_interface,
                  "Redirect mode: where EGRESS_SOURCE lives and SNAT applies (upstream: macvlan0)")
      ->capture_default_str();
  cmd->add_option("--bind-address", o.bind_address,
                  "DNS proxy and userspace redirect: the address every line's port is bound on\n"
                  "(upstream: all addresses; e.g. --bind-address 0.0.0.0 in a pod)")
      ->capture_default_str();
  cmd->add_option("--fallback-ports", o.fallback_ports,
                  "Userspace redirect: ports the fallback IP line serves, e.g.\n"
                  "\"80,443,8000-8100,53/udp\" (a userspace engine cannot catch all ports)")
      ->capture_default_str();
  cmd->add_option("--udp-idle-timeout", o.udp_idle_timeout,
                  "Userspace redirect: a UDP flow with no datagram either way for this long ends\n"
                  "(default 30s)");
  cmd->add_option("--refresh-interval", o.refresh_interval,
                  "DNS proxy: how often names answered by --hosts-file or the system resolver\n"
                  "are looked up again (DNS answers live their TTL; default 10s)");
  cmd->add_flag("--no-network-setup", o.no_network_setup,
                "Redirect mode: only install the nft rules; leave addresses and routes alone");
  cmd->callback([cmd, f, spec, &exit_code] {
    if (!cmd->get_subcommands().empty()) {
      return;
    }
    egress::ImageRun run = egress::PlanImage(f->image, egress::ProcessEnvironment());
    if (!run.serve) {
      exit_code = run.run();
      return;
    }
    std::vector<ComponentSpec> specs;
    AddEgressSpec(specs);
    exit_code = Serve(ServeSource(f->serve, spec, *run.serve), specs, {}, "egress");
  });
  RegisterEgressCheck(cmd, exit_code);
}

void AddEgressSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(egress::EgressComponentSpec());
}

}  // namespace vigie::cli
