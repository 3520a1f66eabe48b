// Absolute-form and authority-form request targets.
#include "egress/http/proxy_target.h"

#include <algorithm>

#include "core/http/http_error.h"

namespace vigie::egress::http {

using ::vigie::http::HttpErrc;

namespace {

constexpr size_t kMaxHostName = 253;
constexpr size_t kMaxLabel = 63;

Error Bad(std::string message) {
  return Error(HttpErrc::kBadRequest, std::move(message));
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Result<uint16_t> ParsePortDigits(std::string_view digits, std::string_view context) {
  if (digits.empty() || digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return Bad(std::string(context) + ": bad port \"" + std::string(digits.substr(0, 16)) + "\"");
  }
  uint32_t value = 0;
  for (char c : digits)
    value = value * 10 + static_cast<uint32_t>(c - '0');
  if (value == 0 || value > 65535) {
    return Bad(std::string(context) + ": port " + std::string(digits) + " out of range 1..65535");
  }
  return static_cast<uint16_t>(value);
}

bool LooksNumeric(std::string_view label) {
  if (label.size() > 1 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
    return true;
  }
  return !label.empty() && std::all_of(label.begin(), label.end(), IsDigit);
}

}  // namespace

std::string Authority::ToString() const {
  std::string out = address && address->is_v6() ? "[" + host + "]" : host;
  if (port)
    out += ":" + std::to_string(*port);
  return out;
}

Result<Authority> ParseHost(std::string_view host) {
  if (host.empty()) {
    return Bad("empty host");
  }
  if (host.find('%') != std::string_view::npos) {
    return Bad("host \"" + std::string(host.substr(0, 64)) +
               "\": percent-encoded hosts are not accepted");
  }
  std::string_view name = host;
  if (name.back() == '.')
    name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxHostName) {
    return Bad("host name length must be 1.." + std::to_string(kMaxHostName));
  }
  Authority out;
  out.host.reserve(name.size());
  size_t label_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      size_t label_length = i - label_start;
      if (label_length == 0 || label_length > kMaxLabel) {
        return Bad("host \"" + std::string(host) + "\": empty or over-long label");
      }
      label_start = i + 1;
      if (i < name.size())
        out.host += '.';
      continue;
    }
    char c = name[i];
    if (!IsAlpha(c) && !IsDigit(c) && c != '-' && c != '_') {
      return Bad("host \"" + std::string(host.substr(0, 64)) + "\": bad character");
    }
    out.host += static_cast<char>((c >= 'A' && c <= 'Z') ? (c | 0x20) : c);
  }
  std::string_view last_label = std::string_view(out.host).substr(out.host.rfind('.') + 1);
  if (LooksNumeric(last_label)) {
    auto address = IpAddress::ParseV4(out.host);
    if (!address) {
      return Bad("host \"" + std::string(host) +
                 "\": numeric host that is not a dotted-quad IPv4 address");
    }
    out.address = *address;
  } else {
    out.host = std::string(host.back() == '.' ? out.host + "." : out.host);
  }
  return out;
}

Result<Authority> ParseAuthority(std::string_view text, bool require_port) {
  if (text.find('@') != std::string_view::npos) {
    return Bad("authority \"" + std::string(text.substr(0, 64)) + "\": userinfo is not accepted");
  }
  std::string_view host_part;
  std::string_view rest;
  Authority out;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Bad("authority \"" + std::string(text.substr(0, 64)) +
                 "\": unterminated IPv6 literal");
    }
    std::string_view literal = text.substr(1, close - 1);
    if (!literal.empty() && (literal.front() == 'v' || literal.front() == 'V')) {
      return Bad("IPvFuture literals are not supported");
    }
    auto address = IpAddress::ParseV6(literal);
    if (!address) {
      return Bad("authority \"" + std::string(text.substr(0, 64)) + "\": bad IPv6 literal");
    }
    out.address = *address;
    out.host = address->ToString();
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return Bad("authority \"" + std::string(text.substr(0, 64)) + "\": junk after IPv6 literal");
    }
  } else {
    size_t colon = text.find(':');
    host_part = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    VIGIE_ASSIGN_OR_RETURN(out, ParseHost(host_part));
  }
  if (!rest.empty()) {
    rest.remove_prefix(1);  // ':'
    if (!rest.empty()) {
      VIGIE_ASSIGN_OR_RETURN(out.port, ParsePortDigits(rest, "authority"));
    }
  }
  if (require_port && !out.port) {
    return Bad("authority \"" + std::string(text.substr(0, 64)) + "\": a port is required");
  }
  return out;
}

std::string ProxyTarget::HostHeader() const {
  std::string out = address && address->is_v6() ? "[" + host + "]" : host;
  uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port_written && port != default_port)
    out += ":" + std::to_string(port);
  return out;
}

std::string ProxyTarget::LogUrl() const {
  std::string host_text = address && address->is_v6() ? "[" + host + "]" : host;
  if (kind == Kind::kConnect) {
    return host_text + ":" + std::to_string(port);
  }
  return scheme + "://" + HostHeader() + origin_form;
}

Result<ProxyTarget> ParseProxyTarget(std::string_view method, std::string_view target) {
  ProxyTarget out;
  if (method == "CONNECT") {
    if (target.find('/') != std::string_view::npos) {
      return Bad("CONNECT needs an authority-form target (host:port)");
    }
    VIGIE_ASSIGN_OR_RETURN(Authority authority, ParseAuthority(target, /*require_port=*/true));
    out.kind = ProxyTarget::Kind::kConnect;
    out.host = std::move(authority.host);
    out.address = authority.address;
    out.port = *authority.port;
    out.port_written = true;
    return out;
  }
  if (target.empty() || target.front() == '/' || target == "*") {
    return Bad("request target \"" + std::string(target.substr(0, 64)) +
               "\" is not an absolute URI: this is a forward proxy");
  }
  size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return Bad("request target \"" + std::string(target.substr(0, 64)) +
               "\" is not an absolute URI");
  }
  std::string scheme;
  for (char c : target.substr(0, scheme_end)) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return Bad("bad URI scheme");
    }
    scheme += static_cast<char>((c >= 'A' && c <= 'Z') ? (c | 0x20) : c);
  }
  if (!IsAlpha(target.front())) {
    return Bad("bad URI scheme");
  }
  if (scheme != "http" && scheme != "https") {
    return Error(HttpErrc::kNotImplemented, "URI scheme \"" + scheme + "\" is not supported");
  }
  std::string_view after = target.substr(scheme_end + 3);
  size_t authority_end = after.find_first_of("/?#");
  std::string_view authority_text = after.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : after.substr(authority_end);
  VIGIE_ASSIGN_OR_RETURN(Authority authority,
                         ParseAuthority(authority_text, /*require_port=*/false));
  out.kind = ProxyTarget::Kind::kForward;
  out.scheme = std::move(scheme);
  out.host = std::move(authority.host);
  out.address = authority.address;
  out.port_written = authority.port.has_value();
  out.port = authority.port.value_or(out.scheme == "https" ? 443 : 80);
  path = path.substr(0, path.find('#'));
  if (path.empty() || path.front() == '?') {
    out.origin_form = "/" + std::string(path);
  } else {
    out.origin_form = std::string(path);
  }
  return out;
}

}  // namespace vigie::egress::http
