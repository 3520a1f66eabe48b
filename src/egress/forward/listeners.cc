// The forwarder's listeners: TCP accept loops and connections, UDP ports
// and flows.
#include "egress/forward/listeners.h"

#include <chrono>
#include <map>
#include <vector>

#include "core/log.h"
#include "core/relay.h"
#include "egress/forward/upstream.h"

namespace vigie::egress::forward {

namespace asio = net::asio;
using net::Awaitable;
using net::kUseTuple;
using net::tcp;
using net::udp;
using SteadyClock = std::chrono::steady_clock;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

// One client address of a UDP port: its socket connected to the destination.
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

// The connection log's line for a closed connection or flow (connection_log).
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
                   std::chrono::duration<double>(SteadyClock::now() - start).count(), end);
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
  auto address = co_await ConnectTcp(upstream, snap, route_in_snap, shared->health.load(), &error);
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
    // One line per datagram would let a flood write the log: at most 10 a
    // second, with the count of those left out.
    static log::RateLimit limit;
    if (auto suppressed = limit.Allow()) {
      shared->log->warn("egress {} udp {}: line {}: {} flows already, datagram dropped{}",
                        ForwardModeName(cfg.mode), client_text, route.line.line, cfg.max_udp_flows,
                        log::Suppressed(*suppressed));
    }
    return nullptr;
  }
  auto flow = std::make_shared<UdpFlow>(port->socket.get_executor(), route);
  flow->client = client;
  std::string error;
  auto destination = ConnectUdp(flow->upstream, route, cfg, &error);
  if (!destination) {
    route.m->errors_total.Inc();
    LogClosed(*shared, cfg, "udp", client_text, route, route.destination, 0, 0, flow->start,
              "connect-failed: " + (error.empty() ? std::string("no address") : error));
    return nullptr;
  }
  flow->destination = *destination;
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

}  // namespace

Result<Shared::Listener> OpenListener(Runtime& runtime, ListenKey key, Address address) {
  Shared::Listener l;
  l.key = key;
  l.address = std::move(address);
  if (key.protocol == Protocol::kTcp) {
    VIGIE_ASSIGN_OR_RETURN(auto acceptors, net::ListenTcpOn(runtime.workers(), l.address));
    for (auto& a : acceptors) {
      l.acceptors.push_back(std::make_shared<tcp::acceptor>(std::move(a)));
    }
  } else {
    VIGIE_ASSIGN_OR_RETURN(auto sockets, net::BindUdpOn(runtime.workers(), l.address));
    for (auto& u : sockets) {
      boost::system::error_code ec;
      u.non_blocking(true, ec);
      l.udp.push_back(std::make_shared<UdpPort>(std::move(u), key));
    }
  }
  return l;
}

void ServeListener(Runtime& runtime, const Shared::Listener& listener, const SharedPtr& shared) {
  for (size_t i = 0; i < runtime.worker_count(); ++i) {
    if (listener.key.protocol == Protocol::kTcp) {
      asio::co_spawn(runtime.worker(i), AcceptLoop(listener.acceptors[i], listener.key, shared),
                     Task(*shared, "accept loop"));
    } else {
      asio::co_spawn(runtime.worker(i), UdpReceiveLoop(listener.udp[i], shared),
                     Task(*shared, "udp receive loop"));
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

}  // namespace vigie::egress::forward
