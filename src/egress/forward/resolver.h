// Name resolution for forwarder destinations, with a lifetime for each
// answer, through core's Resolver: the hosts file (re-read when it changes;
// answers live `refresh_interval`), else the nameservers (answers live their
// smallest TTL, clamped to min_ttl..max_ttl), else what the machine's
// resolver would use (/etc/hosts and resolv.conf; answers live
// `refresh_interval`).
//
// Thread rules: a Resolver made by MakeForwarderResolver may be shared by
// coroutines on any io_context; the config is an immutable snapshot.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/resolver.h"
#include "egress/forward/config.h"

namespace vigie::egress::forward {

struct Resolution {
  bool ok = false;                   // an answer with at least one address
  std::vector<IpAddress> addresses;  // unique, IPv4 first, IPv4-mapped ones unmapped
  Duration ttl{};                    // how long the answer may be used
  std::string error;                 // when !ok: why, for the log
};

// The resolver settings of `config`: servers = nameservers (each waited
// resolve_timeout / their number, one try), hosts_file as configured; with
// either, /etc/hosts and resolv.conf are never read. TTLs clamped to
// min_ttl..max_ttl, hosts answers living refresh_interval, no cache (the
// forwarder's refresh loop keeps each answer its TTL).
ResolverOptions ForwarderResolverOptions(const ForwarderConfig& config);

// One Resolver for one config's names.
std::shared_ptr<Resolver> MakeForwarderResolver(const ForwarderConfig& config);

net::Awaitable<Resolution> ResolveName(std::string name, std::shared_ptr<Resolver> resolver,
                                       std::shared_ptr<const ForwarderConfig> config);

// The same, blocking the calling thread at most resolve_timeout (start-up
// and reload).
Resolution ResolveNameBlocking(const std::string& name, Resolver& resolver,
                               const ForwarderConfig& config);

}  // namespace vigie::egress::forward
