// The egress TCP/UDP forwarder: the DNS proxy mode (upstream's haproxy
// image) and the userspace redirect engine (upstream's nftables DNAT, for
// pods without NET_ADMIN). One listener per line — on every worker, with
// SO_REUSEPORT — forwarding to an address or to a name re-resolved as its
// answers expire; outgoing sockets bound to `source` (EGRESS_SOURCE); UDP
// flows keyed by client address with an idle timeout; per-line metrics and a
// log line per closed connection or flow; active TCP checks of every
// address of every TCP destination (haproxy's rise/fall), new connections
// going to UP addresses.
//
// Thread rules: Start, Reload, Stop and Listeners run on the control thread,
// where names are also re-resolved and addresses health-checked. Workers
// read the current lines, and which addresses are UP, as immutable
// snapshots when a connection or flow starts, so a reload applies to new
// connections while established ones keep what they started with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/component.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "egress/forward/config.h"

namespace vigie::egress::forward {

class Forwarder {
 public:
  Forwarder(Runtime& runtime, metrics::Registry& registry, ForwardMode mode);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Resolves the name destinations once (bounded by resolve_timeout each; a
  // name that does not resolve yet is retried in the background), binds
  // every line's port and starts serving. Errors: a port cannot be bound.
  [[nodiscard]] Result<void> Start(std::shared_ptr<const ForwarderConfig> config);
  // Applies a new list: new ports are bound (all or none: on error the old
  // list stays), removed ports stop accepting, and new connections follow
  // the new destinations. Established connections and flows are untouched.
  // Changing listen_address needs a restart and is refused.
  // Prepared: the new ports are bound and new names resolved; Commit
  // serves them.
  [[nodiscard]] Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const ForwarderConfig> config);
  // Stops accepting, ends UDP flows, the re-resolution timers and the
  // health checks; TCP connections in flight drain.
  void Stop();
  // "egress-redirect-tcp-8080 127.0.0.1:8080", one per listening port.
  std::vector<std::string> Listeners() const;

  struct Shared;

 private:
  Result<std::unique_ptr<PreparedReload>> Prepare(std::shared_ptr<const ForwarderConfig> config);

  Runtime& runtime_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace vigie::egress::forward
