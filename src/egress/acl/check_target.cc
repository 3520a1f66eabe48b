// TARGET parsing and result formatting for `vigie egress check`.
#include "egress/acl/check_target.h"

#include "egress/http/proxy_target.h"

namespace vigie::egress {

Result<CheckTarget> ParseCheckTarget(std::string_view text) {
  if (text.empty()) {
    return Error(Errc::kInvalidArgument, "empty target");
  }
  CheckTarget out;
  out.display = std::string(text);
  if (text.find("://") != std::string_view::npos) {
    VIGIE_ASSIGN_OR_RETURN(http::ProxyTarget target, http::ParseProxyTarget("GET", text));
    out.host = std::move(target.host);
    out.address = target.address;
    out.port = target.port;
    return out;
  }
  // A bare IPv6 address has more than one colon and no brackets.
  if (text.find(':') != text.rfind(':') && text.front() != '[') {
    auto address = IpAddress::ParseV6(text);
    if (!address) {
      return Error(Errc::kInvalidArgument, "\"" + std::string(text) + "\" is not an IPv6 address");
    }
    out.host = address->ToString();
    out.address = *address;
    return out;
  }
  VIGIE_ASSIGN_OR_RETURN(http::Authority authority, http::ParseAuthority(text, false));
  out.host = std::move(authority.host);
  out.address = authority.address;
  out.port = authority.port;
  return out;
}

std::string FormatCheckResult(const CheckTarget& target, const AclDecision& decision) {
  std::string out(AclActionName(decision.action));
  out += " " + target.display + " (" + decision.RuleDescription();
  if (decision.address)
    out += ", address " + decision.address->ToString();
  return out + ")";
}

int CheckExitCode(const AclDecision& decision) {
  return decision.allowed() ? kCheckExitAllow : kCheckExitDeny;
}

}  // namespace vigie::egress
