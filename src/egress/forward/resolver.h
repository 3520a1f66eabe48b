// Name resolution for forwarder destinations, with a lifetime for each
// answer: the hosts file (re-read on every call, answers live
// `refresh_interval`), else the nameservers (A then AAAA over UDP; answers
// live their smallest TTL, clamped to min_ttl..max_ttl), else the system
// resolver (answers live `refresh_interval`).
//
// Thread rules: a coroutine for any io_context; the config is an immutable
// snapshot.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/net.h"
#include "egress/forward/config.h"

namespace vigie::egress::forward {

struct Resolution {
  bool ok = false;                   // an answer with at least one address
  std::vector<IpAddress> addresses;  // unique, in answer order
  Duration ttl{};                    // how long the answer may be used
  std::string error;                 // when !ok: why, for the log
};

net::Awaitable<Resolution> ResolveName(std::string name,
                                       std::shared_ptr<const ForwarderConfig> config);

// The same, blocking the calling thread (start-up and reload).
Resolution ResolveNameBlocking(const std::string& name,
                               std::shared_ptr<const ForwarderConfig> config);

}  // namespace vigie::egress::forward
