// The dns component `vigie serve` runs: UDP and TCP listeners on every
// worker (SO_REUSEPORT), answering from a policy snapshot swapped on list
// refresh and reload, a shared cache, and forwarding to the upstreams with
// spoofing-resistant matching and in-flight query joining. Also what
// `vigie dns why` needs offline.
//
// Thread rules: the Component methods run on the control thread (component.h);
// queries run on the workers; list downloads and policy builds run on the
// component's own refresher thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/component.h"
#include "dns/server/config.h"

namespace vigie::dns {

// The spec for `vigie serve`'s `dns:` section.
ComponentSpec DnsComponentSpec();

// Loads the lists of `config` (files, URLs, last good copies) and explains
// the decision for `name`: blocked/allowed/local/none, with list, line and
// rule. Returns the text and whether the name is blocked.
struct WhyAnswer {
  std::string text;
  bool blocked = false;
};
WhyAnswer ExplainOffline(const DnsConfig& config, std::string_view name);

}  // namespace vigie::dns
