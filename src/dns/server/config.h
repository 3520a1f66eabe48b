// The `dns:` section of vigie.yaml: listeners, upstreams, block/allow list
// sources, the block answer, local records, cache and access settings, and
// the same config built from `vigie dns` flags. Reference: docs/dns.md.
//
// Thread rules: a parsed DnsConfig is immutable and shared between threads
// as std::shared_ptr<const DnsConfig>.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/component.h"
#include "core/config.h"
#include "core/ip.h"
#include "core/units.h"
#include "dns/blocklist/list_parser.h"
#include "dns/cache/cache.h"
#include "dns/ratelimit/rate_limiter.h"

namespace vigie::dns {

// A block or allow list: a file path or an http:// or https:// URL.
struct ListSourceConfig {
  std::string id;      // the operator's name; defaults to the file name
  std::string source;  // "/etc/vigie/my-block.txt", "http://host/hosts", "https://host/hosts"
  ListFormat format = ListFormat::kAuto;
  // https:// only: PEM file of the CAs that may sign the server's
  // certificate; empty: the system's trust store. Checked readable at parse.
  std::string ca_file;
  bool IsUrl() const;
};

// How a blocked name is answered when its rule does not say.
enum class BlockMode : uint8_t { kNxdomain, kNull, kRefused, kNodata, kAddress };

struct LocalRecordConfig {
  std::string name;
  uint16_t type = 0;  // A, AAAA, CNAME or PTR
  std::string value;  // address or target name
  uint32_t ttl = 300;
};

// An upstream server: plain DNS (UDP, TCP on TC=1), or DNS over TLS
// (RFC 7858) when `tls` is set.
struct UpstreamConfig {
  Address address;  // IP:port (53 by default, 853 for tls://)
  bool tls = false;
  std::string server_name;  // SNI and the name the certificate must carry;
                            // empty: the certificate must carry the IP
  std::string ca_file;      // PEM bundle; empty: the system's trust store
  bool verify = true;       // false: accept any certificate (testing only)
  // "192.0.2.1:53", "tls://192.0.2.1:853#dns.example".
  std::string ToString() const;
};

// What happens to a query over its client's rate limit.
enum class RateLimitAction : uint8_t {
  kDrop,      // no answer (unbound ip-ratelimit, dnsdist DropAction)
  kRefused,   // REFUSED
  kTruncate,  // TC=1 and no records over UDP: real clients retry over TCP,
              // where the handshake proves the source; TCP is not limited
};

// `query_log:`: one JSON line per query, rotated by size.
struct QueryLogConfig {
  std::string path;  // empty: no query log
  uint64_t max_bytes = uint64_t{100} << 20;
  uint32_t keep = 5;             // rotated files kept: path.1 .. path.keep
  uint32_t queue_lines = 10000;  // per worker; lines beyond are dropped and counted
  bool enabled() const { return !path.empty(); }
};

struct DnsConfig : ComponentConfig {
  // UDP and TCP on each. Port 53 needs CAP_NET_BIND_SERVICE and usually
  // collides with the system resolver, hence 5353.
  std::vector<Address> listen = {Address{Address::Kind::kInet, "127.0.0.1", 5353, {}}};
  std::vector<UpstreamConfig> upstreams;                 // tried in order (failover)
  Duration tls_idle_timeout = std::chrono::seconds(10);  // an unused DoT connection closes
  std::vector<ListSourceConfig> block;
  std::vector<ListSourceConfig> allow;
  Duration refresh = std::chrono::hours(24);
  Duration download_timeout = std::chrono::seconds(10);
  uint64_t max_list_bytes = uint64_t{256} << 20;
  std::string state_dir;  // where the last good copy of each URL list is kept
  BlockMode block_mode = BlockMode::kNxdomain;
  std::vector<std::array<uint8_t, 4>> block_v4;  // kAddress / kNull
  std::vector<std::array<uint8_t, 16>> block_v6;
  uint32_t block_ttl = 60;
  std::vector<LocalRecordConfig> local;
  CacheConfig cache;
  bool cache_enabled = true;
  std::vector<Cidr> clients;  // who may query; default loopback only
  Duration upstream_timeout = std::chrono::milliseconds(1500);
  // unbound's use-caps-for-id (dns-0x20): random letter case in the names
  // sent upstream over UDP, the reply's question must echo it exactly; a
  // reply that does not is asked again without (see upstream.h).
  bool use_caps_for_id = false;
  Duration tcp_idle_timeout = std::chrono::seconds(10);
  uint32_t max_tcp_connections = 256;  // per worker
  uint32_t max_inflight = 1024;        // upstream queries per worker
  bool cname_inspect = true;
  uint16_t edns_udp_size = kDefaultEdnsUdpSize;
  RateLimitConfig rate_limit;  // off unless qps > 0
  RateLimitAction rate_limit_action = RateLimitAction::kDrop;
  QueryLogConfig query_log;
  uint32_t top_names = 1000;  // counters per worker behind /dns/top
  // Names in the vigie_dns_top_blocked_queries{name} family of /metrics
  // (0: none); a small number keeps the series count low.
  uint32_t top_blocked_metrics = 10;
};

bool ParseValue(const config::Field& f, DnsConfig& out);
bool ParseValue(const config::Field& f, ListSourceConfig& out);
bool ParseValue(const config::Field& f, LocalRecordConfig& out);
bool ParseValue(const config::Field& f, UpstreamConfig& out);

// The `nameserver` addresses of a resolv.conf text, in order (port 53), as
// the system resolver and dnsmasq's resolv-file read them. `#`/`;` start a
// comment; scoped IPv6 (`fe80::1%eth0`) and malformed lines are skipped and
// described in *skipped.
std::vector<Address> ParseResolvConf(std::string_view text, std::vector<std::string>* skipped);

// Parses a `block_mode` word: nxdomain, null, refused, nodata, or an IPv4 /
// IPv6 address (several separated by commas) to answer with.
Result<void> ParseBlockMode(std::string_view text, DnsConfig& out);
std::string BlockModeText(const DnsConfig& c);

// `vigie dns` flags, and the `dns:` section they stand for as a config
// overlay: each flag sets the key of its name, read by the section's own
// parser, and errors about it name the flag.
struct DnsFlags {
  std::vector<std::string> listen;
  std::vector<std::string> upstreams;
  std::vector<std::string> block;
  std::vector<std::string> allow;
  std::string block_mode;
  std::string refresh;
  std::string state_dir;
};
config::Overlay FlagsOverlay(const DnsFlags& flags);

}  // namespace vigie::dns
