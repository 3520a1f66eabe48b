// Renders the upstream scripts' generated configuration from typed specs.
#include "egress/spec/upstream_render.h"

namespace vigie::egress {

std::string RenderUpstreamNftRules(const RedirectSpec& spec, const IpAddress& snat_source) {
  std::string out;
  constexpr std::string_view kPrefix = "add rule ip nat prerouting iifname \"eth0\" ";
  for (const RedirectRule& rule : spec.rules) {
    out += kPrefix;
    out += ProtocolName(rule.protocol);
    out += " dport " + std::to_string(rule.local_port) + " dnat to " + rule.destination.ToString();
    if (rule.remote_port_written) {
      out += ":" + std::to_string(rule.remote_port);
    }
    out += "\n";
  }
  if (spec.fallback) {
    out += std::string(kPrefix) + "dnat to " + spec.fallback->destination.ToString() + "\n";
  }
  out +=
      "add rule ip nat postrouting oifname \"macvlan0\" snat to " + snat_source.ToString() + "\n";
  return out;
}

std::string RenderUpstreamSquidAcl(const HttpProxySpec& spec) {
  std::string out;
  for (const ProxyRule& rule : spec.rules) {
    std::string acl = "dest" + std::to_string(rule.number);
    out += "\nacl " + acl + (rule.kind == ProxyRuleKind::kAddress ? " dst " : " dstdomain ") +
           rule.token + "\n";
    out += "http_access " + std::string(AclActionName(rule.action)) + " " + acl + "\n";
  }
  out += spec.wildcard ? "\nhttp_access allow all\n" : "\nhttp_access deny all\n";
  return out;
}

std::string RenderUpstreamHaproxyProxies(const DnsProxySpec& spec,
                                         const std::function<int(std::string_view)>& server_count) {
  std::string out;
  for (const DnsProxyRule& rule : spec.rules) {
    std::string n = std::to_string(rule.number);
    std::string resolvers;
    std::string server = "server dest1";
    if (!rule.address) {
      resolvers = "resolvers dns-resolver resolve-prefer ipv4";
      int count = server_count(rule.target);
      if (count > 1) {
        server = "server-template dest " + std::to_string(count);
      }
    }
    out += "\nfrontend fe" + n + "\n    bind :" + std::to_string(rule.port) +
           "\n    default_backend be" + n + "\n\nbackend be" + n + "\n    " + server + " " +
           rule.target + ":" + std::to_string(rule.target_port) + " check " + resolvers + "\n\n";
  }
  return out;
}

}  // namespace vigie::egress
