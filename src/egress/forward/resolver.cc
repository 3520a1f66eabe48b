// Resolving forwarder destinations with TTLs, through core's Resolver.
#include "egress/forward/resolver.h"

#include <algorithm>

namespace vigie::egress::forward {
namespace {

// Neither a hosts file nor nameservers: the machine's sources, whose answers
// the forwarder keeps `refresh_interval` as it kept getaddrinfo's.
bool UsesSystemSources(const ForwarderConfig& config) {
  return config.hosts_file.empty() && config.nameservers.empty();
}

Resolution ToResolution(Result<HostAddresses> answer, const ForwarderConfig& config) {
  Resolution out;
  if (!answer) {
    out.error = answer.error().ToString();
    return out;
  }
  for (const IpAddress& a : answer->addresses) {
    IpAddress ip = a.Unmapped();
    if (std::find(out.addresses.begin(), out.addresses.end(), ip) == out.addresses.end()) {
      out.addresses.push_back(ip);
    }
  }
  out.ok = !out.addresses.empty();
  out.ttl = UsesSystemSources(config) ? config.refresh_interval : answer->ttl;
  return out;
}

}  // namespace

ResolverOptions ForwarderResolverOptions(const ForwarderConfig& config) {
  ResolverOptions o;
  if (!UsesSystemSources(config)) {
    o.servers = config.nameservers;
    o.hosts_file = config.hosts_file;
    o.resolv_conf.clear();
  }
  o.timeout = config.resolve_timeout;
  if (!config.nameservers.empty()) {
    o.try_timeout = config.resolve_timeout / static_cast<int>(config.nameservers.size());
    o.attempts = 1;
  }
  o.min_ttl = config.min_ttl;
  o.max_ttl = config.max_ttl;
  o.local_ttl = config.refresh_interval;
  o.cache_entries = 0;
  return o;
}

std::shared_ptr<Resolver> MakeForwarderResolver(const ForwarderConfig& config) {
  return std::make_shared<Resolver>(ForwarderResolverOptions(config));
}

net::Awaitable<Resolution> ResolveName(std::string name, std::shared_ptr<Resolver> resolver,
                                       std::shared_ptr<const ForwarderConfig> config) {
  auto answer = co_await resolver->Lookup(std::move(name), LookupFamily::kAny);
  co_return ToResolution(std::move(answer), *config);
}

Resolution ResolveNameBlocking(const std::string& name, Resolver& resolver,
                               const ForwarderConfig& config) {
  return ToResolution(resolver.LookupBlocking(name, LookupFamily::kAny), config);
}

}  // namespace vigie::egress::forward
