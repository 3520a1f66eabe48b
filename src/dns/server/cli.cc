// `vigie dns top`'s table.
#include "dns/server/cli.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace vigie::dns {

Result<std::string> FormatTop(std::string_view json_reply) {
  // The reply is ours, but it crossed a socket: parse it, never trust its shape.
  nlohmann::json j = nlohmann::json::parse(json_reply, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j["total"].is_number_unsigned() ||
      !j["names"].is_array()) {
    return Error(Errc::kInvalidArgument, "not a /dns/top reply");
  }
  char line[512];
  std::snprintf(line, sizeof line, "%10s %10s  %s   (%llu blocked queries since start)\n", "count",
                "±error", "name", static_cast<unsigned long long>(j["total"].get<uint64_t>()));
  std::string out = line;
  for (const auto& e : j["names"]) {
    if (!e.is_object() || !e["name"].is_string() || !e["count"].is_number_unsigned() ||
        !e["error"].is_number_unsigned()) {
      return Error(Errc::kInvalidArgument, "not a /dns/top reply");
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
