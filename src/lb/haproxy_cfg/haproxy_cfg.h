// Reader for the haproxy.cfg subset that kube-apiserver load balancers use
// (the Kube-Spray article's `listen` block and kubespray's node-local LB):
// text in, a resolved model (frontends with binds -> backend, backends with
// fully inherited servers) plus diagnostics out. Pure: no I/O, never throws.
//
// Semantics follow haproxy 2.6: `defaults` sections reset to the built-in
// values and preset the following proxies (or the ones naming them with
// `from`), `default-server` presets the `server` lines that follow it, time
// values take haproxy's units (us, ms, s, m, h, d; bare = ms). What does not
// apply to vigie is reported `kIgnored`, what haproxy does and vigie does not
// is `kUnsupported`, what haproxy itself would refuse is `kError`; every
// diagnostic names file:line. Nothing is dropped silently.
//
// Thread rules: all types are values; the functions are reentrant.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vigie::lb::haproxy_cfg {

using Millis = std::chrono::milliseconds;

// Where a directive was read.
struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 = not from a line
};

enum class Severity {
  kIgnored,      // accepted, does not apply to vigie (chroot, log, errorfile, ...)
  kWarning,      // accepted, but worth reading (e.g. non-breaking spaces)
  kUnsupported,  // valid haproxy that vigie does not implement; behaviour differs
  kError,        // haproxy itself would refuse this; the model is not usable
};

std::string_view SeverityName(Severity s);  // "ignored", "warning", "unsupported", "error"

struct Diagnostic {
  SourceLocation where;
  Severity severity = Severity::kError;
  std::string text;

  // "file:line: severity: text".
  std::string ToString() const;
};

enum class BalanceAlgorithm { kRoundRobin, kStaticRr, kLeastConn, kSource, kFirst };
std::string_view BalanceName(BalanceAlgorithm a);  // "roundrobin", "static-rr", ...

enum class ProxyProtocolVersion { kNone, kV1, kV2 };

// The health-check configuration of one server, resolved. Defaults are
// haproxy's: inter 2s, rise 2, fall 3, fastinter and downinter = inter.
struct HealthCheckSettings {
  bool enabled = false;      // `check`
  bool ssl = false;          // `check-ssl`: TLS handshake under the check
  bool verify_none = false;  // `verify none`
  std::string ca_file;       // `ca-file`
  // `check-sni NAME`: the SNI of the check's handshake (none by default:
  // servers are addresses). With `verify required` the certificate must
  // name the SNI, else `verifyhost NAME` when given (haproxy's rule);
  // `no-verifyhost` turns the name check off.
  std::string sni;
  std::string verifyhost;
  bool no_verifyhost = false;
  Millis inter{2000};
  Millis fastinter{2000};
  Millis downinter{2000};
  int rise = 2;
  int fall = 3;
  std::optional<std::uint16_t> port;  // `port N`: check another port
};

// `option httpchk` / `http-check send` / `http-check expect status`.
struct HttpCheck {
  std::string method = "OPTIONS";
  std::string uri = "/";
  std::string version = "HTTP/1.0";
  std::vector<std::pair<std::string, std::string>> headers;  // `hdr` and legacy `\r\n` forms
  // `http-check expect status` codes as inclusive ranges; empty = 2xx and 3xx pass.
  std::vector<std::pair<int, int>> expect_status;
  std::string expect_text;  // the expect argument as written, for reports
};

struct Timeouts {
  std::optional<Millis> connect;
  std::optional<Millis> client;
  std::optional<Millis> server;
  std::optional<Millis> tunnel;
  std::optional<Millis> client_fin;
  std::optional<Millis> server_fin;
  std::optional<Millis> queue;
  std::optional<Millis> check;
  // HTTP only; vigie uses them on monitor-uri frontends (a request head's
  // deadline, and the wait for the next request on a kept connection).
  std::optional<Millis> http_request;
  std::optional<Millis> http_keep_alive;
};

struct Server {
  SourceLocation where;
  std::string name;
  int id = 0;              // 1-based, declaration order within the backend (haproxy's sid)
  std::string host;        // IPv4/IPv6 literal or a name to resolve
  std::uint16_t port = 0;  // 0 with port_from_client: the port the client connected to
  bool port_from_client = false;
  bool host_is_name = false;  // host is not an IP literal
  int weight = 1;             // 0..256
  int maxconn = 0;            // 0 = unlimited
  int maxqueue = 0;           // 0 = unlimited
  bool backup = false;
  bool disabled = false;  // starts in maintenance
  Millis slowstart{0};
  ProxyProtocolVersion send_proxy = ProxyProtocolVersion::kNone;
  bool shutdown_sessions_on_down = false;  // `on-marked-down shutdown-sessions`
  HealthCheckSettings check;
};

struct Bind {
  SourceLocation where;
  std::string host;   // "" = every address (`*`, `:port`); else the literal as written
  bool ipv6 = false;  // host is an IPv6 literal
  std::uint16_t port_first = 0;
  std::uint16_t port_last = 0;  // == port_first unless a range `a-b` was given
  bool accept_proxy = false;
};

struct StatsSocket {
  SourceLocation where;
  std::string path;
  std::optional<std::uint32_t> mode;  // octal as written, e.g. 0660
  std::string level = "operator";     // haproxy's default level
  bool expose_fd_listeners = false;
};

struct Global {
  int maxconn = 0;   // 0 = not set (haproxy derives it from ulimit -n)
  int nbthread = 0;  // 0 = not set (one per CPU)
  // tune.listener.multi-queue: each accepted connection goes to the
  // least-loaded thread (on, haproxy's default) or stays with the thread
  // that accepted it (off: no cross-thread handover, which suits very short
  // connections; long ones may then pile up on one thread).
  bool multi_queue = true;
  // tune.maxaccept: connections a worker accepts in a row before it serves
  // its other ready work; -1 = no limit. haproxy 2.6's default, 4, "showed
  // best results", and measured so here too (see docs/lb.md).
  int maxaccept = 4;
  // `nosplice`: no splice(2) anywhere, whatever the proxies' options say.
  bool nosplice = false;
  std::vector<StatsSocket> stats_sockets;
  Millis stats_timeout{10000};  // haproxy's default
  // `user`/`uid` and `group`/`gid`: who to run as once the listeners are
  // bound (vigie's runtime.user / runtime.group); empty: not set.
  std::string user;
  std::string group;
};

struct Frontend {
  SourceLocation where;
  std::string name;
  int id = 0;                // proxy id in declaration order (frontends and backends together)
  bool from_listen = false;  // declared by a `listen` section
  std::vector<Bind> binds;
  int maxconn = 0;    // 0 = global maxconn
  Timeouts timeouts;  // client, client-fin apply here
  // option tcplog: one line per connection in haproxy's TCP format, at its
  // end; option dontlognull: none for a connection that moved no byte.
  bool tcplog = false;
  bool dontlognull = false;
  // monitor-uri: with no backend (kubespray's `frontend healthz`), vigie
  // answers it as haproxy does: 200 for this URI, 503 for others.
  std::string monitor_uri;
  bool clitcpka = false;
  // option splice-request / splice-response (splice-auto sets both): a
  // connection splices a direction when its frontend or backend asks.
  bool splice_request = false;
  bool splice_response = false;
  std::vector<std::string> use_backends;  // unconditional `use_backend` rules, in order
  std::string default_backend;
  std::string
      backend;  // resolved target: first use_backend, else default_backend, else self (listen)
};

struct Backend {
  SourceLocation where;
  std::string name;
  int id = 0;
  bool from_listen = false;
  BalanceAlgorithm balance = BalanceAlgorithm::kRoundRobin;
  bool allbackups = false;
  bool log_health_checks = false;
  bool srvtcpka = false;
  bool splice_request = false;  // as in Frontend
  bool splice_response = false;
  bool redispatch = false;
  int retries = 3;
  int fullconn = 0;   // 0 = not set
  Timeouts timeouts;  // connect, server, tunnel, server-fin, queue, check apply here
  std::optional<HttpCheck> http_check;  // set by `option httpchk`
  std::vector<Server> servers;
};

struct Config {
  Global global;
  std::vector<Frontend> frontends;
  std::vector<Backend> backends;

  const Backend* FindBackend(std::string_view name) const;
  const Frontend* FindFrontend(std::string_view name) const;
};

// Explicit bounds on what the reader accepts.
struct Limits {
  std::size_t max_bytes = 4 << 20;    // whole file
  std::size_t max_line_bytes = 4096;  // haproxy: 2048 per line by default
  std::size_t max_words = 64;         // haproxy: MAX_LINE_ARGS
  std::size_t max_proxies = 4096;
  std::size_t max_servers = 4096;  // per backend
  std::size_t max_diagnostics = 10000;
};

struct ParseOutput {
  Config config;
  std::vector<Diagnostic> diagnostics;

  bool HasErrors() const;
  // The diagnostics at or above `floor`.
  std::vector<const Diagnostic*> AtLeast(Severity floor) const;
};

// Reads haproxy.cfg text. `file` names the source in diagnostics. Always
// returns a model (possibly partial) and every diagnostic; the model is
// usable when !HasErrors().
ParseOutput ParseHaproxyCfg(std::string_view text, std::string_view file,
                            const Limits& limits = {});

// As ParseHaproxyCfg, but fails (kInvalidArgument, context "file:line: text")
// on the first kError diagnostic.
Result<Config> LoadHaproxyCfg(std::string_view text, std::string_view file,
                              const Limits& limits = {});

// haproxy time value: digits with optional unit us, ms, s, m, h, d (bare =
// ms; us truncates to ms as haproxy does). Errors name the offending text.
// Values above 2147483647 ms are refused ("timer overflow"), as haproxy does.
Result<Millis> ParseTime(std::string_view text);

// Shortest exact rendering in the largest whole unit: "2s", "3h", "1500ms", "90s", "0s".
std::string FormatDuration(Millis d);

}  // namespace vigie::lb::haproxy_cfg
