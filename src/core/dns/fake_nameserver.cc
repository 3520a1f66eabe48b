#include "core/dns/fake_nameserver.h"

#include <array>
#include <stdexcept>

#include <boost/asio/write.hpp>

#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"

namespace vigie::dns::test_support {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using net::udp;

Bytes Wire(const Message& m) {
  Bytes out;
  Encode(m, &out);
  return out;
}

FakeNameserver::FakeNameserver(asio::io_context& ctx) : udp_(ctx), acceptor_(ctx) {
  const auto loopback = asio::ip::make_address("127.0.0.1");
  for (int i = 0; i < 20 && !acceptor_.is_open(); ++i) {
    udp_ = udp::socket(ctx, udp::endpoint(loopback, 0));
    boost::system::error_code ec;
    acceptor_ = tcp::acceptor(ctx);
    tcp::endpoint ep(loopback, udp_.local_endpoint().port());
    acceptor_.open(ep.protocol(), ec);
    if (!ec) {
      acceptor_.bind(ep, ec);
    }
    if (!ec) {
      acceptor_.listen(16, ec);
    }
    if (ec) {
      acceptor_.close(ec);
    }
  }
  if (!acceptor_.is_open()) {
    throw std::runtime_error("fake nameserver: no free UDP+TCP port pair on 127.0.0.1");
  }
  asio::co_spawn(ctx, ServeUdp(this), asio::detached);
  asio::co_spawn(ctx, ServeTcp(this), asio::detached);
}

FakeNameserver::~FakeNameserver() {
  boost::system::error_code ec;
  udp_.close(ec);
  acceptor_.close(ec);
}

std::vector<Bytes> FakeNameserver::Answer(std::span<const std::byte> wire, bool over_tcp) {
  auto q = DecodeMessage(wire);
  if (!q || q->questions.empty()) {
    return {};
  }
  (over_tcp ? tcp_queries : udp_queries)++;
  asked.push_back(std::to_string(q->questions[0].type) + " " + q->questions[0].name.ToKey());
  return script ? script(*q, over_tcp) : std::vector<Bytes>{};
}

net::Awaitable<void> FakeNameserver::ServeUdp(FakeNameserver* self) {
  Bytes in(65535);
  for (;;) {
    udp::endpoint from;
    auto [ec, n] =
        co_await self->udp_.async_receive_from(asio::buffer(in.data(), in.size()), from, kUseTuple);
    if (ec) {
      co_return;
    }
    for (const Bytes& reply : self->Answer(std::span(in.data(), n), false)) {
      co_await self->udp_.async_send_to(asio::buffer(reply.data(), reply.size()), from, kUseTuple);
    }
  }
}

net::Awaitable<void> FakeNameserver::ServeTcp(FakeNameserver* self) {
  for (;;) {
    auto [ec, sock] = co_await self->acceptor_.async_accept(kUseTuple);
    if (ec) {
      co_return;
    }
    asio::co_spawn(self->acceptor_.get_executor(), ServeConnection(self, std::move(sock)),
                   asio::detached);
  }
}

// Every frame on the connection is a query; replies go back in order.
net::Awaitable<void> FakeNameserver::ServeConnection(FakeNameserver* self, tcp::socket sock) {
  Bytes in;
  std::array<std::byte, 4096> chunk;
  for (;;) {
    auto frame = NextTcpFrame(in);
    if (!frame) {
      co_return;  // a malformed frame ends the connection
    }
    if (frame->has_value()) {
      Bytes query((*frame)->message.begin(), (*frame)->message.end());
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>((*frame)->consumed));
      for (Bytes reply : self->Answer(query, true)) {
        PrefixTcpLength(&reply, 0);
        co_await asio::async_write(sock, asio::buffer(reply.data(), reply.size()), kUseTuple);
      }
      continue;
    }
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(chunk), kUseTuple);
    if (ec) {
      co_return;
    }
    in.insert(in.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

}  // namespace vigie::dns::test_support
