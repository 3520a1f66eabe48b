// Parsing of `egress.dns_proxy` and `egress.redirect`, and the line lists
// both destination grammars turn into.
#include "egress/forward/config.h"

#include <algorithm>
#include <charconv>

#include "egress/proxy/config.h"

namespace vigie::egress::forward {
namespace {

Error Bad(std::string message) {
  return Error(Errc::kInvalidArgument, std::move(message));
}

std::optional<uint16_t> ParsePortNumber(std::string_view text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  if (v < 1 || v > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(v);
}

config::Field SubField(const config::Field& f, std::string_view key) {
  const config::Value* v = f.value().Find(key);
  return v == nullptr ? f : config::Field(*v, f.path() + "." + std::string(key), f.diag());
}

}  // namespace

std::string_view ForwardModeName(ForwardMode mode) {
  return mode == ForwardMode::kDnsProxy ? "dns-proxy" : "redirect";
}

Result<std::vector<PortItem>> ParsePortSet(std::string_view text) {
  std::vector<PortItem> out;
  size_t count = 0;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.remove_suffix(1);
    }
    if (item.empty()) {
      continue;
    }
    std::string_view ports = item;
    Protocol protocol = Protocol::kTcp;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view proto = item.substr(slash + 1);
      if (proto == "udp") {
        protocol = Protocol::kUdp;
      } else if (proto != "tcp") {
        return Bad("bad port item '" + std::string(item) + "' (protocol: tcp or udp)");
      }
      ports = item.substr(0, slash);
    }
    std::string_view first_text = ports, last_text = ports;
    if (size_t dash = ports.find('-'); dash != std::string_view::npos) {
      first_text = ports.substr(0, dash);
      last_text = ports.substr(dash + 1);
    }
    auto first = ParsePortNumber(first_text);
    auto last = ParsePortNumber(last_text);
    if (!first || !last || *last < *first) {
      return Bad("bad port item '" + std::string(item) + "' (PORT or FIRST-LAST, 1..65535)");
    }
    count += static_cast<size_t>(*last - *first) + 1;
    if (count > kMaxFallbackPorts) {
      return Error(Errc::kLimitExceeded,
                   "more than " + std::to_string(kMaxFallbackPorts) + " fallback ports");
    }
    for (uint32_t p = *first; p <= *last; ++p) {
      PortItem pi{protocol, static_cast<uint16_t>(p)};
      if (std::find(out.begin(), out.end(), pi) == out.end()) {
        out.push_back(pi);
      }
    }
  }
  return out;
}

std::vector<ForwardLine> RedirectLines(const RedirectSpec& spec,
                                       const std::vector<PortItem>& fallback_ports) {
  std::vector<ForwardLine> out;
  for (const RedirectRule& r : spec.rules) {
    ForwardLine l;
    l.line = r.line;
    l.text = r.text;
    l.protocol = r.protocol;
    l.port = r.local_port;
    l.address = r.destination;
    l.target_port = r.remote_port;
    out.push_back(std::move(l));
  }
  if (spec.fallback) {
    for (const PortItem& p : fallback_ports) {
      bool taken = std::any_of(spec.rules.begin(), spec.rules.end(), [&](const RedirectRule& r) {
        return r.protocol == p.protocol && r.local_port == p.port;
      });
      if (taken) {
        continue;
      }
      ForwardLine l;
      l.line = spec.fallback->line;
      l.text = spec.fallback->text;
      l.protocol = p.protocol;
      l.port = p.port;
      l.address = spec.fallback->destination;
      l.target_port = p.port;
      l.fallback = true;
      out.push_back(std::move(l));
    }
  }
  return out;
}

std::vector<ForwardLine> DnsProxyLines(const DnsProxySpec& spec) {
  std::vector<ForwardLine> out;
  for (const DnsProxyRule& r : spec.rules) {
    ForwardLine l;
    l.line = r.line;
    l.text = r.text;
    l.port = r.port;
    if (r.address) {
      l.address = r.address;
    } else {
      l.name = r.target;
    }
    l.target_port = r.target_port;
    out.push_back(std::move(l));
  }
  return out;
}

Result<IpAddress> ParseSourceValue(std::string_view text) {
  size_t slash = text.find('/');
  auto address = IpAddress::ParseV4(text.substr(0, slash));
  bool ok = address.has_value();
  if (ok && slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    ok = !digits.empty() && digits.size() <= 2 &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoi(std::string(digits)) <= 32;
  }
  if (!ok) {
    return Bad("EGRESS_SOURCE unspecified or invalid");
  }
  return *address;
}

Result<void> LoadLines(ForwarderConfig& out) {
  std::string text = out.destination;
  std::string source = "destination";
  if (!out.destination_file.empty()) {
    VIGIE_ASSIGN_OR_RETURN(text, proxy::ReadSmallFile(out.destination_file));
    source = out.destination_file;
  }
  ErrorLocation where;
  if (out.mode == ForwardMode::kDnsProxy) {
    auto spec = ParseDnsProxyDestination(text, &where);
    if (!spec) {
      return Error(spec.error().code(), proxy::DescribeSpecError(spec.error(), where, source));
    }
    out.lines = DnsProxyLines(*spec);
    return {};
  }
  auto spec = ParseEgressDestination(text, &where);
  if (!spec) {
    return Error(spec.error().code(), proxy::DescribeSpecError(spec.error(), where, source));
  }
  VIGIE_ASSIGN_OR_RETURN(auto ports, ParsePortSet(out.fallback_ports));
  out.lines = RedirectLines(*spec, ports);
  return {};
}

bool ParseValue(const config::Field& f, HealthCheckConfig& out) {
  auto m = f.AsMap();
  Duration timeout{};
  m.Optional("enabled", out.enabled);
  m.Optional("interval", out.interval, BareUnit::kSeconds);
  m.Optional("timeout", timeout, BareUnit::kSeconds);
  m.Optional("rise", out.rise);
  m.Optional("fall", out.fall);
  bool has_timeout = m.Has("timeout");
  m.Finish();
  if (!m.ok()) {
    return false;
  }
  if (out.interval < std::chrono::milliseconds(100) || out.interval > std::chrono::hours(1)) {
    return SubField(f, "interval").Fail("must be within 100ms..1h");
  }
  if (has_timeout) {
    // A check outlasting `interval` only delays the next one (checks of one
    // address never overlap), so the two are not tied together.
    if (timeout < std::chrono::milliseconds(10) || timeout > std::chrono::minutes(1)) {
      return SubField(f, "timeout").Fail("must be within 10ms..1m");
    }
    out.timeout = timeout;
  }
  if (out.rise < 1 || out.rise > 100) {
    return SubField(f, "rise").Fail("must be within 1..100");
  }
  if (out.fall < 1 || out.fall > 100) {
    return SubField(f, "fall").Fail("must be within 1..100");
  }
  return true;
}

bool ParseValue(const config::Field& f, ForwarderConfig& out, ForwardMode mode) {
  out.mode = mode;
  // Upstream's haproxy checked every server; its kernel DNAT (redirect
  // mode) checked nothing, and a redirect line has a single address, so
  // checks could only report there: off unless asked for.
  out.health_check.enabled = mode == ForwardMode::kDnsProxy;
  auto m = f.AsMap();
  std::string listen_address = out.listen_address.ToString();
  std::string source;
  m.Optional("listen_address", listen_address);
  m.Optional("destination", out.destination);
  m.Optional("destination_file", out.destination_file);
  m.Optional("source", source);
  m.Optional("connect_timeout", out.connect_timeout, BareUnit::kSeconds);
  m.Optional("idle_timeout", out.idle_timeout, BareUnit::kSeconds);
  m.Optional("half_close_timeout", out.half_close_timeout, BareUnit::kSeconds);
  m.Optional("max_connections", out.max_connections);
  m.Optional("retries", out.retries);
  m.Optional("failed_address_hold", out.failed_address_hold, BareUnit::kSeconds);
  m.Optional("health_check", out.health_check);
  m.Optional("splice", out.splice);
  m.Optional("connection_log", out.connection_log);
  std::string engine = "userspace";
  if (mode == ForwardMode::kDnsProxy) {
    m.Optional("hosts_file", out.hosts_file);
    m.Optional("nameservers", out.nameservers,
               AddressOptions{.allow_any_host = false, .default_port = 53});
    m.Optional("resolve_timeout", out.resolve_timeout, BareUnit::kSeconds);
    m.Optional("refresh_interval", out.refresh_interval, BareUnit::kSeconds);
    m.Optional("min_ttl", out.min_ttl, BareUnit::kSeconds);
    m.Optional("max_ttl", out.max_ttl, BareUnit::kSeconds);
  } else {
    m.Optional("engine", engine);
    m.Optional("fallback_ports", out.fallback_ports);
    m.Optional("udp_idle_timeout", out.udp_idle_timeout, BareUnit::kSeconds);
    m.Optional("max_udp_flows", out.max_udp_flows);
  }
  bool has_inline = m.Has("destination");
  bool has_file = m.Has("destination_file");
  m.Finish();
  if (!m.ok()) {
    return false;
  }
  if (has_inline == has_file) {
    return f.Fail(
        std::string("write exactly one of destination (the ") +
        (mode == ForwardMode::kDnsProxy ? "EGRESS_DNS_PROXY_DESTINATION" : "EGRESS_DESTINATION") +
        " text) or destination_file");
  }
  if (engine != "userspace") {
    return SubField(f, "engine")
        .Fail(
            "only \"userspace\" runs under vigie serve; the kernel (nftables) engine is "
            "`vigie egress` with EGRESS_ROUTER_MODE=init or legacy");
  }
  auto listen = IpAddress::Parse(listen_address);
  if (!listen) {
    return SubField(f, "listen_address").Fail("not an address: \"" + listen_address + "\"");
  }
  out.listen_address = *listen;
  if (!source.empty()) {
    auto s = IpAddress::Parse(source);
    if (!s) {
      return SubField(f, "source").Fail("not an address: \"" + source + "\"");
    }
    out.source = *s;
  }
  if (out.max_connections < 1 || out.max_connections > 1000000) {
    return SubField(f, "max_connections").Fail("must be within 1..1000000");
  }
  if (out.max_udp_flows < 1 || out.max_udp_flows > 1000000) {
    return SubField(f, "max_udp_flows").Fail("must be within 1..1000000");
  }
  if (out.retries < 1 || out.retries > 16) {
    return SubField(f, "retries").Fail("must be within 1..16");
  }
  if (out.min_ttl > out.max_ttl) {
    return SubField(f, "min_ttl").Fail("must not exceed max_ttl");
  }
  if (out.refresh_interval < std::chrono::milliseconds(100)) {
    return SubField(f, "refresh_interval").Fail("must be at least 100ms");
  }
  if (out.udp_idle_timeout < std::chrono::milliseconds(100)) {
    return SubField(f, "udp_idle_timeout").Fail("must be at least 100ms");
  }
  if (mode == ForwardMode::kRedirect) {
    if (auto ports = ParsePortSet(out.fallback_ports); !ports) {
      return SubField(f, "fallback_ports").Fail(ports.error().ToString());
    }
  }
  if (auto r = LoadLines(out); !r) {
    return SubField(f, has_file ? "destination_file" : "destination").Fail(r.error().ToString());
  }
  if (!out.hosts_file.empty()) {
    auto hosts = proxy::LoadHostsFile(out.hosts_file);
    if (!hosts) {
      return SubField(f, "hosts_file").Fail(hosts.error().ToString());
    }
    out.hosts = std::move(*hosts);
  }
  return true;
}

}  // namespace vigie::egress::forward
