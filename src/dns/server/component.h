// The dns component `vigie serve` runs: UDP and TCP listeners on every
// worker (SO_REUSEPORT), answering from a policy snapshot swapped on list
// refresh and reload, a shared cache, and forwarding to the upstreams with
// spoofing-resistant matching and in-flight query joining. What `vigie dns`
// does besides serving is in cli.h.
//
// Thread rules: the Component methods run on the control thread (component.h);
// queries run on the workers; list downloads and policy builds run on the
// component's own refresher thread.
#pragma once

#include "core/component.h"
#include "dns/server/config.h"

namespace vigie::dns {

// The spec for `vigie serve`'s `dns:` section.
ComponentSpec DnsComponentSpec();

}  // namespace vigie::dns
