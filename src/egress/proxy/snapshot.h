// What one request of the HTTP proxy sees: the settings, the destination ACL,
// a hits counter per rule, the access log and the resolver, built once per
// config (start and reload) and then only read.
//
// Thread rules: BuildSnapshot runs on the control thread (it registers
// metrics and may open the access log file); a built Snapshot is immutable
// and shared by the workers. CountRuleHit is safe from any thread.
#pragma once

#include <memory>
#include <unordered_map>

#include <spdlog/logger.h>

#include "core/error.h"
#include "core/metrics.h"
#include "core/resolver.h"
#include "egress/acl/acl.h"
#include "egress/proxy/config.h"

namespace vigie::egress::proxy {

struct Snapshot {
  std::shared_ptr<const HttpProxyConfig> config;
  std::shared_ptr<const DestinationAcl> acl;
  std::unordered_map<int, metrics::Counter*> hits_by_line;  // rule or wildcard line
  metrics::Counter* default_deny_hits = nullptr;
  metrics::Counter* internal_deny_hits = nullptr;  // loopback, link-local (acl.h)
  std::shared_ptr<spdlog::logger> access_log;      // null: no access log
  // Made for these settings; a reload makes a new one.
  std::shared_ptr<Resolver> resolver;
};

// The snapshot for `config`: its ACL and resolver, the
// vigie_egress_http_rule_hits_total series of each rule, of the wildcard and
// of the default deny (in `registry`), and the access log ("-": stdout),
// kept from `previous` (may be null) when the path did not change. Errors:
// the access log cannot be opened.
Result<std::shared_ptr<const Snapshot>> BuildSnapshot(
    metrics::Registry& registry, std::shared_ptr<const HttpProxyConfig> config,
    const std::shared_ptr<const Snapshot>& previous);

// Counts `decision` against the rule (or the wildcard, or the default deny)
// that made it.
void CountRuleHit(const Snapshot& snap, const AclDecision& decision);

}  // namespace vigie::egress::proxy
