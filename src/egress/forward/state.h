// The forwarder's state shared by its listeners, its health checks and the
// component: the metrics list, the current snapshot and health view, and the
// control thread's bookkeeping (listeners by port, name targets, running
// checks). Internal to egress/forward.
//
// Thread rules: `snapshot` and `health` are swapped whole on the control
// thread and read by workers; what is marked "control thread only" is
// touched there alone.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "core/accept.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/task.h"
#include "egress/forward/forwarder.h"
#include "egress/forward/snapshot.h"

namespace vigie::egress::forward {

#define VIGIE_EGRESS_FORWARD_METRICS(COUNTER, GAUGE, HISTOGRAM)                              \
  COUNTER(connections_refused_total, "Connections closed at accept (max_connections)")       \
  COUNTER(resolve_errors_total, "Failed resolutions of destination names (old answer kept)") \
  COUNTER(resolve_changes_total, "Resolutions that changed a destination's addresses")       \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")                    \
  COUNTER(health_checks_total, "Active TCP checks of destination addresses run")             \
  COUNTER(health_changes_total, "Checked destination addresses that went DOWN or came back UP")

VIGIE_DECLARE_METRICS(ForwardMetrics, "vigie_egress_forward_", VIGIE_EGRESS_FORWARD_METRICS);

// A UDP port on one worker: its socket and flows, touched only on that
// worker (listeners.cc).
struct UdpPort;
// The check loop and state of one address (checks.cc).
struct CheckedAddress;

struct Forwarder::Shared {
  Shared(metrics::Registry& r, ForwardMode mode, net::asio::io_context& control_ctx)
      : registry(r), m(r, {{"mode", std::string(ForwardModeName(mode))}}), control(control_ctx) {}
  metrics::Registry& registry;
  ForwardMetrics m;
  net::asio::io_context& control;
  std::shared_ptr<spdlog::logger> log = log::Get("egress");
  std::atomic<std::shared_ptr<const Snapshot>> snapshot;
  std::atomic<std::shared_ptr<const HealthView>> health;
  // max_connections of the current snapshot, shared by every TCP line.
  std::shared_ptr<net::ConnectionLimit> limit = std::make_shared<net::ConnectionLimit>();
  std::atomic<bool> stopping{false};
  // Control thread only.
  struct Listener {
    ListenKey key;
    Address address;
    std::vector<std::shared_ptr<net::tcp::acceptor>> acceptors;  // one per worker
    std::vector<std::shared_ptr<UdpPort>> udp;                   // one per worker
    bool started = false;
  };
  std::map<ListenKey, Listener> listeners;
  std::map<std::string, std::shared_ptr<Target>> targets;  // by name
  std::map<ListenKey, std::shared_ptr<std::atomic<int>>> udp_flow_counts;
  std::map<CheckKey, std::shared_ptr<CheckedAddress>> checks;  // running; `health` mirrors them
  std::set<CheckKey> address_series;   // every address given series, for the cap
  bool address_series_capped = false;  // logged once
};

using Shared = Forwarder::Shared;
using SharedPtr = std::shared_ptr<Shared>;

// The completion handler of a coroutine the forwarder spawns.
net::TaskDone Task(const Shared& shared, std::string what);

}  // namespace vigie::egress::forward
