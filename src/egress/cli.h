// What `vigie egress` does: the OpenShift egress router images, run from
// their environment (EGRESS_ROUTER_MODE, EGRESS_DESTINATION, ...) with
// upstream's messages and exit codes, and `vigie egress check TARGET`.
// src/cli/egress_main.cc parses the flags and calls these.
//
// Thread rules: called from the main thread before anything is served.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "egress/proxy/config.h"
#include "egress/router/router.h"
#include "egress/spec/spec.h"

namespace vigie::egress {

// The images' settings that are flags of `vigie egress` (the environment
// holds the rest).
struct ImageOptions {
  std::string listen = "127.0.0.1:8080";  // the HTTP proxy
  std::string destination_file{};         // instead of the *_DESTINATION variable
  std::string hosts_file{};
  std::vector<std::string> nameservers{};
  std::string access_log{};
  router::RouterOptions router{};
  bool no_network_setup = false;
  // DNS proxy and userspace redirect.
  std::string bind_address = "127.0.0.1";
  std::string fallback_ports = "80,443";
  std::string udp_idle_timeout{};
  std::string refresh_interval{};
};

// What the environment asks for: either a config to serve (the HTTP proxy,
// the DNS proxy, the userspace redirect: an overlay of the egress: section,
// each value naming the variable or flag it came from), or a job that runs
// by itself and returns the exit code (the nftables router modes, the
// unit-test script, an environment error printed with upstream's message).
struct ImageRun {
  std::optional<config::Overlay> serve{};
  std::function<int()> run{};
};
ImageRun PlanImage(const ImageOptions& options, const Environment& env);

struct CheckOptions {
  std::string target{};  // URL or host[:port], [v6]:port, address
  std::string destination_file{};
  std::string hosts_file{};
  std::vector<std::string> nameservers{};
  bool no_resolve = false;
};

// Prints whether the HTTP proxy's ACL allows the target and the rule that
// decided. The ACL is `from_config` (a vigie.yaml's egress.http_proxy) when
// given, else --destination-file, else EGRESS_HTTP_PROXY_DESTINATION.
// Returns kCheckExitAllow, kCheckExitDeny or kCheckExitError.
int CheckAcl(const CheckOptions& options, const proxy::HttpProxyConfig* from_config);

}  // namespace vigie::egress
