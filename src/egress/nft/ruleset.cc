// nft script generation for redirect mode.
#include "egress/nft/ruleset.h"

#include <algorithm>

namespace vigie::egress {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Result<void> CheckTable(const std::string& table) {
  bool ok = !table.empty() && table.size() <= 64 &&
            ((table[0] >= 'a' && table[0] <= 'z') || (table[0] >= 'A' && table[0] <= 'Z')) &&
            std::all_of(table.begin(), table.end(), [](char c) { return IsAlnum(c) || c == '_'; });
  if (!ok)
    return Error(Errc::kInvalidArgument, "nft table name \"" + table + "\" is invalid");
  return {};
}

// Linux IFNAMSIZ is 16 including the NUL.
Result<void> CheckInterface(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 15 && std::all_of(name.begin(), name.end(), [](char c) {
    return IsAlnum(c) || c == '_' || c == '.' || c == '-';
  });
  if (!ok)
    return Error(Errc::kInvalidArgument, "interface name \"" + name + "\" is invalid");
  return {};
}

}  // namespace

Result<std::string> BuildNftInstallScript(const RedirectSpec& spec, const IpAddress& snat_source,
                                          const NftOptions& options) {
  VIGIE_TRY(CheckTable(options.table));
  VIGIE_TRY(CheckInterface(options.ingress_interface));
  VIGIE_TRY(CheckInterface(options.egress_interface));
  if (!snat_source.is_v4()) {
    return Error(Errc::kInvalidArgument, "SNAT source must be IPv4 for table ip");
  }
  const std::string& t = options.table;
  std::string out;
  out += "table ip " + t + " {\n";
  out += "  chain prerouting {\n";
  out += "    type nat hook prerouting priority dstnat; policy accept;\n";
  out += "  }\n";
  out += "  chain postrouting {\n";
  out += "    type nat hook postrouting priority srcnat; policy accept;\n";
  out += "  }\n";
  out += "}\n";
  out += "flush table ip " + t + "\n";
  std::string prerouting =
      "add rule ip " + t + " prerouting iifname \"" + options.ingress_interface + "\" ";
  for (const RedirectRule& rule : spec.rules) {
    out += prerouting + std::string(ProtocolName(rule.protocol)) + " dport " +
           std::to_string(rule.local_port) + " dnat to " + rule.destination.ToString();
    if (rule.remote_port != rule.local_port)
      out += ":" + std::to_string(rule.remote_port);
    out += "\n";
  }
  if (spec.fallback) {
    out += prerouting + "dnat to " + spec.fallback->destination.ToString() + "\n";
  }
  out += "add rule ip " + t + " postrouting oifname \"" + options.egress_interface + "\" snat to " +
         snat_source.ToString() + "\n";
  return out;
}

Result<std::string> BuildNftRemoveScript(const NftOptions& options) {
  VIGIE_TRY(CheckTable(options.table));
  return "table ip " + options.table + "\ndelete table ip " + options.table + "\n";
}

}  // namespace vigie::egress
