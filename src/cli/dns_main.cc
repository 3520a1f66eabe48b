// `vigie dns`: run the lying DNS forwarder standalone (from a config file or
// from dnsmasq-style flags); its `why` and `top` are dns_why_main.cc and
// dns_top_main.cc. Also the `dns:` ComponentSpec for `vigie serve`.
#include <cstdio>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/server.h"
#include "dns/server/component.h"

namespace vigie::cli {

void RegisterDns(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "dns",
      "Run the lying DNS forwarder: a caching forwarder that answers locally for names on\n"
      "block lists (files or http:// URLs, re-downloaded on a schedule).\n"
      "  vigie dns -c vigie.yaml                 (runs the file's dns: section)\n"
      "  vigie dns --upstream 192.168.1.1 --block http://example.org/hosts --block my.txt\n"
      "  vigie dns why ads.example.com -c vigie.yaml   (which list and line blocks it)\n"
      "  vigie dns top -n 20                     (most blocked names, from the running one)\n"
      "Prints 'listening: dns-udp ADDR' / 'dns-tcp ADDR'. SIGHUP re-reads the config and\n"
      "the lists. Listens on 127.0.0.1:5353 unless told otherwise (port 53 needs root).");
  struct Flags {
    ServeFlags serve;
    dns::DnsFlags dns;
  };
  auto f = std::make_shared<Flags>();
  const ServeFlagsSpec spec{.config_help =
                                "Config file (its dns:, admin:, log:, runtime: sections)"};
  CLI::Option* config = AddServeFlags(*cmd, f->serve, spec);
  std::vector<CLI::Option*> own = {
      cmd->add_option("--listen", f->dns.listen, "Address to listen on, UDP and TCP. Repeatable"),
      cmd->add_option("--upstream", f->dns.upstreams,
                      "Upstream server IP[:port], or tls://IP[:port][#name] for DNS over TLS\n"
                      "(certificate checked against the system store), tried in order. "
                      "Repeatable"),
      cmd->add_option("--block-mode", f->dns.block_mode,
                      "nxdomain (default), null (0.0.0.0 / ::), refused, nodata, or an IP "
                      "address"),
      cmd->add_option("--refresh", f->dns.refresh, "How often lists are re-read (default 24h)"),
      cmd->add_option("--state-dir", f->dns.state_dir,
                      "Where the last good copy of each URL list is kept"),
  };
  for (CLI::Option* o : AddDnsListFlags(cmd, f->dns)) {
    own.push_back(o);
  }
  for (CLI::Option* o : own) {
    o->excludes(config);
  }

  RegisterDnsWhy(cmd, exit_code);
  RegisterDnsTop(cmd, exit_code);
  cmd->callback([cmd, f, spec, &exit_code] {
    if (!cmd->get_subcommands().empty()) {
      return;
    }
    if (f->serve.config.empty() && f->dns.upstreams.empty()) {
      std::fputs(cmd->help().c_str(), stderr);
      std::fputs("\nvigie dns: give -c FILE, or at least --upstream ADDR\n", stderr);
      exit_code = 2;
      return;
    }
    config::Overlay overlay;
    if (f->serve.config.empty()) {
      overlay = dns::FlagsOverlay(f->dns);
    }
    exit_code = Serve(ServeSource(f->serve, spec, overlay), OnlySpecs("dns"), {}, "dns");
  });
}

std::vector<CLI::Option*> AddDnsListFlags(CLI::App* cmd, dns::DnsFlags& f) {
  return {cmd->add_option("--block", f.block,
                          "Block list: a file or an http:// URL (hosts, domains, adblock, "
                          "unbound or\ndnsmasq syntax, detected per line). Repeatable"),
          cmd->add_option("--allow", f.allow, "Allow list (beats every block list). Repeatable")};
}

void AddDnsSpec(std::vector<ComponentSpec>& specs) {
  specs.push_back(dns::DnsComponentSpec());
}

}  // namespace vigie::cli
