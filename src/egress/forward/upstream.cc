// The forwarder's upstream side: connecting TCP connections and UDP flows
// to a line's candidate addresses.
#include "egress/forward/upstream.h"

#include <chrono>

namespace vigie::egress::forward {

namespace asio = net::asio;
using net::Awaitable;
using net::kUseTuple;
using net::tcp;
using net::udp;
using SteadyClock = std::chrono::steady_clock;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void MarkFailed(const Route& route, const ForwarderConfig& cfg, const IpAddress& address) {
  if (route.target) {
    route.target->rotation.MarkFailed(
        address, SteadyClock::now() +
                     std::chrono::duration_cast<SteadyClock::duration>(cfg.failed_address_hold));
  }
}

Awaitable<std::optional<IpAddress>> ConnectTcp(tcp::socket& upstream,
                                               std::shared_ptr<const Snapshot> snap,
                                               const Route* route_in_snap,
                                               std::shared_ptr<const HealthView> health,
                                               std::string* last_error) {
  const Route& route = *route_in_snap;
  const auto& cfg = snap->config;
  auto ex = co_await asio::this_coro::executor;
  for (const IpAddress& address : CandidatesFor(route, *cfg, health.get(), SteadyClock::now())) {
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

std::optional<IpAddress> ConnectUdp(udp::socket& upstream, const Route& route,
                                    const ForwarderConfig& cfg, std::string* last_error) {
  for (const IpAddress& address : CandidatesFor(route, cfg, nullptr, SteadyClock::now())) {
    boost::system::error_code ec;
    upstream.close(ec);
    udp::endpoint endpoint(net::ToAsio(address), route.line.target_port);
    ec = OpenBound(upstream, endpoint.protocol(), cfg);
    if (!ec) {
      upstream.connect(endpoint, ec);  // only the destination's datagrams come back
    }
    if (!ec) {
      upstream.non_blocking(true, ec);
    }
    if (!ec) {
      return address;
    }
    route.m->connect_failures_total.Inc();
    *last_error = HostPort(address, route.line.target_port) + ": " + ec.message();
  }
  return std::nullopt;
}

}  // namespace vigie::egress::forward
