// `vigie dns why` offline and `vigie dns top`'s table.
#include "dns/server/cli.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "dns/server/list_store.h"

namespace vigie::dns {

WhyAnswer ExplainOffline(const DnsConfig& config, std::string_view name) {
  ListStore store;
  BuiltPolicy built = store.Build(config);
  WhyAnswer out;
  for (const auto& l : built.lists) {
    if (!l.ok) {
      out.text += "warning: list " + l.id + ": " + l.message + "\n";
    }
  }
  const Decision d = built.policy->Decide(name);
  out.blocked = d.verdict == Verdict::kBlocked;
  out.text += built.policy->Explain(name, d) + "\n";
  return out;
}

Result<std::string> FormatTop(std::string_view json_reply) {
  // The reply is ours, but it crossed a socket: parse it, never trust its shape.
  nlohmann::json j = nlohmann::json::parse(json_reply, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j["total"].is_number_unsigned() ||
      !j["names"].is_array()) {
    return Error(vigie::Errc::kInvalidArgument, "not a /dns/top reply");
  }
  char line[512];
  std::snprintf(line, sizeof line, "%10s %10s  %s   (%llu blocked queries since start)\n", "count",
                "±error", "name", static_cast<unsigned long long>(j["total"].get<uint64_t>()));
  std::string out = line;
  for (const auto& e : j["names"]) {
    if (!e.is_object() || !e["name"].is_string() || !e["count"].is_number_unsigned() ||
        !e["error"].is_number_unsigned()) {
      return Error(vigie::Errc::kInvalidArgument, "not a /dns/top reply");
    }
    std::snprintf(line, sizeof line, "%10llu %10llu  ",
                  static_cast<unsigned long long>(e["count"].get<uint64_t>()),
                  static_cast<unsigned long long>(e["error"].get<uint64_t>()));
    out += line;
    out += e["name"].get<std::string>();
    out += '\n';
  }
  return out;
}

}  // namespace vigie::dns
