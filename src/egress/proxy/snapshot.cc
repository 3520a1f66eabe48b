// Building the HTTP proxy's per-config snapshot.
#include "egress/proxy/snapshot.h"

#include <exception>
#include <string>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace vigie::egress::proxy {

Result<std::shared_ptr<const Snapshot>> BuildSnapshot(
    metrics::Registry& registry, std::shared_ptr<const HttpProxyConfig> config,
    const std::shared_ptr<const Snapshot>& previous) {
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;
  snap->resolver = std::make_shared<Resolver>(ProxyResolverOptions(*config));
  snap->acl = std::make_shared<const DestinationAcl>(config->spec);
  const std::string name = "vigie_egress_http_rule_hits_total";
  const std::string help = "Requests decided by each destination rule";
  for (const ProxyRule& rule : config->spec.rules) {
    snap->hits_by_line[rule.line] =
        &registry.AddCounter(name, help,
                             {{"line", std::to_string(rule.line)},
                              {"rule", rule.text},
                              {"action", std::string(AclActionName(rule.action))}});
  }
  if (config->spec.wildcard) {
    snap->hits_by_line[config->spec.wildcard->line] =
        &registry.AddCounter(name, help,
                             {{"line", std::to_string(config->spec.wildcard->line)},
                              {"rule", "*"},
                              {"action", "allow"}});
  }
  snap->default_deny_hits = &registry.AddCounter(
      name, help, {{"line", "0"}, {"rule", "default deny"}, {"action", "deny"}});
  snap->internal_deny_hits = &registry.AddCounter(
      name, help, {{"line", "0"}, {"rule", "internal address"}, {"action", "deny"}});
  if (!config->access_log.empty()) {
    if (previous && previous->access_log && previous->config->access_log == config->access_log) {
      snap->access_log = previous->access_log;
    } else {
      try {
        spdlog::sink_ptr sink;
        if (config->access_log == "-")
          sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
        else
          sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config->access_log);
        auto logger = std::make_shared<spdlog::logger>("egress-access", std::move(sink));
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::info);
        logger->flush_on(spdlog::level::info);
        snap->access_log = std::move(logger);
      } catch (const std::exception& e) {
        return Error(Errc::kIo, "access_log " + config->access_log + ": " + e.what());
      }
    }
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

void CountRuleHit(const Snapshot& snap, const AclDecision& decision) {
  if (decision.source == AclDecision::Source::kDefaultDeny) {
    snap.default_deny_hits->Inc();
  } else if (decision.source == AclDecision::Source::kInternal ||
             decision.source == AclDecision::Source::kOwnListener) {
    snap.internal_deny_hits->Inc();
  } else if (auto it = snap.hits_by_line.find(decision.line); it != snap.hits_by_line.end()) {
    it->second->Inc();
  }
}

}  // namespace vigie::egress::proxy
