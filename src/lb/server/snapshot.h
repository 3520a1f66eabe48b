// From a config to what the workers run: the servers' addresses (names
// resolved through core's Resolver, as haproxy's default `init-addr libc`),
// then the immutable Snapshot (frontends, backends with their ServerPool,
// servers), carrying each server's runtime state over from the snapshot it
// replaces; and HideMissing, which takes the metrics of what no longer runs
// out of /metrics.
//
// Thread rules: control thread (start and reload). BuildSnapshot does no
// I/O; ResolveServerAddresses blocks while a name is looked up.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/ip.h"
#include "core/metrics.h"
#include "core/resolver.h"
#include "lb/server/config.h"
#include "lb/server/state.h"

namespace vigie::lb {

// The address of each server: [backend][server], in the model's order.
using ServerAddresses = std::vector<std::vector<IpAddress>>;

// Whether this host can send to `address` (has a route and a source address
// for it).
using Reachable = std::function<bool(const IpAddress&)>;

// The address lb connects to out of a name's `addresses` (not empty): as
// haproxy prefers IPv6 (`resolve-prefer` defaults to ipv6), the first IPv6
// address `reachable` accepts, else the first IPv4 address, else the first
// address. (getaddrinfo, which haproxy's `init-addr libc` calls, likewise
// puts IPv6 first only where the host can reach it, RFC 6724 rule 1.)
IpAddress PreferredAddress(std::span<const IpAddress> addresses, const Reachable& reachable);

// The system's answer for `reachable`: a UDP socket connect(2)s to the
// address (no packet is sent), as glibc's getaddrinfo sorts its answers.
bool RouteExists(const IpAddress& address);

// Every server's address: an IP literal as is, a name through `resolver`
// (hosts file, then DNS; A and AAAA) and PreferredAddress. Errors: the
// resolver's, with a context naming the backend and the server, for the
// first name that does not resolve.
Result<ServerAddresses> ResolveServerAddresses(const haproxy_cfg::Config& model, Resolver& resolver,
                                               const Reachable& reachable = RouteExists);

// The snapshot of `cfg`, with `addresses` from ResolveServerAddresses (same
// shape as cfg.model's backends and servers), metrics registered in
// `metrics`, session lists for `workers` workers. For a backend, server or
// frontend of the same name in `old` (the running snapshot, may be null) it
// carries over: health state (when rise and fall are unchanged), last change
// and downtime, peaks, admin state (unless the config disables the server),
// a runtime weight (unless the configured weight changed), and a frontend's
// maxconn gate when its maxconn is unchanged (connections in flight still
// count). The metrics series are shared with `old`'s (same names and
// labels); gauges are left for the caller to set when it commits. Errors
// (before any metric is registered): a frontend without a backend and
// without monitor-uri.
Result<std::shared_ptr<Snapshot>> BuildSnapshot(const LbConfig& cfg,
                                                const ServerAddresses& addresses,
                                                const Snapshot* old, metrics::Registry& metrics,
                                                std::size_t workers);

// Hides the series of what `gone` has and `kept` (when not null) has not, by
// the names the series are labelled with.
void HideMissing(const Snapshot& gone, const Snapshot* kept);

}  // namespace vigie::lb
