// Destination ACL evaluation.
#include "egress/acl/acl.h"

#include <algorithm>
#include <vector>

namespace vigie::egress {
namespace {

bool NameMatches(const ProxyRule& rule, std::string_view host) {
  if (host.empty())
    return false;
  if (rule.kind == ProxyRuleKind::kHost)
    return host == rule.name;
  // kDomain: the apex or any name below it.
  if (host == rule.name)
    return true;
  return host.size() > rule.name.size() && host.ends_with(rule.name) &&
         host[host.size() - rule.name.size() - 1] == '.';
}

// The internal range holding `address`, or nullptr.
const Cidr* InternalRangeOf(const IpAddress& address) {
  for (const Cidr& range : InternalRanges()) {
    if (range.Contains(address))
      return &range;
  }
  return nullptr;
}

}  // namespace

std::span<const Cidr> InternalRanges() {
  static const std::vector<Cidr> ranges = [] {
    std::vector<Cidr> out;
    for (std::string_view text :
         {"127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "::1/128", "fe80::/10", "::/128"}) {
      out.push_back(Cidr::Parse(text).value());
    }
    return out;
  }();
  return ranges;
}

std::string NormalizeAclHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string out(host);
  for (char& c : out)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  if (!out.empty() && out.back() == '.')
    out.pop_back();
  return out;
}

std::string AclDecision::RuleDescription() const {
  if (source == Source::kDefaultDeny)
    return "default deny (no rule matched)";
  if (source == Source::kInternal)
    return "internal address (loopback, link-local or unspecified): only an address rule naming "
           "it allows it";
  if (source == Source::kOwnListener)
    return "vigie's own listener: only an address rule naming that address alone allows it";
  return "line " + std::to_string(line) + ": " + text;
}

std::string AclDecision::Explain() const {
  std::string out(AclActionName(action));
  out += " (" + RuleDescription();
  if (address)
    out += ", address " + address->ToString();
  return out + ")";
}

DestinationAcl::DestinationAcl(HttpProxySpec spec) : spec_(std::move(spec)) {
  has_address_rules_ = std::any_of(spec_.rules.begin(), spec_.rules.end(), [](const ProxyRule& r) {
    return r.kind == ProxyRuleKind::kAddress;
  });
}

size_t DestinationAcl::FirstMatch(std::string_view name, const IpAddress* address) const {
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const ProxyRule& rule = spec_.rules[i];
    if (rule.kind == ProxyRuleKind::kAddress) {
      if (address != nullptr && rule.prefix.Contains(*address))
        return i;
    } else if (NameMatches(rule, name)) {
      return i;
    }
  }
  return spec_.rules.size();
}

AclDecision DestinationAcl::DecisionFor(size_t index, const IpAddress* address) const {
  AclDecision decision;
  if (index < spec_.rules.size()) {
    const ProxyRule& rule = spec_.rules[index];
    decision.action = rule.action;
    decision.source = AclDecision::Source::kRule;
    decision.line = rule.line;
    decision.number = rule.number;
    decision.text = rule.text;
    if (address != nullptr && rule.kind == ProxyRuleKind::kAddress)
      decision.address = *address;
    return decision;
  }
  if (spec_.wildcard) {
    decision.action = AclAction::kAllow;
    decision.source = AclDecision::Source::kWildcard;
    decision.line = spec_.wildcard->line;
    decision.number = spec_.wildcard->number;
    decision.text = spec_.wildcard->text;
  }
  return decision;
}

bool DestinationAcl::NamesInternal(const IpAddress& address) const {
  const Cidr* range = InternalRangeOf(address);
  if (range == nullptr)
    return true;  // not internal: nothing to name
  return std::any_of(spec_.rules.begin(), spec_.rules.end(), [&](const ProxyRule& rule) {
    return rule.kind == ProxyRuleKind::kAddress && rule.action == AclAction::kAllow &&
           rule.prefix.prefix_len() >= range->prefix_len() && rule.prefix.Contains(address);
  });
}

std::optional<AclDecision> DestinationAcl::DecideOwnListener(const IpAddress& address) const {
  IpAddress ip = address.Unmapped();
  bool named = std::any_of(spec_.rules.begin(), spec_.rules.end(), [&](const ProxyRule& rule) {
    return rule.kind == ProxyRuleKind::kAddress && rule.action == AclAction::kAllow &&
           rule.prefix.prefix_len() == (ip.is_v4() ? 32 : 128) && rule.prefix.Contains(ip);
  });
  if (named)
    return std::nullopt;
  AclDecision decision;
  decision.action = AclAction::kDeny;
  decision.source = AclDecision::Source::kOwnListener;
  decision.address = ip;
  return decision;
}

AclDecision DestinationAcl::InternalDenial(const IpAddress& address) {
  AclDecision decision;
  decision.action = AclAction::kDeny;
  decision.source = AclDecision::Source::kInternal;
  decision.address = address;
  return decision;
}

AclDecision DestinationAcl::Decide(std::string_view host,
                                   std::span<const IpAddress> addresses) const {
  std::string name = NormalizeAclHost(host);
  auto literal = IpAddress::Parse(name);
  if (literal) {
    IpAddress unmapped = literal->Unmapped();
    size_t index = FirstMatch(name, &unmapped);
    AclDecision decision = DecisionFor(index, &unmapped);
    if (decision.allowed() && !NamesInternal(unmapped))
      return InternalDenial(unmapped);
    return decision;
  }
  if (addresses.empty()) {
    return DecisionFor(FirstMatch(name, nullptr), nullptr);
  }
  // Per address; a deny anywhere wins, reported by its earliest rule.
  std::optional<std::pair<size_t, IpAddress>> deny;
  std::optional<std::pair<size_t, IpAddress>> allow;
  std::optional<IpAddress> internal;
  for (const IpAddress& candidate : addresses) {
    IpAddress address = candidate.Unmapped();
    size_t index = FirstMatch(name, &address);
    bool allowed = index < spec_.rules.size() ? spec_.rules[index].action == AclAction::kAllow
                                              : spec_.wildcard.has_value();
    if (allowed && !NamesInternal(address) && !internal)
      internal = address;
    auto& slot = allowed ? allow : deny;
    if (!slot || index < slot->first)
      slot.emplace(index, address);
  }
  if (!deny && internal)
    return InternalDenial(*internal);
  const auto& chosen = deny ? *deny : *allow;
  AclDecision decision = DecisionFor(chosen.first, &chosen.second);
  // Addresses disagreed: name the denied one even when no address rule
  // matched it (it fell through to the default).
  if (deny && allow)
    decision.address = chosen.second;
  return decision;
}

std::optional<AclDecision> DestinationAcl::DecideByName(std::string_view host) const {
  std::string name = NormalizeAclHost(host);
  if (IpAddress::Parse(name)) {
    return Decide(name, {});
  }
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const ProxyRule& rule = spec_.rules[i];
    if (rule.kind == ProxyRuleKind::kAddress)
      return std::nullopt;
    if (NameMatches(rule, name)) {
      AclDecision decision = DecisionFor(i, nullptr);
      return decision.allowed() ? std::nullopt : std::optional<AclDecision>(decision);
    }
  }
  AclDecision decision = DecisionFor(spec_.rules.size(), nullptr);
  return decision.allowed() ? std::nullopt : std::optional<AclDecision>(decision);
}

}  // namespace vigie::egress
