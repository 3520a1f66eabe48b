// The HTTP proxy's per-request decisions that do no I/O.
#include "egress/proxy/request.h"

#include <algorithm>

namespace vigie::egress::proxy {

vigie::http::HeadLimits RequestHeadLimits(uint64_t max_header_bytes) {
  vigie::http::HeadLimits limits;
  limits.max_head_bytes = max_header_bytes;
  limits.max_field_line_bytes = std::min(limits.max_field_line_bytes, limits.max_head_bytes);
  limits.max_request_line_bytes = std::min(limits.max_request_line_bytes, limits.max_head_bytes);
  return limits;
}

bool ClientAllowed(std::span<const Cidr> allow_clients, std::string_view client_ip) {
  if (allow_clients.empty())
    return true;
  auto client = vigie::IpAddress::Parse(client_ip);
  return client && std::any_of(allow_clients.begin(), allow_clients.end(),
                               [&](const Cidr& cidr) { return cidr.Contains(*client); });
}

std::vector<IpAddress> UniqueUnmapped(const std::vector<IpAddress>& addresses) {
  std::vector<IpAddress> out;
  for (const IpAddress& a : addresses) {
    IpAddress ip = a.Unmapped();
    if (std::find(out.begin(), out.end(), ip) == out.end())
      out.push_back(ip);
  }
  return out;
}

std::string DenialRule(const AclDecision& decision) {
  std::string rule = decision.RuleDescription();
  if (decision.address)
    rule += ", address " + decision.address->ToString();
  return rule;
}

std::string OriginKey(const http::ProxyTarget& target) {
  return target.host + ":" + std::to_string(target.port);
}

}  // namespace vigie::egress::proxy
