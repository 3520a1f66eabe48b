// Parsers for the EGRESS_* environment. Each mirrors the regular expressions
// of the upstream script it replaces; comments name the upstream pattern.
#include "egress/spec/spec.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "egress/spec/env_lines.h"

namespace vigie::egress {
namespace {

constexpr std::string_view kDestinationVar = "EGRESS_DESTINATION";
constexpr std::string_view kHttpProxyVar = "EGRESS_HTTP_PROXY_DESTINATION";
constexpr std::string_view kDnsProxyVar = "EGRESS_DNS_PROXY_DESTINATION";

Error Fail(ErrorLocation* where, std::string_view variable, int line, std::string message,
           Errc code = Errc::kInvalidArgument) {
  if (where != nullptr) {
    where->variable = std::string(variable);
    where->line = line;
  }
  return Error(code, std::move(message));
}

Result<void> CheckSize(std::string_view variable, std::string_view value, ErrorLocation* where) {
  if (value.size() > kMaxEnvValueBytes) {
    return Fail(where, variable, 0,
                std::string(variable) + " is too large (" + std::to_string(value.size()) +
                    " bytes, limit " + std::to_string(kMaxEnvValueBytes) + ")",
                Errc::kLimitExceeded);
  }
  return {};
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool IsXdigit(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// BLANK_LINE_OR_COMMENT_REGEX: ^([[:space:]]*$|#.*)$ on the read line.
bool IsBlankOrComment(std::string_view text) {
  if (!text.empty() && text.front() == '#') {
    return true;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  });
}

// Fields separated by one or more spaces (upstream "\ +"): a leading or
// trailing space (only possible when escaped) makes the line match nothing.
std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  if (text.empty() || text.front() == ' ' || text.back() == ' ') {
    return fields;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t space = text.find(' ', pos);
    if (space == std::string_view::npos) {
      fields.push_back(text.substr(pos));
      break;
    }
    fields.push_back(text.substr(pos, space - pos));
    pos = text.find_first_not_of(' ', space);
  }
  return fields;
}

// IP_REGEX: [[:digit:]]+\.[[:digit:]]+\.[[:digit:]]+\.[[:digit:]]+
bool HasDottedQuadShape(std::string_view s) {
  int parts = 0;
  size_t pos = 0;
  while (true) {
    size_t dot = s.find('.', pos);
    std::string_view part = s.substr(pos, dot == std::string_view::npos ? s.npos : dot - pos);
    if (!IsDigits(part)) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) {
      break;
    }
    pos = dot + 1;
  }
  return parts == 4;
}

// Upstream checks ports with bash arithmetic; here they are plain decimal.
std::optional<uint16_t> ParsePort(std::string_view digits) {
  if (!IsDigits(digits)) {
    return std::nullopt;
  }
  uint32_t value = 0;
  for (char c : digits) {
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > 65535) {
      return std::nullopt;
    }
  }
  if (value == 0) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::string InvalidPortMessage(std::string_view text) {
  return "Invalid port: " + std::string(text) + ", must be in the range 1 to 65535";
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// HOSTNAME_REGEX (http proxy): [[:alnum:]][[:alnum:].-]+
bool HasHostnameShape(std::string_view s) {
  if (s.size() < 2 || !IsAlnum(s.front())) {
    return false;
  }
  return std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '-'; });
}

// IPADDR_REGEX + OPT_CIDR_MASK_REGEX (http proxy):
// [[:xdigit:].:]*[.:][[:xdigit:].:]+(/[[:digit:]]+)?
bool HasHttpProxyAddressShape(std::string_view s) {
  size_t slash = s.find('/');
  std::string_view body = s.substr(0, slash);
  if (slash != std::string_view::npos && !IsDigits(s.substr(slash + 1))) {
    return false;
  }
  if (body.size() < 2) {
    return false;
  }
  bool all_allowed = std::all_of(body.begin(), body.end(),
                                 [](char c) { return IsXdigit(c) || c == '.' || c == ':'; });
  return all_allowed &&
         body.substr(0, body.size() - 1).find_first_of(".:") != std::string_view::npos;
}

// DOMAINNAME_REGEX (dns proxy): [[:alnum:]][[:alnum:]-]+?\.[[:alnum:].-]+
// (glibc reads "+?" as "*": one alnum, then alnum/-, then a dot, then more).
bool HasDnsDomainShape(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front())) {
    return false;
  }
  size_t i = 1;
  while (i < s.size() && (IsAlnum(s[i]) || s[i] == '-')) {
    ++i;
  }
  if (i >= s.size() || s[i] != '.' || i + 1 >= s.size()) {
    return false;
  }
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i) + 1, s.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '-'; });
}

std::string NormalizeName(std::string_view name) {
  std::string out = Lowercase(name);
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Router.

std::string_view RouterModeName(RouterMode mode) {
  switch (mode) {
    case RouterMode::kInit:
      return "init";
    case RouterMode::kLegacy:
      return "legacy";
    case RouterMode::kHttpProxy:
      return "http-proxy";
    case RouterMode::kDnsProxy:
      return "dns-proxy";
    case RouterMode::kUnitTest:
      return "unit-test";
  }
  return "?";
}

Result<RouterMode> ParseRouterMode(std::string_view text) {
  for (RouterMode mode : {RouterMode::kInit, RouterMode::kLegacy, RouterMode::kHttpProxy,
                          RouterMode::kDnsProxy, RouterMode::kUnitTest}) {
    if (text == RouterModeName(mode)) {
      return mode;
    }
  }
  if (text.empty()) {
    return RouterMode::kLegacy;
  }
  return Error(Errc::kInvalidArgument,
               "Unrecognized EGRESS_ROUTER_MODE '" + std::string(text) + "'");
}

bool ModeUsesDestination(RouterMode mode) {
  return mode == RouterMode::kInit || mode == RouterMode::kLegacy || mode == RouterMode::kUnitTest;
}

std::string_view ProtocolName(Protocol protocol) {
  return protocol == Protocol::kTcp ? "tcp" : "udp";
}

Result<RedirectSpec> ParseEgressDestination(std::string_view value, ErrorLocation* where) {
  VIGIE_TRY(CheckSize(kDestinationVar, value, where));
  if (value.empty()) {
    return Fail(where, kDestinationVar, 0, "EGRESS_DESTINATION unspecified");
  }
  RedirectSpec spec;
  std::set<uint16_t> used_ports;
  for (EnvLine& line : SplitEnvLines(value)) {
    if (IsBlankOrComment(line.text)) {
      continue;
    }
    auto fail = [&](std::string message) {
      return Fail(where, kDestinationVar, line.line, std::move(message));
    };
    if (spec.fallback) {
      return fail("EGRESS_DESTINATION fallback IP must be the last line");
    }
    auto invalid = [&] { return fail("EGRESS_DESTINATION value '" + line.text + "' is invalid"); };
    std::vector<std::string_view> f = SplitFields(line.text);
    if (f.size() == 1 && HasDottedQuadShape(f[0])) {
      // Deviation: octets are range-checked here (upstream leaves that to nft).
      auto address = IpAddress::ParseV4(f[0]);
      if (!address) {
        return invalid();
      }
      spec.fallback = FallbackRule{line.line, line.text, *address};
      continue;
    }
    bool three = f.size() == 3;
    bool four = f.size() == 4 && IsDigits(f[3]);
    if (!(three || four) || !IsDigits(f[0]) || (f[1] != "tcp" && f[1] != "udp") ||
        !HasDottedQuadShape(f[2])) {
      return invalid();
    }
    auto address = IpAddress::ParseV4(f[2]);
    if (!address) {
      return invalid();
    }
    RedirectRule rule;
    rule.line = line.line;
    rule.protocol = f[1] == "tcp" ? Protocol::kTcp : Protocol::kUdp;
    rule.destination = *address;
    // Upstream validates the destination port before the local one.
    if (four) {
      auto remote = ParsePort(f[3]);
      if (!remote) {
        return fail(InvalidPortMessage(f[3]));
      }
      rule.remote_port = *remote;
      rule.remote_port_written = true;
    }
    auto local = ParsePort(f[0]);
    if (!local) {
      return fail(InvalidPortMessage(f[0]));
    }
    rule.local_port = *local;
    if (!four) {
      rule.remote_port = *local;
    }
    if (!used_ports.insert(*local).second) {
      return fail("EGRESS_DESTINATION localport " + std::string(f[0]) +
                  " is already used, must be unique for each destination");
    }
    rule.text = std::move(line.text);
    spec.rules.push_back(std::move(rule));
  }
  return spec;
}

Result<RouterSpec> ParseRouterEnvironment(const Environment& env, ErrorLocation* where) {
  auto get = [&](std::string_view name) -> std::string_view {
    auto it = env.find(name);
    return it == env.end() ? std::string_view() : std::string_view(it->second);
  };
  RouterSpec spec;

  std::string_view source = get("EGRESS_SOURCE");
  {
    size_t slash = source.find('/');
    std::string_view bare = source.substr(0, slash);
    std::optional<IpAddress> address;
    if (HasDottedQuadShape(bare)) {
      if (auto v4 = IpAddress::ParseV4(bare)) {
        address = *v4;
      }
    }
    bool ok = address.has_value();
    if (ok && slash != std::string_view::npos) {
      std::string_view digits = source.substr(slash + 1);
      ok = IsDigits(digits) && digits.size() <= 2 && std::stoi(std::string(digits)) <= 32;
      if (ok) {
        spec.source_prefix_length = std::stoi(std::string(digits));
      }
    }
    if (!ok) {
      return Fail(where, "EGRESS_SOURCE", 0, "EGRESS_SOURCE unspecified or invalid");
    }
    spec.source = *address;
  }

  std::string_view gateway = get("EGRESS_GATEWAY");
  std::optional<IpAddress> gateway_address;
  if (HasDottedQuadShape(gateway)) {
    if (auto v4 = IpAddress::ParseV4(gateway)) {
      gateway_address = *v4;
    }
  }
  if (!gateway_address) {
    return Fail(where, "EGRESS_GATEWAY", 0, "EGRESS_GATEWAY unspecified or invalid");
  }
  spec.gateway = *gateway_address;
  spec.debug = !get("EGRESS_ROUTER_DEBUG").empty();

  auto mode = ParseRouterMode(get("EGRESS_ROUTER_MODE"));
  if (!mode) {
    return Fail(where, "EGRESS_ROUTER_MODE", 0, mode.error().context());
  }
  spec.mode = *mode;
  if (ModeUsesDestination(spec.mode)) {
    VIGIE_ASSIGN_OR_RETURN(spec.redirect, ParseEgressDestination(get(kDestinationVar), where));
  }
  return spec;
}

// ---------------------------------------------------------------------------
// HTTP proxy.

std::string_view AclActionName(AclAction action) {
  return action == AclAction::kAllow ? "allow" : "deny";
}

Result<HttpProxySpec> ParseHttpProxyDestination(std::string_view value, ErrorLocation* where) {
  VIGIE_TRY(CheckSize(kHttpProxyVar, value, where));
  if (value.empty()) {
    return Fail(where, kHttpProxyVar, 0, "No EGRESS_HTTP_PROXY_DESTINATION specified");
  }
  HttpProxySpec spec;
  int number = 0;
  for (EnvLine& line : SplitEnvLines(value)) {
    // Upstream skips `^\w*$`, which bash reads as "only w characters"
    // (so "www" vanished); vigie skips empty lines only (docs/egress.md).
    if (line.text.empty() || line.text.front() == '#') {
      continue;
    }
    ++number;
    auto fail = [&](std::string message) {
      return Fail(where, kHttpProxyVar, line.line, std::move(message));
    };
    if (line.text == "*") {
      spec.wildcard = WildcardRule{line.line, number, line.text};
      continue;
    }
    if (spec.wildcard) {
      return fail("Wildcard must be last rule, if present");
    }
    ProxyRule rule;
    rule.line = line.line;
    rule.number = number;
    std::string_view dest = line.text;
    if (dest.front() == '!') {
      rule.action = AclAction::kDeny;
      dest.remove_prefix(1);
    }
    auto bad = [&] { return fail("Bad destination '" + std::string(dest) + "'"); };
    bool host_like = false;
    if (HasHttpProxyAddressShape(dest)) {
      auto prefix = Cidr::ParseClearingHostBits(dest);
      if (prefix) {
        if (prefix->base().IsV4Mapped() && prefix->prefix_len() >= 96) {
          prefix = Cidr(prefix->base().Unmapped(), prefix->prefix_len() - 96);
        }
        rule.kind = ProxyRuleKind::kAddress;
        rule.token = std::string(dest);
        rule.prefix = *prefix;
      } else {
        // Deviation: upstream hands these to Squid's `dst`, which resolves
        // a name once at startup or aborts. A hex-looking name such as
        // "cafe.be" is taken as the host name it is; anything else is bad.
        bool has_hex_letter = std::any_of(dest.begin(), dest.end(),
                                          [](char c) { return IsXdigit(c) && !IsDigit(c); });
        if (!has_hex_letter || dest.find_first_of(":/") != std::string_view::npos ||
            !HasHostnameShape(dest)) {
          return bad();
        }
        host_like = true;
      }
    } else if (dest.size() > 2 && dest.substr(0, 2) == "*." && HasHostnameShape(dest.substr(2))) {
      rule.kind = ProxyRuleKind::kDomain;
      rule.token = std::string(dest.substr(1));
      rule.name = NormalizeName(dest.substr(2));
    } else if (HasHostnameShape(dest)) {
      host_like = true;
    } else {
      return bad();
    }
    if (host_like) {
      rule.kind = ProxyRuleKind::kHost;
      rule.token = std::string(dest);
      rule.name = NormalizeName(dest);
    }
    rule.text = std::move(line.text);
    spec.rules.push_back(std::move(rule));
  }
  return spec;
}

Result<HttpProxySpec> ParseHttpProxyEnvironment(const Environment& env, ErrorLocation* where) {
  auto it = env.find(kHttpProxyVar);
  return ParseHttpProxyDestination(it == env.end() ? std::string_view() : it->second, where);
}

// ---------------------------------------------------------------------------
// DNS proxy.

Result<DnsProxySpec> ParseDnsProxyDestination(std::string_view value, ErrorLocation* where) {
  VIGIE_TRY(CheckSize(kDnsProxyVar, value, where));
  if (value.empty()) {
    return Fail(where, kDnsProxyVar, 0, "Must specify EGRESS_DNS_PROXY_DESTINATION");
  }
  DnsProxySpec spec;
  std::set<uint16_t> used_ports;
  int number = 0;
  for (EnvLine& line : SplitEnvLines(value)) {
    if (IsBlankOrComment(line.text)) {
      continue;
    }
    ++number;
    auto fail = [&](std::string message) {
      return Fail(where, kDnsProxyVar, line.line, std::move(message));
    };
    auto bad = [&] { return fail("Bad destination '" + line.text + "'"); };
    std::vector<std::string_view> f = SplitFields(line.text);
    if ((f.size() != 2 && f.size() != 3) || !IsDigits(f[0]) || (f.size() == 3 && !IsDigits(f[2]))) {
      return bad();
    }
    DnsProxyRule rule;
    rule.line = line.line;
    rule.number = number;
    rule.target = std::string(f[1]);
    if (HasDottedQuadShape(f[1])) {
      // Deviation: octets are range-checked (upstream leaves it to haproxy).
      auto address = IpAddress::ParseV4(f[1]);
      if (!address) {
        return bad();
      }
      rule.address = *address;
    } else if (!HasDnsDomainShape(f[1])) {
      return bad();
    }
    auto port = ParsePort(f[0]);
    if (!port) {
      return fail(InvalidPortMessage(f[0]));
    }
    rule.port = *port;
    rule.target_port = *port;
    if (f.size() == 3) {
      auto target_port = ParsePort(f[2]);
      if (!target_port) {
        return fail(InvalidPortMessage(f[2]));
      }
      rule.target_port = *target_port;
    }
    if (!used_ports.insert(*port).second) {
      return fail("Proxy port " + std::string(f[0]) +
                  " already used, must be unique for each destination");
    }
    rule.text = std::move(line.text);
    spec.rules.push_back(std::move(rule));
  }
  return spec;
}

Result<DnsProxySpec> ParseDnsProxyEnvironment(const Environment& env, ErrorLocation* where) {
  auto it = env.find(kDnsProxyVar);
  VIGIE_ASSIGN_OR_RETURN(
      DnsProxySpec spec,
      ParseDnsProxyDestination(it == env.end() ? std::string_view() : it->second, where));
  auto debug = env.find("EGRESS_DNS_PROXY_DEBUG");
  spec.debug = debug != env.end() && !debug->second.empty();
  return spec;
}

}  // namespace vigie::egress
