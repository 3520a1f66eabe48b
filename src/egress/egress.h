// The egress component as `vigie serve` and `vigie egress` run it: the
// `egress:` config section and the Component that starts the HTTP proxy,
// the DNS proxy and the userspace redirect engine.
//
// Thread rules: as core/component.h (control thread only).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/component.h"
#include "egress/forward/config.h"
#include "egress/proxy/config.h"
#include "egress/spec/spec.h"

namespace vigie::egress {

// The `egress:` section of vigie.yaml.
struct EgressConfig : ComponentConfig {
  std::optional<proxy::HttpProxyConfig> http_proxy;
  std::optional<forward::ForwarderConfig> dns_proxy;  // EGRESS_DNS_PROXY_DESTINATION
  std::optional<forward::ForwarderConfig> redirect;   // EGRESS_DESTINATION, userspace engine
};

bool ParseValue(const config::Field& f, EgressConfig& out);

// The ComponentSpec `vigie serve` registers under "egress".
ComponentSpec EgressComponentSpec();

// `vigie egress` without a config: the HTTP proxy settings from the images'
// environment (EGRESS_HTTP_PROXY_DESTINATION). On error, the upstream message
// (e.g. "No EGRESS_HTTP_PROXY_DESTINATION specified").
Result<proxy::HttpProxyConfig> HttpProxyConfigFromEnvironment(const Environment& env);

// The process environment as an Environment map.
Environment ProcessEnvironment();

}  // namespace vigie::egress
