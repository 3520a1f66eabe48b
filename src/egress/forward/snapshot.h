// What the forwarder's workers read: the lines of one config as routes keyed
// by (protocol, port), each with its per-line metrics and, for a name, the
// Target whose addresses the control thread keeps resolved; which checked
// addresses are UP (HealthView). And the decisions over them that do no I/O:
// the addresses a new connection tries, the addresses the health checks
// watch, and the names of listeners, destinations and resolver settings.
//
// Thread rules: BuildSnapshot runs on the control thread; a built Snapshot
// is immutable (a Target's rotation is thread-safe; its timer is the
// control thread's). The functions below are pure but for the rotation they
// read.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/ip.h"
#include "core/metrics.h"
#include "core/net.h"
#include "egress/forward/config.h"
#include "egress/forward/rotation.h"

namespace vigie::egress::forward {

#define VIGIE_EGRESS_LINE_METRICS(COUNTER, GAUGE, HISTOGRAM)                                  \
  COUNTER(connections_total, "TCP connections accepted and UDP flows started, per line")      \
  GAUGE(connections_active, "TCP connections and UDP flows open, per line")                   \
  COUNTER(errors_total,                                                                       \
          "Connections or flows that could not be forwarded or ended on an error, per line")  \
  COUNTER(connect_failures_total, "Failed attempts to reach a destination address, per line") \
  COUNTER(client_received_bytes_total, "Bytes from clients to the destination, per line")     \
  COUNTER(client_sent_bytes_total, "Bytes from the destination to clients, per line")         \
  HISTOGRAM(connect_seconds, "Time to connect to the destination, per line",                  \
            metrics::kLatencyBuckets)

VIGIE_DECLARE_METRICS(LineMetrics, "vigie_egress_line_", VIGIE_EGRESS_LINE_METRICS);

struct ListenKey {
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;
  friend auto operator<=>(const ListenKey&, const ListenKey&) = default;
};

// A destination name, re-resolved on the control thread as answers expire.
struct Target {
  std::string name;
  std::string resolver_key;  // reused across reloads only with the same resolver settings
  AddressRotation rotation;
  std::atomic<bool> stopped{false};
  std::unique_ptr<net::asio::steady_timer> timer;
};

struct Route {
  ForwardLine line;
  std::shared_ptr<Target> target;  // name destinations; null for an address
  std::shared_ptr<LineMetrics> m;
  std::shared_ptr<std::atomic<int>> udp_flows;
  std::string destination;  // "127.0.0.5:80" or "example.com:8080", for logs
};

struct Snapshot {
  std::shared_ptr<const ForwarderConfig> config;
  std::map<ListenKey, Route> routes;
};

// One address of a TCP destination, as the active checks see it.
struct CheckKey {
  IpAddress address;
  uint16_t port = 0;
  friend auto operator<=>(const CheckKey&, const CheckKey&) = default;
};

// What workers consult when picking an address: whether each checked
// (address, port) is UP. An address not in it counts as UP.
using HealthView = std::map<CheckKey, std::shared_ptr<const std::atomic<bool>>>;

// A snapshot for a config, and the name targets it uses.
struct BuiltSnapshot {
  std::shared_ptr<Snapshot> snapshot;
  std::map<std::string, std::shared_ptr<Target>> targets;  // by name, every name of the list
  std::vector<std::shared_ptr<Target>> new_targets;        // to resolve, then keep resolved
};

// The routes of `config`'s lines, each with its LineMetrics (labels mode,
// proto, port, destination) in `registry`. A name keeps its Target from
// `old_targets` when the resolver settings (ResolverKey) are the same;
// otherwise it gets a new one, with a timer on `control`. A port's count of
// UDP flows is taken from `udp_flow_counts` (created there when new), so it
// carries over reloads.
BuiltSnapshot BuildSnapshot(
    std::shared_ptr<const ForwarderConfig> config, metrics::Registry& registry,
    net::asio::io_context& control,
    const std::map<std::string, std::shared_ptr<Target>>& old_targets,
    std::map<ListenKey, std::shared_ptr<std::atomic<int>>>& udp_flow_counts);

// The addresses a new connection tries, in order; at most config.retries.
// With `health` (TCP lines under active checks), a name's DOWN addresses
// are left out while one of its addresses is UP; when none is, every address
// is tried as without checks (docs/egress.md says why). An address line is
// always tried: it has nothing to fall back to. With a source address, only
// addresses of its family.
std::vector<IpAddress> CandidatesFor(const Route& route, const ForwarderConfig& cfg,
                                     const HealthView* health,
                                     std::chrono::steady_clock::time_point now);

// What the active checks watch for `snap` (nothing when checks are off):
// every resolved address of the source's family (the only ones tried) of
// every TCP name destination, and every TCP address destination, each
// (address, port) once, with the names it stands for.
std::map<CheckKey, std::set<std::string>> WantedChecks(const Snapshot& snap);

// " (a.example, b.example)" for a checked address's log lines; empty
// without names.
std::string CheckLabel(const std::set<std::string>& names);

// "10.0.0.1:53", "[2001:db8::1]:53".
std::string HostPort(const IpAddress& ip, uint16_t port);
// "egress-redirect-tcp-8080".
std::string ListenerName(ForwardMode mode, const ListenKey& key);
// The resolver settings of `c`: targets are reused across reloads only
// while it stays the same.
std::string ResolverKey(const ForwarderConfig& c);
// "10.0.0.1, 10.0.0.2", or "(none)".
std::string JoinAddresses(const std::vector<IpAddress>& addresses);

}  // namespace vigie::egress::forward
