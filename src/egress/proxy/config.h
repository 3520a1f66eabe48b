// The HTTP proxy's settings: the `egress.http_proxy` section of vigie.yaml,
// or what `vigie egress` builds from the images' environment. Parsing
// validates everything (the destination list with upstream's grammar and
// messages, the hosts file) so a reload with errors is refused whole.
//
// Thread rules: a parsed config is immutable and shared between workers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/ip.h"
#include "core/resolv_conf.h"
#include "core/resolver.h"
#include "core/units.h"
#include "egress/http/forward.h"
#include "egress/spec/spec.h"

namespace vigie::egress::proxy {

struct HttpProxyConfig {
  // Upstream listens on 8080 on every address; vigie keeps the port and
  // binds loopback unless told otherwise.
  Address listen{Address::Kind::kInet, "127.0.0.1", 8080, {}};
  // EGRESS_HTTP_PROXY_DESTINATION, inline or from a file re-read on reload.
  std::string destination;
  std::string destination_file;
  HttpProxySpec spec;  // parsed from one of the two
  // Clients allowed to use the proxy (Squid `src`); empty: every client.
  std::vector<Cidr> allow_clients;
  // Resolver (core/resolver.h): the hosts file, then the nameservers; with
  // neither, what the machine's resolver would use (/etc/hosts, then
  // resolv.conf's servers). The file is read with the config (a reload
  // re-reads it) and a file with a bad line is refused.
  std::string hosts_file;
  std::shared_ptr<const HostsTable> hosts;
  // Recursive DNS servers asked (A and AAAA over UDP, TCP when truncated)
  // for names the hosts file does not hold; with either setting /etc/hosts
  // and resolv.conf are never used.
  std::vector<Address> nameservers;
  Duration resolve_timeout = std::chrono::seconds(5);
  // Squid defaults, kept: `via on`, `forwarded_for on`.
  bool via = true;
  http::ForwardedFor forwarded_for = http::ForwardedFor::kOn;
  // Squid-format access log: a path, "-" for stdout; empty: none (upstream).
  std::string access_log;
  int max_connections = 10000;
  ByteSize max_header_bytes{64 * 1024};
  // First byte to complete head (Squid request_timeout; slowloris bound).
  Duration request_timeout = std::chrono::seconds(30);
  // Idle keep-alive client between requests (client_idle_pconn_timeout).
  Duration idle_timeout = std::chrono::minutes(2);
  Duration connect_timeout = std::chrono::seconds(10);
  // Waiting for the origin's response or its next bytes (read_timeout).
  Duration response_timeout = std::chrono::minutes(1);
  // Nothing moved either way in a CONNECT tunnel.
  Duration tunnel_idle_timeout = std::chrono::minutes(15);
  // CONNECT tunnels move bytes with splice(2) (zero-copy) rather than
  // read/write through a buffer.
  bool tunnel_splice = true;
};

bool ParseValue(const config::Field& f, HttpProxyConfig& out);

// The resolver settings `config` describes: servers = nameservers (each
// waited resolve_timeout / their number, one try), the hosts table loaded
// with the config (never re-read); a hosts file without nameservers means
// that file only; neither means /etc/hosts and resolv.conf.
ResolverOptions ProxyResolverOptions(const HttpProxyConfig& config);

// Reads a hosts-format file for a config: Errors: the file cannot be read,
// or a line is not "address name..." ("/etc/egress/hosts: line 2: not an
// address: \"10.0.0\"").
Result<std::shared_ptr<const HostsTable>> LoadHostsFile(const std::string& path);

// Reads and parses `destination` / `destination_file` and the hosts file
// into `out.spec` / `out.hosts`. Errors are the upstream messages prefixed
// with where they are ("line 2: Bad destination 'foo bar'").
Result<void> LoadReferencedFiles(HttpProxyConfig& out);
Result<void> LoadDestination(HttpProxyConfig& out);
Result<void> LoadHosts(HttpProxyConfig& out);

// Reads a destination list file (at most kMaxEnvValueBytes).
Result<std::string> ReadSmallFile(const std::string& path);

// Prints the config's destination error as upstream does, with the place:
// "EGRESS_HTTP_PROXY_DESTINATION line 2: Bad destination 'x'".
std::string DescribeSpecError(const Error& error, const ErrorLocation& where,
                              std::string_view source);

}  // namespace vigie::egress::proxy

namespace vigie::egress::http {
// "on", "off", "transparent", "truncate", "delete" (Squid's words).
bool ParseValue(const config::Field& f, ForwardedFor& out);
}  // namespace vigie::egress::http
