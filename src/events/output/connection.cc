// Connecting (through core's Resolver) and writing with deadlines.
#include "events/output/connection.h"

#include <string>

#include <boost/asio/write.hpp>

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

// A resolver failure in the words asio (and getaddrinfo) used for it, so
// the outputs' logs read as before.
boost::system::error_code FromResolveError(const std::error_code& code) {
  if (code == ResolveErrc::kTimeout) {
    return asio::error::timed_out;
  }
  if (code == ResolveErrc::kServerFailure) {
    return asio::error::host_not_found_try_again;
  }
  return asio::error::host_not_found;
}

}  // namespace

net::Awaitable<boost::system::error_code> ConnectWithin(tcp::socket& sock, Resolver& resolver,
                                                        Address target, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  auto answer = co_await resolver.Lookup(target.host, LookupFamily::kAny, timeout);
  if (!answer) {
    co_return FromResolveError(answer.error().code());
  }
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  timer.expires_at(deadline);
  boost::system::error_code last = asio::error::host_not_found;
  for (const IpAddress& address : answer->addresses) {
    boost::system::error_code ignored;
    sock.close(ignored);
    tcp::endpoint endpoint(net::ToAsio(address.Unmapped()), target.port);
    auto c = co_await (sock.async_connect(endpoint, kUseTuple) || timer.async_wait(kUseTuple));
    if (c.index() == 1) {
      sock.close(ignored);
      co_return asio::error::timed_out;
    }
    auto [ec] = std::get<0>(c);
    if (!ec) {
      co_return ec;
    }
    last = ec;
  }
  boost::system::error_code ignored;
  sock.close(ignored);
  co_return last;
}

net::Awaitable<boost::system::error_code> WriteWithin(tcp::socket& sock, std::string_view data,
                                                      Duration timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(timeout);
  auto r = co_await (asio::async_write(sock, asio::buffer(data), kUseTuple) ||
                     timer.async_wait(kUseTuple));
  if (r.index() == 1) {
    co_return asio::error::timed_out;
  }
  co_return std::get<0>(std::get<0>(r));
}

}  // namespace vigie::events
