// The `events:` section of vigie.yaml (and of `vigie events -c FILE`):
// listeners with Riemann's defaults, index and expiry settings, Graphite and
// forward outputs, carbon/statsd ingest, and the `streams:` tree read into
// StreamSpecs. Reference: docs/events.md §7.
//
// Thread rules: a parsed EventsConfig is immutable and shared as
// std::shared_ptr<const EventsConfig> between the control thread, the
// workers and the event core thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/component.h"
#include "core/config.h"
#include "core/http/browser_guard.h"
#include "core/ip.h"
#include "core/units.h"
#include "events/stream/stream.h"

namespace vigie::events {

// carbon plaintext output (riemann.graphite).
struct GraphiteOutputConfig {
  Address target{Address::Kind::kInet, "127.0.0.1", 2003, {}};
  std::string prefix;             // prepended to every path ("" or "riemann.")
  bool percentile_paths = false;  // graphite-path-percentiles: "... 0.95" -> "... 95"
  Duration flush_interval = std::chrono::seconds(1);
  uint64_t batch_bytes = 64 * 1024;  // flush early once this much is buffered
  ByteSize buffer{8u << 20};         // bound on unsent lines; beyond it lines are dropped
  Duration connect_timeout = std::chrono::seconds(5);
  Duration write_timeout = std::chrono::seconds(10);
  Duration backoff_min = std::chrono::milliseconds(100);
  Duration backoff_max = std::chrono::seconds(10);
};

// Riemann-protocol TCP output to another server (riemann.client forward).
struct ForwardOutputConfig {
  Address target{Address::Kind::kInet, "127.0.0.1", 5555, {}};
  uint64_t batch = 100;  // events per message
  Duration flush_interval = std::chrono::milliseconds(200);
  uint64_t queue = 100'000;  // bound on unsent events; beyond it events are dropped
  Duration timeout = std::chrono::seconds(10);
  Duration backoff_min = std::chrono::milliseconds(100);
  Duration backoff_max = std::chrono::seconds(10);
};

// JSON over HTTP POST (a batch of events as a JSON array per request), for
// alerting hooks (Alertmanager-style receivers, chat bots, ticket systems).
// http:// only: put a local TLS proxy in front for https endpoints.
struct WebhookOutputConfig {
  std::string url;     // as written, for messages
  std::string host;    // from the URL
  uint16_t port = 80;  // from the URL
  std::string path = "/";
  // Extra request headers (Authorization ...). Values are secrets: never
  // logged, never echoed in errors.
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t batch = 100;  // events per request
  Duration flush_interval = std::chrono::seconds(1);
  uint64_t queue = 10'000;  // bound on unsent events; beyond it events are dropped
  Duration timeout = std::chrono::seconds(10);
  Duration backoff_min = std::chrono::milliseconds(100);
  Duration backoff_max = std::chrono::seconds(30);
};

// Parses "http://host[:port][/path]"; the error names what is wrong.
Result<WebhookOutputConfig> ParseWebhookUrl(std::string_view url);

// Riemann's TLS server (tcp-server {:tls? true ...}): the Riemann protocol
// over TLS, by default on 5554. As in Riemann, clients must present a
// certificate signed by `ca_cert` unless verify_clients is false. The
// files are read when the listener starts and again at every reload, so a
// rotated certificate takes effect without a restart; a reload whose files
// do not load fails and keeps the running ones.
struct TlsListenerConfig {
  Address listen{Address::Kind::kInet, "127.0.0.1", 5554, {}};
  std::string cert;     // PEM certificate chain, server first
  std::string key;      // PEM private key (PKCS#8 as Riemann wants, or traditional)
  std::string ca_cert;  // PEM CA certificates that sign the clients' certificates
  bool verify_clients = true;
  Duration handshake_timeout = std::chrono::seconds(10);
};

struct EventsConfig final : ComponentConfig {
  // Listeners; nullopt = off. Riemann's defaults.
  std::optional<Address> tcp = Address{Address::Kind::kInet, "127.0.0.1", 5555, {}};
  std::optional<Address> udp = Address{Address::Kind::kInet, "127.0.0.1", 5555, {}};
  std::optional<Address> http = Address{Address::Kind::kInet, "127.0.0.1", 5556, {}};
  // `http:` as a map: {listen, allowed_hosts, allowed_origins}. Who may
  // reach the HTTP port through a browser (core/http/browser_guard.h):
  // loopback origins (riemann-dash on localhost) and these.
  http::BrowserPolicy http_policy;
  std::optional<Address> carbon;         // graphite-server input (2003), off by default
  std::optional<Address> statsd;         // statsd input (8125/udp), off by default
  std::optional<TlsListenerConfig> tls;  // Riemann over TLS (5554), off by default
  Duration statsd_flush = std::chrono::seconds(10);

  // Index.
  double ttl_seconds = 60;                             // riemann.index/default-ttl
  Duration expire_interval = std::chrono::seconds(5);  // (periodically-expire 5)
  bool expired_keep_all_fields = false;
  bool log_expired = true;  // (expired (fn [e] (info "expired" e)))
  uint64_t max_events = 10'000'000;
  // Bytes the indexed events may be charged (EventIndex::bytes()); past it
  // the events due soonest are evicted. 1 GiB: about max_events events of
  // the measured 113 bytes, so it binds when events are larger than usual.
  ByteSize max_index_bytes{uint64_t{1} << 30};
  std::string snapshot;  // file; "" = none

  // Bounds on network input and queues.
  ByteSize max_frame{8u << 20};
  // Bound on one reply: a query's answer (encoded), a WebSocket/SSE
  // snapshot or the Prometheus view (rendered), and the JSON queued for
  // one subscriber. Over it, an error naming the limit; nothing is copied
  // past it.
  ByteSize max_reply{64u << 20};
  uint64_t queue_events = 1'000'000;   // events waiting for the event core
  uint64_t subscriber_queue = 10'000;  // messages waiting for one WebSocket/SSE client
  uint64_t max_connections = 10'000;   // per listener kind
  Duration idle_timeout = std::chrono::minutes(5);
  Duration write_timeout = std::chrono::seconds(10);

  std::optional<GraphiteOutputConfig> graphite;
  std::optional<ForwardOutputConfig> forward;
  std::optional<WebhookOutputConfig> webhook;
  std::vector<StreamSpec> streams;

  // Self-telemetry: every `self_telemetry` interval, each metric of the
  // process (all components) enters the streams as an event with service
  // "vigie <component> <metric>[ label=value...]"; nullopt = off.
  std::optional<Duration> self_telemetry = std::chrono::seconds(10);  // default: [sink index]
};

bool ParseValue(const config::Field& f, EventsConfig& out);
bool ParseValue(const config::Field& f, GraphiteOutputConfig& out);
bool ParseValue(const config::Field& f, ForwardOutputConfig& out);
bool ParseValue(const config::Field& f, WebhookOutputConfig& out);
bool ParseValue(const config::Field& f, TlsListenerConfig& out);

// Reads one stream node (see docs/events.md §7.2): a bare word (`index`,
// `sum`), or a map with one kind key, an optional `then:` list of children
// and, under `split`, an optional `when:` query.
bool ParseStreamNode(const config::Field& f, StreamSpec& out);

// The sink names the server provides, given a config.
std::vector<std::string> SinkNames(const EventsConfig& c);

}  // namespace vigie::events
