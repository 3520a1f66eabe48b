// The egress HTTP proxy: a forward proxy for absolute-URI HTTP/1.x requests
// and CONNECT tunnels, deciding with the EGRESS_HTTP_PROXY_DESTINATION ACL.
// One listening socket per worker (SO_REUSEPORT); a connection stays on its
// worker. The request path is in src/egress/README.md.
//
// Thread rules: Start, Reload, Stop and bound() are called on the control
// thread. Workers read the current settings as an immutable snapshot, taken
// afresh for every request, so a reload applies to the next request while
// tunnels and requests in flight continue on what they started with.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/component.h"
#include "core/error.h"
#include "core/ip.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "egress/proxy/config.h"

namespace vigie::egress::proxy {

// Resolves `host` exactly as the proxy does (a core Resolver with
// ProxyResolverOptions), blocking the calling thread at most
// resolve_timeout; for `vigie egress check`. Empty when it does not resolve.
std::vector<IpAddress> ResolveBlocking(const std::string& host,
                                       std::shared_ptr<const HttpProxyConfig> config);

class HttpProxy {
 public:
  HttpProxy(Runtime& runtime, metrics::Registry& registry);
  ~HttpProxy();
  HttpProxy(const HttpProxy&) = delete;
  HttpProxy& operator=(const HttpProxy&) = delete;

  // Binds the listener on every worker and starts accepting. Errors: the
  // address cannot be bound, the access log cannot be opened.
  [[nodiscard]] Result<void> Start(std::shared_ptr<const HttpProxyConfig> config);
  // Prepares new settings for the next requests (Commit swaps them in).
  // Changing `listen` needs a restart and is refused (the old settings stay).
  [[nodiscard]] Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const HttpProxyConfig> config);
  // Stops accepting and closes idle keep-alive connections; requests and
  // tunnels in flight finish.
  void Stop();
  // The bound address (the real port when 0 was asked for).
  Address bound() const { return bound_; }

  struct Shared;

 private:
  Runtime& runtime_;
  metrics::Registry& registry_;
  std::shared_ptr<Shared> shared_;
  Address bound_;
};

}  // namespace vigie::egress::proxy
