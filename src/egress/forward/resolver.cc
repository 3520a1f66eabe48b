// Resolving forwarder destinations with TTLs.
#include "egress/forward/resolver.h"

#include <algorithm>
#include <array>
#include <random>

#include "egress/proxy/dns_stub.h"

namespace vigie::egress::forward {
namespace {

namespace asio = net::asio;
using net::kUseTuple;
using SteadyClock = std::chrono::steady_clock;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

uint16_t RandomId() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<uint16_t>(rng());
}

void AddUnique(std::vector<IpAddress>& out, const IpAddress& ip) {
  if (std::find(out.begin(), out.end(), ip) == out.end()) {
    out.push_back(ip);
  }
}

// Asks `server` for A and AAAA; nullopt when both did not answer in time.
net::Awaitable<std::optional<Resolution>> QueryNameserver(std::string host, Address server,
                                                          Duration timeout) {
  auto ex = co_await asio::this_coro::executor;
  auto endpoint = net::ToUdpEndpoint(server);
  if (!endpoint) {
    co_return std::nullopt;
  }
  net::udp::socket socket(ex);
  boost::system::error_code ec;
  socket.connect(*endpoint, ec);  // only the server's datagrams are received
  if (ec) {
    co_return std::nullopt;
  }
  const uint16_t types[2] = {proxy::kDnsTypeA, proxy::kDnsTypeAaaa};
  uint16_t ids[2] = {RandomId(), RandomId()};
  bool answered[2] = {false, false};
  std::vector<IpAddress> found[2];
  uint32_t ttl = UINT32_MAX;
  for (int i = 0; i < 2; ++i) {
    auto query = proxy::BuildDnsQuery(host, types[i], ids[i]);
    if (!query) {
      co_return std::nullopt;
    }
    auto [send_ec, n] = co_await socket.async_send(asio::buffer(*query), kUseTuple);
    if (send_ec) {
      co_return std::nullopt;
    }
  }
  asio::steady_timer timer(ex, std::chrono::duration_cast<SteadyClock::duration>(timeout));
  std::array<uint8_t, proxy::kMaxDnsMessage> reply;
  while (!answered[0] || !answered[1]) {
    auto result = co_await (socket.async_receive(asio::buffer(reply), kUseTuple) ||
                            timer.async_wait(kUseTuple));
    if (result.index() != 0) {
      co_return std::nullopt;
    }
    auto [recv_ec, n] = std::get<0>(result);
    if (recv_ec) {
      co_return std::nullopt;
    }
    auto parsed = proxy::ParseDnsResponse(std::span<const uint8_t>(reply.data(), n));
    if (!parsed) {
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (!answered[i] && parsed->id == ids[i]) {
        answered[i] = true;
        if (!parsed->addresses.empty()) {
          ttl = std::min(ttl, parsed->min_ttl);
        }
        found[i] = std::move(parsed->addresses);
      }
    }
  }
  Resolution out;
  for (const auto& list : found) {
    for (const IpAddress& ip : list) {
      AddUnique(out.addresses, ip);
    }
  }
  out.ok = !out.addresses.empty();
  out.ttl = std::chrono::seconds(ttl == UINT32_MAX ? 0 : ttl);
  if (!out.ok) {
    out.error = "no address from " + server.ToString();
  }
  co_return out;
}

}  // namespace

net::Awaitable<Resolution> ResolveName(std::string name,
                                       std::shared_ptr<const ForwarderConfig> config) {
  Resolution out;
  if (!config->hosts_file.empty()) {
    auto hosts = proxy::HostsTable::Load(config->hosts_file);
    if (!hosts) {
      out.error = "hosts file: " + hosts.error().ToString();
      co_return out;
    }
    if (const auto* found = hosts->Find(name)) {
      out.addresses = *found;
      out.ok = !out.addresses.empty();
      out.ttl = config->refresh_interval;
      co_return out;
    }
    if (config->nameservers.empty()) {
      out.error = "not in " + config->hosts_file;
      out.ttl = config->refresh_interval;
      co_return out;
    }
  }
  if (!config->nameservers.empty()) {
    Duration each = config->resolve_timeout / static_cast<int>(config->nameservers.size());
    for (const Address& server : config->nameservers) {
      auto answer = co_await QueryNameserver(name, server, each);
      if (!answer) {
        out.error = server.ToString() + " did not answer";
        continue;
      }
      out = std::move(*answer);
      out.ttl = std::clamp(out.ttl, config->min_ttl, config->max_ttl);
      co_return out;
    }
    co_return out;
  }
  auto ex = co_await asio::this_coro::executor;
  net::tcp::resolver resolver(ex);
  asio::steady_timer timer(
      ex, std::chrono::duration_cast<SteadyClock::duration>(config->resolve_timeout));
  auto result =
      co_await (resolver.async_resolve(name, "", kUseTuple) || timer.async_wait(kUseTuple));
  if (result.index() != 0) {
    out.error = "system resolver timed out";
    co_return out;
  }
  auto& [ec, results] = std::get<0>(result);
  if (ec) {
    out.error = ec.message();
    co_return out;
  }
  for (const auto& entry : results) {
    AddUnique(out.addresses, net::FromAsio(entry.endpoint().address()).Unmapped());
  }
  out.ok = !out.addresses.empty();
  out.ttl = config->refresh_interval;
  co_return out;
}

Resolution ResolveNameBlocking(const std::string& name,
                               std::shared_ptr<const ForwarderConfig> config) {
  asio::io_context ctx;
  Resolution out;
  out.error = "resolver failed";
  asio::co_spawn(ctx, ResolveName(name, std::move(config)),
                 [&out](std::exception_ptr e, Resolution r) {
                   if (!e) {
                     out = std::move(r);
                   }
                 });
  ctx.run();
  return out;
}

}  // namespace vigie::egress::forward
