// The forwarder's active health checks (haproxy's `check` with rise/fall):
// one loop per (address, port) of the TCP destinations, on the control
// thread, a TCP connect bound to `source`; each result goes through core's
// HealthCounter, and the UP flags reach workers as the shared HealthView.
// Internal to egress/forward.
//
// Thread rules: control thread only.
#pragma once

#include "egress/forward/state.h"

namespace vigie::egress::forward {

// Makes the running checks match the current snapshot (WantedChecks).
// Existing checks keep their state (a reload, a new DNS answer that keeps
// the address); new ones start UP and are checked at once; checks of
// addresses no longer wanted stop. Then publishes the new HealthView.
void SyncChecks(const SharedPtr& shared);

// Ends one address's check loop and takes its series out of /metrics.
void StopCheck(CheckedAddress& c);

}  // namespace vigie::egress::forward
