// egress's two resolvers (the HTTP proxy's ResolveBlocking and the
// forwarder's ResolveName) against a nameserver on 127.0.0.1: core's
// Resolver with egress's settings, v4-mapped answers unmapped, the
// forwarder's TTL clamped, hosts answers living refresh_interval.
#include "egress/forward/resolver.h"

#include <atomic>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/dns/builders.h"
#include "core/dns/message.h"
#include "core/dns/writer.h"
#include "egress/proxy/config.h"
#include "egress/proxy/http_proxy.h"

namespace vigie::egress {
namespace {

namespace asio = net::asio;
using net::udp;

// Answers every A / AAAA query on a UDP port of 127.0.0.1 from a thread:
// `name` has 10.0.0.1 (TTL `ttl`) and, over AAAA, ::ffff:10.0.0.1 and
// 2001:db8::1; other names are NXDOMAIN.
class FakeNameserver {
 public:
  FakeNameserver(std::string name, uint32_t ttl)
      : socket_(ctx_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        name_(dns::Name::FromText(name).value()),
        ttl_(ttl) {
    socket_.non_blocking(true);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeNameserver() {
    stop_ = true;
    thread_.join();
  }
  Address address() const {
    return Address{Address::Kind::kInet, "127.0.0.1", socket_.local_endpoint().port(), {}};
  }
  int queries() const { return queries_.load(); }

 private:
  void Serve() {
    std::vector<std::byte> in(4096);
    while (!stop_) {
      udp::endpoint from;
      boost::system::error_code ec;
      size_t n = socket_.receive_from(asio::buffer(in.data(), in.size()), from, 0, ec);
      if (ec) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      auto q = dns::DecodeQuery(std::span<const std::byte>(in.data(), n));
      if (!q) {
        continue;
      }
      ++queries_;
      const dns::Name& qname = q->questions[0].name;
      dns::Message r;
      if (!(qname == name_)) {
        r = dns::BuildNxdomain(*q, dns::SyntheticSoa(dns::Name::FromText("test").value(), 60));
      } else {
        std::array<uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
        std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        r = dns::BuildAddressAnswer(*q, ttl_, {{10, 0, 0, 1}}, {mapped, v6},
                                    dns::SyntheticSoa(name_, 60));
      }
      std::vector<std::byte> out;
      dns::Encode(r, &out);
      socket_.send_to(asio::buffer(out.data(), out.size()), from, 0, ec);
    }
  }

  asio::io_context ctx_;
  udp::socket socket_;
  dns::Name name_;
  uint32_t ttl_;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

std::vector<std::string> Texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) {
    out.push_back(a.ToString());
  }
  return out;
}

TEST(EgressResolverTest, TheProxyAsksItsNameserversAndUnmaps) {
  FakeNameserver ns("www.example.test", 300);
  auto config = std::make_shared<proxy::HttpProxyConfig>();
  config->nameservers = {ns.address()};
  config->resolve_timeout = std::chrono::seconds(5);
  EXPECT_EQ(Texts(proxy::ResolveBlocking("WWW.example.test.", config)),
            (std::vector<std::string>{"10.0.0.1", "2001:db8::1"}));
  EXPECT_EQ(ns.queries(), 2);  // A and AAAA
  EXPECT_TRUE(proxy::ResolveBlocking("nowhere.test", config).empty());
  // No cache: the next request asks again.
  EXPECT_EQ(proxy::ResolveBlocking("www.example.test", config).size(), 2u);
  EXPECT_EQ(ns.queries(), 6);
}

TEST(EgressResolverTest, TheProxysHostsFileAnswersFirst) {
  FakeNameserver ns("www.example.test", 300);
  auto config = std::make_shared<proxy::HttpProxyConfig>();
  config->nameservers = {ns.address()};
  config->hosts_file = "(preloaded)";
  config->hosts =
      std::make_shared<const HostsTable>(HostsTable::Parse("::ffff:127.0.0.9 www.example.test\n"));
  EXPECT_EQ(Texts(proxy::ResolveBlocking("www.example.test", config)),
            (std::vector<std::string>{"127.0.0.9"}));
  EXPECT_EQ(ns.queries(), 0);
}

TEST(EgressResolverTest, ForwarderTtlsAreClampedAndHostsAnswersLiveRefreshInterval) {
  FakeNameserver ns("api.partner.test", 86400);
  forward::ForwarderConfig config;
  config.nameservers = {ns.address()};
  config.min_ttl = std::chrono::seconds(1);
  config.max_ttl = std::chrono::seconds(600);
  auto resolver = forward::MakeForwarderResolver(config);
  auto r = forward::ResolveNameBlocking("api.partner.test", *resolver, config);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(Texts(r.addresses), (std::vector<std::string>{"10.0.0.1", "2001:db8::1"}));
  EXPECT_EQ(r.ttl, std::chrono::seconds(600));
  auto missing = forward::ResolveNameBlocking("gone.test", *resolver, config);
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.error.find("NXDOMAIN"), std::string::npos) << missing.error;

  // A hosts file is re-read when it changes; its answers live refresh_interval.
  std::string path = ::testing::TempDir() + "/egress_resolver_hosts";
  std::ofstream(path) << "127.0.0.3 spread.test\n";
  forward::ForwarderConfig local;
  local.hosts_file = path;
  local.refresh_interval = std::chrono::seconds(7);
  auto hosts_resolver = forward::MakeForwarderResolver(local);
  asio::io_context ctx;
  forward::Resolution async;
  asio::co_spawn(ctx,
                 forward::ResolveName("spread.test", hosts_resolver,
                                      std::make_shared<const forward::ForwarderConfig>(local)),
                 [&async](const std::exception_ptr&, forward::Resolution res) { async = res; });
  ctx.run();
  ASSERT_TRUE(async.ok) << async.error;
  EXPECT_EQ(Texts(async.addresses), (std::vector<std::string>{"127.0.0.3"}));
  EXPECT_EQ(async.ttl, std::chrono::seconds(7));
  std::ofstream(path) << "127.0.0.4 spread.test\n127.0.0.3 spread.test\n";
  auto reread = forward::ResolveNameBlocking("spread.test", *hosts_resolver, local);
  EXPECT_EQ(Texts(reread.addresses), (std::vector<std::string>{"127.0.0.4", "127.0.0.3"}));
  // Hosts file only: a name it lacks does not resolve, and no DNS is asked.
  EXPECT_FALSE(forward::ResolveNameBlocking("other.test", *hosts_resolver, local).ok);
}

TEST(EgressResolverTest, NeitherSettingMeansTheMachinesSources) {
  forward::ForwarderConfig config;
  auto o = forward::ForwarderResolverOptions(config);
  EXPECT_TRUE(o.servers.empty());
  EXPECT_EQ(o.hosts_file, "/etc/hosts");
  EXPECT_EQ(o.resolv_conf, "/etc/resolv.conf");
  // "localhost" is in every /etc/hosts; it answers without DNS, kept
  // refresh_interval as getaddrinfo's answers were.
  auto resolver = forward::MakeForwarderResolver(config);
  auto r = forward::ResolveNameBlocking("localhost", *resolver, config);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.ttl, config.refresh_interval);
}

}  // namespace
}  // namespace vigie::egress
