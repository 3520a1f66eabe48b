// The forwarder's data plane: per-worker TCP accept loops relaying with
// net::Relay, per-worker UDP sockets with their flow tables, and the
// control-thread timers that re-resolve name destinations and health-check
// every address of every TCP destination.
#include "egress/forward/forwarder.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <set>

#include <netinet/in.h>
#include <sys/socket.h>

#include "core/accept.h"
#include "core/health_counter.h"
#include "core/log.h"
#include "core/net.h"
#include "core/relay.h"
#include "core/task.h"
#include "egress/forward/resolver.h"
#include "egress/forward/rotation.h"

namespace vigie::egress::forward {

namespace asio = net::asio;
using net::Awaitable;
using net::kUseTuple;
using net::tcp;
using net::udp;
using SteadyClock = std::chrono::steady_clock;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

#define VIGIE_EGRESS_LINE_METRICS(COUNTER, GAUGE, HISTOGRAM)                                  \
  COUNTER(connections_total, "TCP connections accepted and UDP flows started, per line")      \
  GAUGE(connections_active, "TCP connections and UDP flows open, per line")                   \
  COUNTER(errors_total,                                                                       \
          "Connections or flows that could not be forwarded or ended on an error, per line")  \
  COUNTER(connect_failures_total, "Failed attempts to reach a destination address, per line") \
  COUNTER(client_received_bytes_total, "Bytes from clients to the destination, per line")     \
  COUNTER(client_sent_bytes_total, "Bytes from the destination to clients, per line")         \
  HISTOGRAM(connect_seconds, "Time to connect to the destination, per line",                  \
            metrics::kLatencyBuckets)

VIGIE_DECLARE_METRICS(LineMetrics, "vigie_egress_line_", VIGIE_EGRESS_LINE_METRICS);

#define VIGIE_EGRESS_FORWARD_METRICS(COUNTER, GAUGE, HISTOGRAM)                              \
  COUNTER(connections_refused_total, "Connections closed at accept (max_connections)")       \
  COUNTER(resolve_errors_total, "Failed resolutions of destination names (old answer kept)") \
  COUNTER(resolve_changes_total, "Resolutions that changed a destination's addresses")       \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")                    \
  COUNTER(health_checks_total, "Active TCP checks of destination addresses run")             \
  COUNTER(health_changes_total, "Checked destination addresses that went DOWN or came back UP")

VIGIE_DECLARE_METRICS(ForwardMetrics, "vigie_egress_forward_", VIGIE_EGRESS_FORWARD_METRICS);

// Per checked address (labels `mode`, `address` = "ip:port"): only addresses
// of configured TCP destinations, at most kMaxAddressSeries per forwarder.
#define VIGIE_EGRESS_ADDRESS_METRICS(COUNTER, GAUGE, HISTOGRAM)                               \
  GAUGE(up,                                                                                   \
        "1 while a checked destination address is UP, 0 while DOWN, -1 once it is no longer " \
        "a destination")                                                                      \
  COUNTER(check_failures_total, "Failed active checks, per destination address")

VIGIE_DECLARE_METRICS(AddressMetrics, "vigie_egress_address_", VIGIE_EGRESS_ADDRESS_METRICS);

namespace {

struct ListenKey {
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;
  friend auto operator<=>(const ListenKey&, const ListenKey&) = default;
};

// A destination name, re-resolved on the control thread as answers expire.
struct Target {
  std::string name;
  std::string resolver_key;  // reused across reloads only with the same resolver settings
  AddressRotation rotation;
  std::atomic<bool> stopped{false};
  std::unique_ptr<asio::steady_timer> timer;
};

struct Route {
  ForwardLine line;
  std::shared_ptr<Target> target;  // name destinations; null for an address
  std::shared_ptr<LineMetrics> m;
  std::shared_ptr<std::atomic<int>> udp_flows;
  std::string destination;  // "127.0.0.5:80" or "example.com:8080", for logs
};

struct Snapshot {
  std::shared_ptr<const ForwarderConfig> config;
  std::map<ListenKey, Route> routes;
};

// One address of a TCP destination, as the active checks see it.
struct CheckKey {
  IpAddress address;
  uint16_t port = 0;
  friend auto operator<=>(const CheckKey&, const CheckKey&) = default;
};

// A series the registry hides keeps its storage (Registry::Hide), so the
// per-address series a forwarder creates over its life are capped
// (addresses past the cap are checked and logged, but not exported one by
// one).
constexpr size_t kMaxAddressSeries = 1024;

// The check loop and state of one address, created and ended on the control
// thread. Workers see only `up`, through a HealthView, so the timer (of the
// control context) is never destroyed on a worker.
struct CheckedAddress {
  CheckedAddress(asio::io_context& control, CheckKey k, int rise, int fall)
      : key(std::move(k)), state(rise, fall), timer(control) {}
  CheckKey key;
  std::shared_ptr<std::atomic<bool>> up = std::make_shared<std::atomic<bool>>(true);
  std::atomic<bool> stopped{false};
  // Control thread only.
  HealthCounter state;
  std::string names;       // " (api.partner.example)" for name destinations, for logs
  std::string last_error;  // the previous check's failure, empty when it passed
  bool checked = false;    // a check has completed
  asio::steady_timer timer;
  std::shared_ptr<AddressMetrics> m;  // null past kMaxAddressSeries
};

// What workers consult when picking an address: whether each checked
// (address, port) is UP. An address not in it counts as UP.
using HealthView = std::map<CheckKey, std::shared_ptr<const std::atomic<bool>>>;

std::string HostPort(const IpAddress& ip, uint16_t port) {
  return ip.is_v4() ? ip.ToString() + ":" + std::to_string(port)
                    : "[" + ip.ToString() + "]:" + std::to_string(port);
}

std::string ListenerName(ForwardMode mode, const ListenKey& key) {
  return "egress-" + std::string(ForwardModeName(mode)) + "-" +
         std::string(ProtocolName(key.protocol)) + "-" + std::to_string(key.port);
}

std::string ResolverKey(const ForwarderConfig& c) {
  std::string key = c.hosts_file + "|";
  for (const Address& a : c.nameservers) {
    key += a.ToString() + ",";
  }
  key += "|" + std::to_string(c.resolve_timeout.count()) + "|" +
         std::to_string(c.refresh_interval.count()) + "|" + std::to_string(c.min_ttl.count()) +
         "|" + std::to_string(c.max_ttl.count());
  return key;
}

std::string JoinAddresses(const std::vector<IpAddress>& addresses) {
  std::string out;
  for (const IpAddress& a : addresses) {
    out += (out.empty() ? "" : ", ") + a.ToString();
  }
  return out.empty() ? "(none)" : out;
}

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

// A UDP port on one worker: its socket and flows, touched only on that worker.
struct UdpPort;

struct Forwarder::Shared {
  Shared(metrics::Registry& r, ForwardMode mode, asio::io_context& control_ctx)
      : registry(r), m(r, {{"mode", std::string(ForwardModeName(mode))}}), control(control_ctx) {}
  metrics::Registry& registry;
  ForwardMetrics m;
  asio::io_context& control;
  std::shared_ptr<spdlog::logger> log = log::Get("egress");
  std::atomic<std::shared_ptr<const Snapshot>> snapshot;
  std::atomic<std::shared_ptr<const HealthView>> health;
  // max_connections of the current snapshot, shared by every TCP line.
  std::shared_ptr<net::ConnectionLimit> limit = std::make_shared<net::ConnectionLimit>();
  std::atomic<bool> stopping{false};
  // Control thread only.
  struct Listener {
    ListenKey key;
    Address address;
    std::vector<std::shared_ptr<tcp::acceptor>> acceptors;  // one per worker
    std::vector<std::shared_ptr<UdpPort>> udp;              // one per worker
    bool started = false;
  };
  std::map<ListenKey, Listener> listeners;
  std::map<std::string, std::shared_ptr<Target>> targets;  // by name
  std::map<ListenKey, std::shared_ptr<std::atomic<int>>> udp_flow_counts;
  std::map<CheckKey, std::shared_ptr<CheckedAddress>> checks;  // running; `health` mirrors them
  std::set<CheckKey> address_series;   // every address given series, for the cap
  bool address_series_capped = false;  // logged once
};

using Shared = Forwarder::Shared;
using SharedPtr = std::shared_ptr<Shared>;

struct UdpFlow {
  UdpFlow(const asio::any_io_executor& ex, Route r)
      : upstream(ex), timer(ex), route(std::move(r)) {}
  udp::socket upstream;
  asio::steady_timer timer;
  Route route;
  udp::endpoint client;
  IpAddress destination;
  SteadyClock::time_point start = SteadyClock::now();
  SteadyClock::time_point last = start;
  uint64_t received = 0;  // client -> destination
  uint64_t sent = 0;      // destination -> client
  bool closed = false;
};

struct UdpPort {
  UdpPort(udp::socket s, ListenKey k) : socket(std::move(s)), key(k) {}
  udp::socket socket;
  ListenKey key;
  std::map<udp::endpoint, std::shared_ptr<UdpFlow>> flows;
};

namespace {

net::TaskDone Task(const Shared& shared, std::string what) {
  return net::TaskDone{"egress forwarder: " + std::move(what), shared.log.get(),
                       &shared.m.task_failures_total};
}

// The addresses a new connection tries, in order; at most config.retries.
// With `health` (TCP lines under active checks), a name's DOWN addresses
// are left out while one of its addresses is UP; when none is, every address
// is tried as without checks (docs/egress.md says why). An address line is
// always tried: it has nothing to fall back to.
std::vector<IpAddress> CandidatesFor(const Route& route, const ForwarderConfig& cfg,
                                     const HealthView* health) {
  std::vector<IpAddress> out;
  if (route.line.address) {
    out.push_back(*route.line.address);
  } else if (route.target && health != nullptr && !health->empty()) {
    const uint16_t port = route.line.target_port;
    out = route.target->rotation.Candidates(SteadyClock::now(), [&](const IpAddress& a) {
      if (cfg.source && a.is_v4() != cfg.source->is_v4()) {
        return false;  // never tried (below), so never "the UP one"
      }
      auto it = health->find(CheckKey{a, port});
      return it == health->end() || it->second->load(std::memory_order_relaxed);
    });
  } else if (route.target) {
    out = route.target->rotation.Candidates(SteadyClock::now());
  }
  if (cfg.source) {
    // A source address can only reach destinations of its own family.
    std::erase_if(out, [&](const IpAddress& a) { return a.is_v4() != cfg.source->is_v4(); });
  }
  if (out.size() > static_cast<size_t>(cfg.retries)) {
    out.resize(static_cast<size_t>(cfg.retries));
  }
  return out;
}

void MarkFailed(const Route& route, const ForwarderConfig& cfg, const IpAddress& address) {
  if (route.target) {
    route.target->rotation.MarkFailed(
        address, SteadyClock::now() +
                     std::chrono::duration_cast<SteadyClock::duration>(cfg.failed_address_hold));
  }
}

// Opens `socket` for `family` and binds it to the configured source. Linux's
// IP_BIND_ADDRESS_NO_PORT defers the port choice to connect(), so many
// connections from one source do not exhaust ephemeral ports at bind().
template <class Socket, class Protocol>
boost::system::error_code OpenBound(Socket& socket, const Protocol& family,
                                    const ForwarderConfig& cfg) {
  boost::system::error_code ec;
  socket.open(family, ec);
  if (ec || !cfg.source) {
    return ec;
  }
#ifdef IP_BIND_ADDRESS_NO_PORT
  int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
  socket.bind(typename Protocol::endpoint(net::ToAsio(*cfg.source), 0), ec);
  return ec;
}

void LogClosed(const Shared& shared, const ForwarderConfig& cfg, std::string_view proto,
               const std::string& client, const Route& route, const std::string& destination,
               uint64_t received, uint64_t sent, SteadyClock::time_point start,
               std::string_view end) {
  if (!cfg.connection_log) {
    return;
  }
  shared.log->info("egress {} {} {} -> line {} ({}) -> {}{} in={} out={} duration={:.3f}s end={}",
                   ForwardModeName(cfg.mode), proto, client, route.line.line, route.line.text,
                   destination.empty() ? "-" : destination,
                   cfg.source ? " from " + cfg.source->ToString() : std::string(), received, sent,
                   Seconds(SteadyClock::now() - start), end);
}

// Connects `upstream` to the first candidate that answers within the timeout.
// `route` points into `snap`, which the caller keeps alive.
Awaitable<std::optional<IpAddress>> ConnectAny(tcp::socket& upstream,
                                               std::shared_ptr<const Snapshot> snap,
                                               const Route* route_in_snap,
                                               std::shared_ptr<const HealthView> health,
                                               std::string* last_error) {
  const Route& route = *route_in_snap;
  const auto& cfg = snap->config;
  auto ex = co_await asio::this_coro::executor;
  for (const IpAddress& address : CandidatesFor(route, *cfg, health.get())) {
    boost::system::error_code ignored;
    upstream.close(ignored);
    tcp::endpoint endpoint(net::ToAsio(address), route.line.target_port);
    if (auto ec = OpenBound(upstream, endpoint.protocol(), *cfg)) {
      *last_error = "bind " + (cfg->source ? cfg->source->ToString() : "") + ": " + ec.message();
      route.m->connect_failures_total.Inc();
      continue;
    }
    auto start = SteadyClock::now();
    asio::steady_timer timer(
        ex, std::chrono::duration_cast<SteadyClock::duration>(cfg->connect_timeout));
    auto result =
        co_await (upstream.async_connect(endpoint, kUseTuple) || timer.async_wait(kUseTuple));
    boost::system::error_code ec;
    if (result.index() == 0) {
      ec = std::get<0>(std::get<0>(result));
    } else {
      ec = asio::error::timed_out;
    }
    if (!ec) {
      route.m->connect_seconds.Observe(Seconds(SteadyClock::now() - start));
      if (route.target) {
        route.target->rotation.MarkOk(address);
      }
      co_return address;
    }
    route.m->connect_failures_total.Inc();
    MarkFailed(route, *cfg, address);
    *last_error = HostPort(address, route.line.target_port) + ": " + ec.message();
  }
  boost::system::error_code ignored;
  upstream.close(ignored);
  if (last_error->empty()) {
    *last_error = route.target ? route.line.name + " has no address" : "no address";
  }
  co_return std::nullopt;
}

// `route_in_snap` points into `snap` (routes are immutable map nodes), so a
// connection copies nothing but the snapshot pointer. `slot` is its place
// under max_connections.
Awaitable<void> ServeTcp(tcp::socket client, std::shared_ptr<const Snapshot> snap,
                         const Route* route_in_snap, SharedPtr shared,
                         [[maybe_unused]] net::ConnectionLimit::Slot slot) {
  const Route& route = *route_in_snap;
  const auto& cfg = snap->config;
  auto start = SteadyClock::now();
  boost::system::error_code ec;
  std::string client_text;
  if (cfg->connection_log) {
    auto remote = client.remote_endpoint(ec);
    client_text = ec ? "-" : HostPort(net::FromAsio(remote.address()).Unmapped(), remote.port());
  }
  client.set_option(tcp::no_delay(true), ec);
  tcp::socket upstream(client.get_executor());
  std::string error;
  auto address = co_await ConnectAny(upstream, snap, route_in_snap, shared->health.load(), &error);
  if (!address) {
    route.m->errors_total.Inc();
    LogClosed(*shared, *cfg, "tcp", client_text, route, route.destination, 0, 0, start,
              "connect-failed: " + error);
    co_return;
  }
  upstream.set_option(tcp::no_delay(true), ec);
  net::RelayOptions options;
  options.idle_timeout = cfg->idle_timeout;
  options.half_close_timeout = cfg->half_close_timeout;
  options.splice_a_to_b = options.splice_b_to_a = cfg->splice;
  options.on_progress = [m = route.m](bool from_client, std::uint64_t n) {
    (from_client ? m->client_received_bytes_total : m->client_sent_bytes_total).Inc(n);
  };
  auto result = co_await net::Relay(client, upstream, options);
  std::string end = "closed";
  if (result.end == net::RelayResult::End::kIdleTimeout) {
    end = "idle-timeout";
  } else if (result.end == net::RelayResult::End::kError) {
    end = "error: " + result.error.message();
    route.m->errors_total.Inc();
  }
  if (cfg->connection_log) {
    LogClosed(*shared, *cfg, "tcp", client_text, route, HostPort(*address, route.line.target_port),
              result.a_to_b, result.b_to_a, start, end);
  }
}

// core's accept loop on one worker's listener of one port. The cap is
// taken here rather than by the loop so a refusal also counts against the
// line it was for.
Awaitable<void> AcceptLoop(std::shared_ptr<tcp::acceptor> acceptor, ListenKey key,
                           SharedPtr shared) {
  net::AcceptOptions options;
  options.name = "egress forwarder " + net::FromEndpoint(acceptor->local_endpoint()).ToString();
  options.logger = shared->log.get();
  options.stopping = [shared] { return shared->stopping.load(); };
  auto ex = acceptor->get_executor();
  // A named std::function, not a lambda temporary inside the co_await:
  // g++ 12 destroys such a temporary's captures twice (ASan caught it).
  net::ServeFn<tcp> serve = [shared, key, ex](tcp::socket socket, net::ConnectionLimit::Slot) {
    auto snap = shared->snapshot.load();
    auto it = snap->routes.find(key);
    if (it == snap->routes.end()) {
      return;  // the line was removed by a reload; this listener is closing
    }
    const Route& route = it->second;
    auto slot = net::ConnectionLimit::TryAcquire(shared->limit);
    if (!slot) {
      shared->m.connections_refused_total.Inc();
      route.m->errors_total.Inc();
      return;  // `socket` closes as it goes out of scope
    }
    route.m->connections_total.Inc();
    route.m->connections_active.Add(1);
    asio::co_spawn(ex, ServeTcp(std::move(socket), snap, &route, shared, std::move(*slot)),
                   [shared, m = route.m](const std::exception_ptr& e) {
                     m->connections_active.Sub(1);
                     net::ReportTaskFailure(e, "egress forwarder: tcp connection", *shared->log,
                                            &shared->m.task_failures_total);
                   });
  };
  co_await net::AcceptLoop(*acceptor, std::move(options), std::move(serve));
}

// Relays the destination's datagrams back to the client until the flow has
// been idle for udp_idle_timeout (both directions count as activity).
Awaitable<void> RunUdpFlow(std::shared_ptr<UdpFlow> flow, std::shared_ptr<UdpPort> port,
                           std::shared_ptr<const ForwarderConfig> cfg, SharedPtr shared) {
  std::vector<char> buf(size_t{64} * 1024);
  auto idle = std::chrono::duration_cast<SteadyClock::duration>(cfg->udp_idle_timeout);
  std::string end;
  while (end.empty()) {
    flow->timer.expires_at(flow->last + idle);
    auto result = co_await (flow->upstream.async_receive(asio::buffer(buf), kUseTuple) ||
                            flow->timer.async_wait(kUseTuple));
    if (flow->closed) {
      end = "stopped";
    } else if (result.index() == 1) {
      if (SteadyClock::now() >= flow->last + idle) {
        end = "idle-timeout";
      }
    } else {
      auto [ec, n] = std::get<0>(result);
      if (ec) {
        end = "error: " + ec.message();
        flow->route.m->errors_total.Inc();
        if (flow->route.target) {
          MarkFailed(flow->route, *cfg, flow->destination);
        }
      } else {
        flow->last = SteadyClock::now();
        boost::system::error_code send_ec;
        // Non-blocking: a full socket buffer drops the datagram, as UDP may.
        port->socket.send_to(asio::buffer(buf.data(), n), flow->client, 0, send_ec);
        if (!send_ec) {
          flow->sent += n;
          flow->route.m->client_sent_bytes_total.Inc(n);
        }
      }
    }
  }
  auto it = port->flows.find(flow->client);
  if (it != port->flows.end() && it->second == flow) {
    port->flows.erase(it);
  }
  boost::system::error_code ignored;
  flow->upstream.close(ignored);
  flow->route.udp_flows->fetch_sub(1);
  flow->route.m->connections_active.Sub(1);
  LogClosed(*shared, *cfg, "udp",
            HostPort(net::FromAsio(flow->client.address()).Unmapped(), flow->client.port()),
            flow->route, HostPort(flow->destination, flow->route.line.target_port), flow->received,
            flow->sent, flow->start, end);
}

// A new flow for `client`, or null when it cannot be forwarded.
std::shared_ptr<UdpFlow> StartUdpFlow(const std::shared_ptr<UdpPort>& port,
                                      const udp::endpoint& client, const SharedPtr& shared) {
  auto snap = shared->snapshot.load();
  auto it = snap->routes.find(port->key);
  if (it == snap->routes.end() || shared->stopping.load()) {
    return nullptr;
  }
  const Route& route = it->second;
  const ForwarderConfig& cfg = *snap->config;
  std::string client_text = HostPort(net::FromAsio(client.address()).Unmapped(), client.port());
  if (route.udp_flows->load() >= cfg.max_udp_flows) {
    route.m->errors_total.Inc();
    shared->log->warn("egress {} udp {}: line {}: {} flows already, datagram dropped",
                      ForwardModeName(cfg.mode), client_text, route.line.line, cfg.max_udp_flows);
    return nullptr;
  }
  auto flow = std::make_shared<UdpFlow>(port->socket.get_executor(), route);
  flow->client = client;
  std::string error;
  bool connected = false;
  for (const IpAddress& address : CandidatesFor(route, cfg, nullptr)) {  // UDP: not checked
    boost::system::error_code ec;
    flow->upstream.close(ec);
    udp::endpoint endpoint(net::ToAsio(address), route.line.target_port);
    ec = OpenBound(flow->upstream, endpoint.protocol(), cfg);
    if (!ec) {
      flow->upstream.connect(endpoint, ec);  // only the destination's datagrams come back
    }
    if (!ec) {
      flow->upstream.non_blocking(true, ec);
    }
    if (!ec) {
      flow->destination = address;
      connected = true;
      break;
    }
    route.m->connect_failures_total.Inc();
    error = HostPort(address, route.line.target_port) + ": " + ec.message();
  }
  if (!connected) {
    route.m->errors_total.Inc();
    LogClosed(*shared, cfg, "udp", client_text, route, route.destination, 0, 0, flow->start,
              "connect-failed: " + (error.empty() ? std::string("no address") : error));
    return nullptr;
  }
  route.udp_flows->fetch_add(1);
  route.m->connections_total.Inc();
  route.m->connections_active.Add(1);
  port->flows[client] = flow;
  asio::co_spawn(port->socket.get_executor(), RunUdpFlow(flow, port, snap->config, shared),
                 Task(*shared, "udp flow"));
  return flow;
}

Awaitable<void> UdpReceiveLoop(std::shared_ptr<UdpPort> port, SharedPtr shared) {
  std::vector<char> buf(size_t{64} * 1024);
  for (;;) {
    udp::endpoint client;
    auto [ec, n] = co_await port->socket.async_receive_from(asio::buffer(buf), client, kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !port->socket.is_open()) {
        co_return;
      }
      continue;  // e.g. an ICMP error reported on the listening socket
    }
    std::shared_ptr<UdpFlow> flow;
    if (auto it = port->flows.find(client); it != port->flows.end()) {
      flow = it->second;
    } else {
      flow = StartUdpFlow(port, client, shared);
    }
    if (!flow) {
      continue;
    }
    flow->last = SteadyClock::now();
    boost::system::error_code send_ec;
    flow->upstream.send(asio::buffer(buf.data(), n), 0, send_ec);
    if (!send_ec) {
      flow->received += n;
      flow->route.m->client_received_bytes_total.Inc(n);
    }
  }
}

// Applies one check result (`error` empty: passed) and logs in the spirit
// of haproxy's `option log-health-checks`: every UP/DOWN transition, and
// every change of the check's outcome (passed, or failed for another
// reason) without one; a repeat of the previous outcome is silent.
void RecordCheck(Shared& s, CheckedAddress& c, ForwardMode mode, const std::string& error) {
  const bool passed = error.empty();
  s.m.health_checks_total.Inc();
  if (!passed && c.m) {
    c.m->check_failures_total.Inc();
  }
  HealthChange change = c.state.Record(passed);
  c.up->store(c.state.up(), std::memory_order_relaxed);
  if (c.m) {
    c.m->up.Set(c.state.up() ? 1 : 0);
  }
  const std::string who = HostPort(c.key.address, c.key.port) + c.names;
  if (change == HealthChange::kWentDown) {
    s.m.health_changes_total.Inc();
    s.log->warn("egress {}: {} is DOWN: {}, status {}", ForwardModeName(mode), who, error,
                c.state.Status());
  } else if (change == HealthChange::kWentUp) {
    s.m.health_changes_total.Inc();
    s.log->info("egress {}: {} is UP: check passed, status {}", ForwardModeName(mode), who,
                c.state.Status());
  } else if (!c.checked || error != c.last_error) {
    s.log->info("egress {}: health check of {} {}, status {}", ForwardModeName(mode), who,
                passed ? std::string("passed") : "failed: " + error, c.state.Status());
  }
  c.checked = true;
  c.last_error = error;
}

// Checks one address until it is stopped, on the control thread: a TCP
// connect (bound to `source` as real connections are) within the check
// timeout, then closed with a reset as haproxy's checks are (no TIME_WAIT
// left per check), every `interval` from the start of the previous check.
// The settings are read from the current snapshot at each check, so a
// reload applies from the next one.
Awaitable<void> RunHealthCheck(std::shared_ptr<CheckedAddress> c, SharedPtr shared) {
  auto ex = co_await asio::this_coro::executor;
  while (!c->stopped.load()) {
    auto snap = shared->snapshot.load();
    const ForwarderConfig& cfg = *snap->config;
    const HealthCheckConfig& hc = cfg.health_check;
    const auto start = SteadyClock::now();
    std::string error;
    tcp::socket socket(ex);
    tcp::endpoint endpoint(net::ToAsio(c->key.address), c->key.port);
    if (auto ec = OpenBound(socket, endpoint.protocol(), cfg)) {
      error = (cfg.source ? "bind " + cfg.source->ToString() + ": " : std::string("socket: ")) +
              ec.message();
    } else {
      c->timer.expires_after(std::chrono::duration_cast<SteadyClock::duration>(
          hc.EffectiveTimeout(cfg.connect_timeout)));
      auto result =
          co_await (socket.async_connect(endpoint, kUseTuple) || c->timer.async_wait(kUseTuple));
      if (c->stopped.load()) {
        co_return;
      }
      auto ec2 = result.index() == 0 ? std::get<0>(std::get<0>(result))
                                     : boost::system::error_code(asio::error::timed_out);
      if (ec2) {
        error = ec2.message();
      }
    }
    boost::system::error_code ignored;
    if (socket.is_open()) {
      socket.set_option(asio::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
    }
    RecordCheck(*shared, *c, cfg.mode, error);
    c->timer.expires_at(start + std::chrono::duration_cast<SteadyClock::duration>(hc.interval));
    co_await c->timer.async_wait(kUseTuple);
  }
}

void StopCheck(CheckedAddress& c) {
  c.stopped.store(true);
  c.timer.cancel();
  if (c.m) {
    c.m->Hide();  // no longer a destination: its series leave /metrics
  }
}

// Makes the running checks match the current snapshot: every resolved
// address (of the source's family, the only ones tried) of every TCP name
// destination, and every TCP address destination, each (address, port)
// once. Existing checks keep their state (a reload, a new DNS answer that
// keeps the address); new ones start UP and are checked at once; checks of
// addresses no longer wanted stop. Control thread only.
void SyncChecks(const SharedPtr& shared) {
  Shared& s = *shared;
  auto snap = s.snapshot.load();
  if (!snap || s.stopping.load()) {
    return;
  }
  const ForwarderConfig& cfg = *snap->config;
  const HealthCheckConfig& hc = cfg.health_check;
  std::map<CheckKey, std::set<std::string>> want;
  if (hc.enabled) {
    for (const auto& [key, route] : snap->routes) {
      if (key.protocol != Protocol::kTcp) {
        continue;
      }
      std::vector<IpAddress> addresses;
      if (route.line.address) {
        addresses.push_back(*route.line.address);
      } else if (route.target) {
        addresses = route.target->rotation.addresses();
      }
      for (const IpAddress& a : addresses) {
        if (cfg.source && a.is_v4() != cfg.source->is_v4()) {
          continue;
        }
        auto& names = want[CheckKey{a, route.line.target_port}];
        if (!route.line.name.empty()) {
          names.insert(route.line.name);
        }
      }
    }
  }
  const std::string mode(ForwardModeName(cfg.mode));
  std::map<CheckKey, std::shared_ptr<CheckedAddress>> next;
  HealthView view;
  for (auto& [key, names] : want) {
    std::string label;
    for (const std::string& n : names) {
      label += (label.empty() ? " (" : ", ") + n;
    }
    if (!label.empty()) {
      label += ")";
    }
    std::shared_ptr<CheckedAddress> c;
    if (auto it = s.checks.find(key); it != s.checks.end()) {
      c = it->second;
      c->state.SetThresholds(hc.rise, hc.fall);
      c->up->store(c->state.up(), std::memory_order_relaxed);
      if (c->m) {
        c->m->up.Set(c->state.up() ? 1 : 0);
      }
    } else {
      c = std::make_shared<CheckedAddress>(s.control, key, hc.rise, hc.fall);
      if (s.address_series.contains(key) || s.address_series.size() < kMaxAddressSeries) {
        // An address that comes back gets its series back, values carried on.
        c->m = std::make_shared<AddressMetrics>(
            s.registry,
            metrics::Labels{{"mode", mode}, {"address", HostPort(key.address, key.port)}});
        s.address_series.insert(key);
      } else if (!s.address_series_capped) {
        s.address_series_capped = true;
        s.log->warn(
            "egress {}: more than {} checked addresses; new ones get no per-address metrics", mode,
            kMaxAddressSeries);
      }
      if (c->m) {
        c->m->up.Set(1);
      }
      asio::co_spawn(s.control, RunHealthCheck(c, shared), Task(s, "health check"));
    }
    c->names = label;
    view.emplace(key, c->up);
    next.emplace(key, std::move(c));
  }
  for (auto& [key, c] : s.checks) {
    if (!next.count(key)) {
      StopCheck(*c);
    }
  }
  s.checks = std::move(next);
  s.health.store(std::make_shared<const HealthView>(std::move(view)));
}

// Re-resolves a name as its answers expire, on the control thread.
Awaitable<void> RefreshTarget(std::shared_ptr<Target> target,
                              std::shared_ptr<const ForwarderConfig> cfg,
                              std::shared_ptr<Resolver> resolver, Duration first_wait,
                              SharedPtr shared) {
  Duration wait = first_wait;
  for (;;) {
    target->timer->expires_after(std::chrono::duration_cast<SteadyClock::duration>(
        std::max<Duration>(wait, std::chrono::milliseconds(100))));
    co_await target->timer->async_wait(kUseTuple);
    if (target->stopped.load()) {
      co_return;
    }
    Resolution r = co_await ResolveName(target->name, resolver, cfg);
    if (target->stopped.load()) {
      co_return;
    }
    if (r.ok) {
      auto before = target->rotation.addresses();
      if (before != r.addresses) {
        shared->m.resolve_changes_total.Inc();
        shared->log->info("egress {}: {} now resolves to {} (was {})", ForwardModeName(cfg->mode),
                          target->name, JoinAddresses(r.addresses), JoinAddresses(before));
        target->rotation.SetAddresses(r.addresses);
        SyncChecks(shared);
      }
      wait = r.ttl;
    } else {
      shared->m.resolve_errors_total.Inc();
      shared->log->warn("egress {}: cannot resolve {} ({}); keeping {}", ForwardModeName(cfg->mode),
                        target->name, r.error, JoinAddresses(target->rotation.addresses()));
      wait = std::max<Duration>(cfg->min_ttl, std::chrono::seconds(1));
    }
  }
}

void CloseListener(asio::io_context& worker, Shared::Listener listener, size_t i) {
  asio::post(worker, [listener = std::move(listener), i] {
    boost::system::error_code ignored;
    if (i < listener.acceptors.size()) {
      listener.acceptors[i]->close(ignored);
    }
    if (i < listener.udp.size()) {
      auto& port = *listener.udp[i];
      port.socket.close(ignored);
      for (auto& [client, flow] : port.flows) {
        flow->closed = true;
        flow->upstream.close(ignored);
        flow->timer.cancel();
      }
    }
  });
}

}  // namespace

Forwarder::Forwarder(Runtime& runtime, metrics::Registry& registry, ForwardMode mode)
    : runtime_(runtime), shared_(std::make_shared<Shared>(registry, mode, runtime.control())) {}

Forwarder::~Forwarder() = default;

Result<void> Forwarder::Start(std::shared_ptr<const ForwarderConfig> config) {
  return Apply(std::move(config));
}

Result<void> Forwarder::Reload(std::shared_ptr<const ForwarderConfig> config) {
  auto old = shared_->snapshot.load();
  if (old && !(old->config->listen_address == config->listen_address)) {
    return Error(Errc::kUnsupported,
                 std::string("egress.") +
                     (config->mode == ForwardMode::kDnsProxy ? "dns_proxy" : "redirect") +
                     ".listen_address changed: restart to apply");
  }
  return Apply(std::move(config));
}

Result<void> Forwarder::Apply(std::shared_ptr<const ForwarderConfig> config) {
  Shared& s = *shared_;
  const std::string mode(ForwardModeName(config->mode));
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;
  const std::string resolver_key = ResolverKey(*config);
  std::map<std::string, std::shared_ptr<Target>> targets;
  std::vector<std::shared_ptr<Target>> new_targets;
  for (const ForwardLine& line : config->lines) {
    ListenKey key{line.protocol, line.port};
    Route route;
    route.line = line;
    if (!line.name.empty()) {
      auto& t = targets[line.name];
      if (!t) {
        auto old = s.targets.find(line.name);
        if (old != s.targets.end() && old->second->resolver_key == resolver_key) {
          t = old->second;
        } else {
          t = std::make_shared<Target>();
          t->name = line.name;
          t->resolver_key = resolver_key;
          t->timer = std::make_unique<asio::steady_timer>(s.control);
          new_targets.push_back(t);
        }
      }
      route.target = t;
      route.destination = line.name + ":" + std::to_string(line.target_port);
    } else {
      route.destination = HostPort(*line.address, line.target_port);
    }
    route.m = std::make_shared<LineMetrics>(
        s.registry, metrics::Labels{{"mode", mode},
                                    {"proto", std::string(ProtocolName(line.protocol))},
                                    {"port", std::to_string(line.port)},
                                    {"destination", route.destination}});
    auto& count = s.udp_flow_counts[key];
    if (!count) {
      count = std::make_shared<std::atomic<int>>(0);
    }
    route.udp_flows = count;
    snap->routes.emplace(key, std::move(route));
  }

  // Bind the new ports first: all or nothing.
  std::map<ListenKey, Shared::Listener> opened;
  for (const auto& [key, route] : snap->routes) {
    if (s.listeners.count(key)) {
      continue;
    }
    Shared::Listener l;
    l.key = key;
    l.address = Address{Address::Kind::kInet, config->listen_address.ToString(), key.port, {}};
    Result<void> r;
    if (key.protocol == Protocol::kTcp) {
      auto acceptors = net::ListenTcpOn(runtime_.workers(), l.address);
      if (acceptors) {
        for (auto& a : *acceptors) {
          l.acceptors.push_back(std::make_shared<tcp::acceptor>(std::move(a)));
        }
      } else {
        r = acceptors.error();
      }
    } else {
      auto sockets = net::BindUdpOn(runtime_.workers(), l.address);
      if (sockets) {
        for (auto& u : *sockets) {
          boost::system::error_code ec;
          u.non_blocking(true, ec);
          l.udp.push_back(std::make_shared<UdpPort>(std::move(u), key));
        }
      } else {
        r = sockets.error();
      }
    }
    if (!r) {
      for (auto& [k, o] : opened) {
        for (size_t i = 0; i < runtime_.worker_count(); ++i) {
          CloseListener(runtime_.worker(i), o, i);
        }
      }
      return Error(r.error().code(), "egress " + mode + " line " + std::to_string(route.line.line) +
                                         ": " + std::string(ProtocolName(key.protocol)) + " " +
                                         l.address.ToString() + ": " + r.error().ToString());
    }
    opened.emplace(key, std::move(l));
  }

  // Names new to this list: one blocking resolution so the first connections
  // have somewhere to go, then the refresh loop; all with one Resolver for
  // this config's settings (names kept from an earlier config keep theirs,
  // made for the same settings).
  auto resolver = new_targets.empty() ? nullptr : MakeForwarderResolver(*config);
  for (auto& t : new_targets) {
    Resolution r = ResolveNameBlocking(t->name, *resolver, *config);
    Duration wait = r.ttl;
    if (r.ok) {
      t->rotation.SetAddresses(r.addresses);
      s.log->info("egress {}: {} resolves to {}", mode, t->name, JoinAddresses(r.addresses));
    } else {
      s.m.resolve_errors_total.Inc();
      s.log->warn("egress {}: cannot resolve {} yet ({}); retrying", mode, t->name, r.error);
      wait = std::max<Duration>(config->min_ttl, std::chrono::seconds(1));
    }
    asio::co_spawn(s.control, RefreshTarget(t, config, resolver, wait, shared_),
                   Task(s, "name refresh"));
  }

  s.snapshot.store(snap);
  s.limit->set_limit(static_cast<uint64_t>(config->max_connections));

  for (auto& [key, l] : opened) {
    for (size_t i = 0; i < runtime_.worker_count(); ++i) {
      if (key.protocol == Protocol::kTcp) {
        asio::co_spawn(runtime_.worker(i), AcceptLoop(l.acceptors[i], key, shared_),
                       Task(s, "accept loop"));
      } else {
        asio::co_spawn(runtime_.worker(i), UdpReceiveLoop(l.udp[i], shared_),
                       Task(s, "udp receive loop"));
      }
    }
    s.listeners.emplace(key, std::move(l));
  }
  for (auto it = s.listeners.begin(); it != s.listeners.end();) {
    if (snap->routes.count(it->first)) {
      ++it;
      continue;
    }
    // Removed: stop accepting. UDP flows of a removed port end with it.
    for (size_t i = 0; i < runtime_.worker_count(); ++i) {
      CloseListener(runtime_.worker(i), it->second, i);
    }
    it = s.listeners.erase(it);
  }
  for (auto& [name, t] : s.targets) {
    auto now = targets.find(name);
    if (now == targets.end() || now->second != t) {
      t->stopped.store(true);
      t->timer->cancel();
    }
  }
  s.targets = std::move(targets);
  SyncChecks(shared_);
  s.log->info("egress {}: {} lines on {} ports", mode, config->lines.size(), snap->routes.size());
  return {};
}

void Forwarder::Stop() {
  shared_->stopping.store(true);
  for (auto& [key, l] : shared_->listeners) {
    for (size_t i = 0; i < runtime_.worker_count(); ++i) {
      CloseListener(runtime_.worker(i), l, i);
    }
  }
  for (auto& [name, t] : shared_->targets) {
    t->stopped.store(true);
    t->timer->cancel();
  }
  for (auto& [key, c] : shared_->checks) {
    StopCheck(*c);
  }
  shared_->checks.clear();
  shared_->health.store(std::make_shared<const HealthView>());
}

std::vector<std::string> Forwarder::Listeners() const {
  std::vector<std::string> out;
  auto snap = shared_->snapshot.load();
  if (!snap) {
    return out;
  }
  for (const auto& [key, l] : shared_->listeners) {
    out.push_back(ListenerName(snap->config->mode, key) + " " + l.address.ToString());
  }
  return out;
}

}  // namespace vigie::egress::forward
