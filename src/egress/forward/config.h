// Settings of the egress TCP/UDP forwarders: the DNS proxy
// (`egress.dns_proxy`, EGRESS_DNS_PROXY_DESTINATION) and the userspace
// redirect engine (`egress.redirect`, EGRESS_DESTINATION). Both become a list
// of ForwardLine — "listen on PROTO/PORT, forward to ADDRESS-or-NAME:PORT" —
// that one server (forward/forwarder.h) runs. Parsing validates everything,
// so a reload with an invalid list is refused whole.
//
// Thread rules: a parsed config is immutable and shared between workers.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/ip.h"
#include "core/resolv_conf.h"
#include "core/units.h"
#include "egress/spec/spec.h"

namespace vigie::egress::forward {

enum class ForwardMode { kDnsProxy, kRedirect };
// "dns-proxy" / "redirect": the metrics label and the listener key prefix.
std::string_view ForwardModeName(ForwardMode mode);

// One listening port and where it goes.
struct ForwardLine {
  int line = 0;      // line in the destination list (the fallback's line for fallback ports)
  std::string text;  // the line as read
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;                 // local port
  std::string name;                  // a DNS name target (dns-proxy), else empty
  std::optional<IpAddress> address;  // an address target
  uint16_t target_port = 0;
  bool fallback = false;  // from the redirect fallback line over `fallback_ports`
};

// "80,443,53/udp,8000-8100" -> (protocol, port) pairs in order, duplicates
// removed; an item without "/tcp" or "/udp" is TCP. At most kMaxFallbackPorts
// ports. Errors (kInvalidArgument) name the bad item.
inline constexpr size_t kMaxFallbackPorts = 1024;
struct PortItem {
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;
  friend bool operator==(const PortItem&, const PortItem&) = default;
};
Result<std::vector<PortItem>> ParsePortSet(std::string_view text);

// The lines a redirect spec serves: every rule, then the fallback address
// over each of `fallback_ports` that no rule of the same protocol holds.
std::vector<ForwardLine> RedirectLines(const RedirectSpec& spec,
                                       const std::vector<PortItem>& fallback_ports);
std::vector<ForwardLine> DnsProxyLines(const DnsProxySpec& spec);

// Active TCP checks of every address of every TCP destination (haproxy's
// `check` on each server line of upstream's dns-proxy config). Defaults are
// what that config ran with: haproxy's `inter 2s`, `rise 2`, `fall 3`, and a
// connect timeout of min(`timeout connect 10s`, `inter`) = 2s (its
// `timeout check 10s` only bounds a read that a TCP check does not do).
struct HealthCheckConfig {
  bool enabled = true;  // the DNS proxy's default; the redirect engine's is false
  Duration interval = std::chrono::seconds(2);
  // Unset: min(interval, connect_timeout), haproxy's rule.
  std::optional<Duration> timeout;
  int rise = 2;
  int fall = 3;

  // The connect timeout a check uses.
  Duration EffectiveTimeout(Duration connect_timeout) const {
    return timeout ? *timeout : std::min(interval, connect_timeout);
  }
};

// `health_check:` of either section. Errors name the field.
bool ParseValue(const config::Field& f, HealthCheckConfig& out);

struct ForwarderConfig {
  ForwardMode mode = ForwardMode::kDnsProxy;
  // Every line's port is bound on this address (upstream: all addresses of
  // the pod; vigie: loopback unless told).
  IpAddress listen_address = *IpAddress::ParseV4("127.0.0.1");
  // The list (EGRESS_DNS_PROXY_DESTINATION or EGRESS_DESTINATION grammar),
  // inline or from a file re-read on reload.
  std::string destination;
  std::string destination_file;
  std::vector<ForwardLine> lines;  // parsed from one of the two
  // Outgoing connections and flows are bound to this address (EGRESS_SOURCE).
  std::optional<IpAddress> source;
  // Redirect: the ports the fallback line serves (a userspace engine must
  // bind each port; it cannot catch "all ports" as the kernel's DNAT does).
  std::string fallback_ports = "80,443";
  // Resolver for name targets (resolver.h): the hosts file (re-read when it
  // changes; answers live `refresh_interval`), then the nameservers
  // (answers live for their TTL); with neither, /etc/hosts and resolv.conf
  // (re-asked every `refresh_interval`). `hosts` is the file as read with
  // the config, which refuses a file with a bad line.
  std::string hosts_file;
  std::shared_ptr<const HostsTable> hosts;
  std::vector<Address> nameservers;
  Duration resolve_timeout = std::chrono::seconds(5);
  Duration refresh_interval = std::chrono::seconds(10);  // haproxy `hold valid 10s`
  Duration min_ttl = std::chrono::seconds(1);
  Duration max_ttl = std::chrono::hours(1);
  // haproxy defaults of the upstream dns-proxy image.
  Duration connect_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::minutes(1);
  Duration half_close_timeout = std::chrono::seconds(30);
  int max_connections = 4000;
  int retries = 3;  // addresses tried per connection (haproxy `retries 3` + redispatch)
  // An address that refused or timed out is skipped by new connections for this long.
  Duration failed_address_hold = std::chrono::seconds(10);
  // TCP lines only; UDP destinations are not checked.
  HealthCheckConfig health_check;
  // UDP (redirect): flows keyed by client address.
  Duration udp_idle_timeout = std::chrono::seconds(30);
  int max_udp_flows = 10000;
  bool splice = false;
  bool connection_log = true;  // one line per closed connection or flow
};

// `egress.dns_proxy` / `egress.redirect`: which keys are read depends on `mode`.
bool ParseValue(const config::Field& f, ForwarderConfig& out, ForwardMode mode);

// Reads and parses the destination list (and fallback ports) into
// `out.lines`; errors are upstream's messages with their place
// ("destination line 2: Bad destination 'x'").
Result<void> LoadLines(ForwarderConfig& out);

// The source address in EGRESS_SOURCE form ("a.b.c.d" or "a.b.c.d/N").
// Error: "EGRESS_SOURCE unspecified or invalid".
Result<IpAddress> ParseSourceValue(std::string_view text);

}  // namespace vigie::egress::forward
