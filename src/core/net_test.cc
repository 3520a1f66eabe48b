#include "core/net.h"

#include <gtest/gtest.h>

#include "core/admin.h"
#include "core/clock.h"

namespace vigie {
namespace {

TEST(ListenTest, WorkersShareOnePortWithReusePort) {
  net::asio::io_context a, b;
  auto acceptors = net::ListenTcpOn({&a, &b}, *ParseAddress("127.0.0.1:0"));
  ASSERT_TRUE(acceptors) << acceptors.error().ToString();
  ASSERT_EQ(acceptors->size(), 2u);
  EXPECT_NE((*acceptors)[0].local_endpoint().port(), 0);
  EXPECT_EQ((*acceptors)[0].local_endpoint().port(), (*acceptors)[1].local_endpoint().port());
  auto udp = net::BindUdpOn({&a, &b}, *ParseAddress("127.0.0.1:0"));
  ASSERT_TRUE(udp);
  EXPECT_EQ((*udp)[0].local_endpoint().port(), (*udp)[1].local_endpoint().port());
}

TEST(ListenTest, PortInUseIsAnErrorNamingTheAddress) {
  net::asio::io_context ctx;
  auto first = net::ListenTcp(ctx, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0),
                              {.reuse_port = false});
  ASSERT_TRUE(first);
  auto second = net::ListenTcp(ctx, first->local_endpoint(), {.reuse_port = false});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().ToString(),
            "bind 127.0.0.1:" + std::to_string(first->local_endpoint().port()) +
                ": Address already in use");
}

TEST(ListenTest, EndpointConversion) {
  auto any = net::ToTcpEndpoint(*ParseAddress(":53"));
  ASSERT_TRUE(any);
  EXPECT_TRUE(any->address().is_unspecified());
  auto v6 = net::ToUdpEndpoint(*ParseAddress("[::1]:53"));
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address().is_v6());
  EXPECT_FALSE(net::ToTcpEndpoint(*ParseAddress("name.example:53", {.allow_names = true})));
  EXPECT_EQ(net::FromAsio(net::asio::ip::make_address("10.0.0.1")).ToString(), "10.0.0.1");
}

TEST(AdminRequestTest, DecodesQueryParameters) {
  AdminRequest r;
  r.query = "name=ads%2Eexample.com&type=AAAA&q=a+b&empty";
  EXPECT_EQ(r.Param("name"), "ads.example.com");
  EXPECT_EQ(r.Param("type"), "AAAA");
  EXPECT_EQ(r.Param("q"), "a b");
  EXPECT_EQ(r.Param("empty"), "");
  EXPECT_EQ(r.Param("missing"), "");
}

TEST(FakeClockTest, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.Now();
  auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(clock.WallNow() - w0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace vigie
