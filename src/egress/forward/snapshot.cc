// The forwarder's routes for a config, and the decisions over them that do
// no I/O.
#include "egress/forward/snapshot.h"

namespace vigie::egress::forward {

BuiltSnapshot BuildSnapshot(
    std::shared_ptr<const ForwarderConfig> config, metrics::Registry& registry,
    net::asio::io_context& control,
    const std::map<std::string, std::shared_ptr<Target>>& old_targets,
    std::map<ListenKey, std::shared_ptr<std::atomic<int>>>& udp_flow_counts) {
  const std::string mode(ForwardModeName(config->mode));
  BuiltSnapshot out;
  auto& snap = out.snapshot;
  auto& targets = out.targets;
  auto& new_targets = out.new_targets;
  snap = std::make_shared<Snapshot>();
  snap->config = config;
  const std::string resolver_key = ResolverKey(*config);
  for (const ForwardLine& line : config->lines) {
    ListenKey key{line.protocol, line.port};
    Route route;
    route.line = line;
    if (!line.name.empty()) {
      auto& t = targets[line.name];
      if (!t) {
        auto old = old_targets.find(line.name);
        if (old != old_targets.end() && old->second->resolver_key == resolver_key) {
          t = old->second;
        } else {
          t = std::make_shared<Target>();
          t->name = line.name;
          t->resolver_key = resolver_key;
          t->timer = std::make_unique<net::asio::steady_timer>(control);
          new_targets.push_back(t);
        }
      }
      route.target = t;
      route.destination = line.name + ":" + std::to_string(line.target_port);
    } else {
      route.destination = HostPort(*line.address, line.target_port);
    }
    route.m = std::make_shared<LineMetrics>(
        registry, metrics::Labels{{"mode", mode},
                                  {"proto", std::string(ProtocolName(line.protocol))},
                                  {"port", std::to_string(line.port)},
                                  {"destination", route.destination}});
    auto& count = udp_flow_counts[key];
    if (!count) {
      count = std::make_shared<std::atomic<int>>(0);
    }
    route.udp_flows = count;
    snap->routes.emplace(key, std::move(route));
  }
  return out;
}

std::vector<IpAddress> CandidatesFor(const Route& route, const ForwarderConfig& cfg,
                                     const HealthView* health,
                                     std::chrono::steady_clock::time_point now) {
  std::vector<IpAddress> out;
  if (route.line.address) {
    out.push_back(*route.line.address);
  } else if (route.target && health != nullptr && !health->empty()) {
    const uint16_t port = route.line.target_port;
    out = route.target->rotation.Candidates(now, [&](const IpAddress& a) {
      if (cfg.source && a.is_v4() != cfg.source->is_v4()) {
        return false;  // never tried (below), so never "the UP one"
      }
      auto it = health->find(CheckKey{a, port});
      return it == health->end() || it->second->load(std::memory_order_relaxed);
    });
  } else if (route.target) {
    out = route.target->rotation.Candidates(now);
  }
  if (cfg.source) {
    // A source address can only reach destinations of its own family.
    std::erase_if(out, [&](const IpAddress& a) { return a.is_v4() != cfg.source->is_v4(); });
  }
  if (out.size() > static_cast<size_t>(cfg.retries)) {
    out.resize(static_cast<size_t>(cfg.retries));
  }
  return out;
}

std::map<CheckKey, std::set<std::string>> WantedChecks(const Snapshot& snap) {
  const ForwarderConfig& cfg = *snap.config;
  std::map<CheckKey, std::set<std::string>> want;
  if (!cfg.health_check.enabled) {
    return want;
  }
  for (const auto& [key, route] : snap.routes) {
    if (key.protocol != Protocol::kTcp) {
      continue;
    }
    std::vector<IpAddress> addresses;
    if (route.line.address) {
      addresses.push_back(*route.line.address);
    } else if (route.target) {
      addresses = route.target->rotation.addresses();
    }
    for (const IpAddress& a : addresses) {
      if (cfg.source && a.is_v4() != cfg.source->is_v4()) {
        continue;
      }
      auto& names = want[CheckKey{a, route.line.target_port}];
      if (!route.line.name.empty()) {
        names.insert(route.line.name);
      }
    }
  }
  return want;
}

std::string CheckLabel(const std::set<std::string>& names) {
  std::string label;
  for (const std::string& n : names) {
    label += (label.empty() ? " (" : ", ") + n;
  }
  if (!label.empty()) {
    label += ")";
  }
  return label;
}

std::string HostPort(const IpAddress& ip, uint16_t port) {
  return ip.is_v4() ? ip.ToString() + ":" + std::to_string(port)
                    : "[" + ip.ToString() + "]:" + std::to_string(port);
}

std::string ListenerName(ForwardMode mode, const ListenKey& key) {
  return "egress-" + std::string(ForwardModeName(mode)) + "-" +
         std::string(ProtocolName(key.protocol)) + "-" + std::to_string(key.port);
}

std::string ResolverKey(const ForwarderConfig& c) {
  std::string key = c.hosts_file + "|";
  for (const Address& a : c.nameservers) {
    key += a.ToString() + ",";
  }
  key += "|" + std::to_string(c.resolve_timeout.count()) + "|" +
         std::to_string(c.refresh_interval.count()) + "|" + std::to_string(c.min_ttl.count()) +
         "|" + std::to_string(c.max_ttl.count());
  return key;
}

std::string JoinAddresses(const std::vector<IpAddress>& addresses) {
  std::string out;
  for (const IpAddress& a : addresses) {
    out += (out.empty() ? "" : ", ") + a.ToString();
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace vigie::egress::forward
