// The HTTP proxy destination ACL (EGRESS_HTTP_PROXY_DESTINATION) as a rule
// engine that behaves like the squid.conf upstream generates from it, with
// the address side made safe against DNS tricks. docs/egress.md
// ("Destination ACL semantics") is the operator-facing statement.
//
// Semantics, for a request to `host` that the proxy will connect to at one
// of `addresses`:
//   - Rules are tried in file order; the first rule that matches decides.
//     With a final "*", an unmatched request is allowed; without, denied.
//   - A name rule ("name", "*.d") matches on the requested host alone:
//     case-insensitive, one trailing dot ignored; "*.d" matches d itself and
//     every name below it. It never matches through a reverse lookup of an
//     IP-literal target (Squid would; PTR records belong to the attacker).
//   - An address rule (IP or CIDR) matches an address the proxy would
//     connect to. ::ffff:a.b.c.d is treated as a.b.c.d.
//   - The rules are evaluated once per candidate address. The request is
//     allowed only if EVERY address is allowed, so a name that resolves into
//     a denied range is denied, whatever else it resolves to. Squid matches a
//     `dst` rule when ANY address is inside and may then connect to another;
//     vigie allows only what Squid allows, and denies whenever any address
//     Squid might connect to is denied.
//   - An IP-literal host is its own single address; the list passed in is
//     then ignored.
//   - With no addresses (name not resolved, or not resolvable), address
//     rules do not match, exactly as in Squid; name rules still do. A server
//     must not connect anywhere that was not in the list it decided on.
//   - The inside of the machine is never reached by accident: an address in
//     InternalRanges() (loopback, link-local -- 169.254.169.254 is the cloud
//     metadata service -- and "this network") is denied unless the rule
//     list also holds an allowing address rule, at least as specific as its
//     range, that contains it ("127.0.0.1", "169.254.169.254/32"). "*", a
//     name rule (a name may resolve anywhere) or "0.0.0.0/0" alone do not
//     name it; first-match order still decides allow or deny. Squid allows
//     these by default; this is a deliberate difference.
//
// Thread rules: immutable after construction; share it as
// std::shared_ptr<const DestinationAcl> across workers.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "egress/spec/spec.h"

namespace vigie::egress {

struct AclDecision {
  enum class Source {
    kRule,         // a numbered rule decided
    kWildcard,     // the final "*"
    kDefaultDeny,  // no rule matched and there is no "*"
    kInternal,     // an internal address no address rule names (see above)
    kOwnListener,  // one of vigie's own listeners no address rule names exactly
  };
  AclAction action = AclAction::kDeny;
  Source source = Source::kDefaultDeny;
  int line = 0;      // rule or wildcard line; 0 for the default deny
  int number = 0;    // upstream destN
  std::string text;  // rule or wildcard text as written; empty for the default deny
  // The address the decision is about: set when an address rule decided, or
  // when the addresses disagreed and this one was denied.
  std::optional<IpAddress> address;

  bool allowed() const { return action == AclAction::kAllow; }
  // "line 3: !10.42.253.0/24", "line 4: *", "default deny (no rule matched)".
  std::string RuleDescription() const;
  // "allow (line 4: *)", "deny (line 3: !10.42.253.0/24, address 10.42.253.7)".
  std::string Explain() const;
};

class DestinationAcl {
 public:
  explicit DestinationAcl(HttpProxySpec spec);

  // The decision for `host` (URL host or CONNECT host, as ParseProxyTarget
  // returns it; brackets around IPv6 are tolerated) when the proxy will
  // connect to one of `addresses`. See the file comment for the rules. When
  // denied because of one address, `address` names it; several denied
  // addresses report the earliest deciding rule.
  AclDecision Decide(std::string_view host, std::span<const IpAddress> addresses) const;

  // The decision when it does not depend on addresses (the first rule
  // matching by name comes before every address rule, or there are no
  // address rules), so a server can refuse before resolving anything and
  // skip DNS entirely for names the policy already denies; nullopt when the
  // addresses are needed, which is always the case for an allowed name (the
  // addresses it resolves to may be internal).
  std::optional<AclDecision> DecideByName(std::string_view host) const;

  // vigie's own listeners are the inside too (a request looping back into
  // vigie): when `address` is one, the caller asks this. Allowed only when an
  // allowing address rule names `address` alone (a /32 or /128 holding
  // it); otherwise the denial to answer with (source kOwnListener).
  std::optional<AclDecision> DecideOwnListener(const IpAddress& address) const;

  bool has_address_rules() const { return has_address_rules_; }
  const HttpProxySpec& spec() const { return spec_; }

 private:
  // Index of the first rule matching (name, address) or rules.size().
  size_t FirstMatch(std::string_view name, const IpAddress* address) const;
  AclDecision DecisionFor(size_t index, const IpAddress* address) const;
  // Whether an allowed `address` may be reached: always outside
  // InternalRanges(); inside, only when some allowing address rule at least
  // as specific as its range contains it.
  bool NamesInternal(const IpAddress& address) const;
  static AclDecision InternalDenial(const IpAddress& address);

  HttpProxySpec spec_;
  bool has_address_rules_ = false;
};

// The ranges an ACL never reaches by accident: 127.0.0.0/8, 169.254.0.0/16,
// 0.0.0.0/8, ::1/128, fe80::/10, ::/128.
std::span<const Cidr> InternalRanges();

// The ACL's host normalization: lower case, brackets and one trailing dot
// removed.
std::string NormalizeAclHost(std::string_view host);

}  // namespace vigie::egress
