// A scripted nameserver for tests: UDP and TCP on one port of 127.0.0.1,
// answering each query by running `script`. The stub resolver's tests and
// the dns component's upstream tests both talk to it, so spoofed, stray,
// truncated and black-holed answers are written once.
//
// Thread rules: lives on one io_context; `script` and the counters are used
// from that context's thread (read them after the context stopped, or from
// the same thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/dns/message.h"
#include "core/net.h"

namespace vigie::dns::test_support {

using Bytes = std::vector<std::byte>;

// What the server sends back for one query, each element one datagram (UDP)
// or one length-prefixed frame (TCP); empty: nothing, a black hole for that
// query.
using Script = std::function<std::vector<Bytes>(const Message& query, bool over_tcp)>;

// The wire form of `m`.
Bytes Wire(const Message& m);

class FakeNameserver {
 public:
  // Binds UDP port 0 on 127.0.0.1, then the same TCP port (retrying with
  // another port when that one is taken); throws std::runtime_error when no
  // pair could be had.
  explicit FakeNameserver(net::asio::io_context& ctx);
  ~FakeNameserver();
  FakeNameserver(const FakeNameserver&) = delete;
  FakeNameserver& operator=(const FakeNameserver&) = delete;

  uint16_t port() const { return udp_.local_endpoint().port(); }
  net::udp::endpoint udp_endpoint() const { return udp_.local_endpoint(); }
  net::tcp::endpoint tcp_endpoint() const { return acceptor_.local_endpoint(); }

  Script script;
  std::atomic<int> udp_queries{0};
  std::atomic<int> tcp_queries{0};
  std::vector<std::string> asked;  // "<type number> <name>" of each query, in order ("1 www.test")

 private:
  std::vector<Bytes> Answer(std::span<const std::byte> query, bool over_tcp);
  static net::Awaitable<void> ServeUdp(FakeNameserver* self);
  static net::Awaitable<void> ServeTcp(FakeNameserver* self);
  static net::Awaitable<void> ServeConnection(FakeNameserver* self, net::tcp::socket sock);

  net::udp::socket udp_;
  net::tcp::acceptor acceptor_;
};

}  // namespace vigie::dns::test_support
