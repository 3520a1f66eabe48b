// Connecting (with the system resolver) and writing with deadlines.
#include "events/output/connection.h"

#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

net::Awaitable<boost::system::error_code> ConnectWithin(tcp::socket& sock, Address target,
                                                        Duration timeout) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  asio::steady_timer timer(ex);
  timer.expires_after(timeout);
  auto r = co_await (resolver.async_resolve(target.host, std::to_string(target.port), kUseTuple) ||
                     timer.async_wait(kUseTuple));
  if (r.index() == 1) {
    co_return asio::error::timed_out;
  }
  auto [rec, results] = std::get<0>(r);
  if (rec) {
    co_return rec;
  }
  auto c = co_await (asio::async_connect(sock, results, kUseTuple) || timer.async_wait(kUseTuple));
  if (c.index() == 1) {
    boost::system::error_code ignored;
    sock.close(ignored);
    co_return asio::error::timed_out;
  }
  auto [cec, endpoint] = std::get<0>(c);
  (void)endpoint;
  co_return cec;
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
