#include "core/http/browser_guard.h"

#include "core/http/fields.h"
#include "core/ip.h"

namespace vigie::http {
namespace {

std::string_view TrimDot(std::string_view host) {
  return !host.empty() && host.back() == '.' ? host.substr(0, host.size() - 1) : host;
}

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && EqualsIgnoreCase(s.substr(s.size() - suffix.size()), suffix);
}

bool IsLoopbackName(std::string_view host) {
  host = TrimDot(host);
  return EqualsIgnoreCase(host, "localhost") || EndsWithIgnoreCase(host, ".localhost");
}

// Splits "host[:port]" or "[v6][:port]"; nullopt when malformed.
std::optional<HostAndPort> Split(std::string_view text) {
  auto split = SplitHostAndPort(text);
  if (!split || split->host.empty()) {
    return std::nullopt;
  }
  if (split->has_port) {
    if (split->port.empty() || split->port.size() > 5 ||
        split->port.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
  }
  // An unbracketed IPv6 literal is not a Host ("::1" would split as "::" and "1").
  if (!text.starts_with('[') && split->host.find(':') != std::string_view::npos) {
    return std::nullopt;
  }
  return *split;
}

}  // namespace

bool HostAllowed(std::optional<std::string_view> host, const BrowserPolicy& policy) {
  if (!host || host->empty()) {
    return true;
  }
  auto split = Split(*host);
  if (!split) {
    return false;
  }
  if (IsLoopbackName(split->host) || IpAddress::Parse(split->host)) {
    return true;
  }
  for (const std::string& name : policy.allowed_hosts) {
    if (EqualsIgnoreCase(TrimDot(split->host), TrimDot(name))) {
      return true;
    }
  }
  return false;
}

bool OriginAllowed(std::string_view origin, const BrowserPolicy& policy) {
  if (origin.ends_with('/')) {
    origin.remove_suffix(1);
  }
  for (const std::string& allowed : policy.allowed_origins) {
    std::string_view a = allowed;
    if (a.ends_with('/')) {
      a.remove_suffix(1);
    }
    if (EqualsIgnoreCase(origin, a)) {
      return true;
    }
  }
  std::string_view rest;
  if (origin.starts_with("http://")) {
    rest = origin.substr(7);
  } else if (origin.starts_with("https://")) {
    rest = origin.substr(8);
  } else {
    return false;  // "null", other schemes
  }
  auto split = Split(rest);
  if (!split) {
    return false;
  }
  if (IsLoopbackName(split->host)) {
    return true;
  }
  auto ip = IpAddress::Parse(split->host);
  return ip && ip->IsLoopback();
}

std::optional<std::string> RefuseFromBrowser(std::optional<std::string_view> host,
                                             std::optional<std::string_view> origin,
                                             std::optional<std::string_view> sec_fetch_site,
                                             bool state_changing, const BrowserPolicy& policy) {
  if (!HostAllowed(host, policy)) {
    return "Host \"" + std::string(host->substr(0, 255)) +
           "\" does not name this server (allowed: loopback names, IP addresses and the "
           "configured allowed_hosts)";
  }
  if (!state_changing) {
    return std::nullopt;
  }
  if (origin && !OriginAllowed(*origin, policy)) {
    return "cross-origin request from \"" + std::string(origin->substr(0, 255)) +
           "\" refused (allowed: loopback origins and the configured allowed_origins)";
  }
  if (!origin && sec_fetch_site &&
      (EqualsIgnoreCase(*sec_fetch_site, "cross-site") ||
       EqualsIgnoreCase(*sec_fetch_site, "same-site"))) {
    return "cross-site request (Sec-Fetch-Site: " + std::string(sec_fetch_site->substr(0, 32)) +
           ") refused";
  }
  return std::nullopt;
}

}  // namespace vigie::http
