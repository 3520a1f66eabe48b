#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include "lb/server/state.h"

namespace vigie::lb {
namespace {

// A waiter's timer runs far longer than the test: a cancelled wait shows
// that the gate woke it.
std::shared_ptr<asio::steady_timer> Waiter(asio::io_context& ctx, bool& woken) {
  auto timer = std::make_shared<asio::steady_timer>(ctx);
  timer->expires_after(std::chrono::hours(1));
  timer->async_wait(
      [&woken](boost::system::error_code ec) { woken = ec == asio::error::operation_aborted; });
  return timer;
}

TEST(ConnGateTest, TakesSlotsUpToTheLimit) {
  ConnGate gate(2);
  EXPECT_TRUE(gate.TryAcquire());
  EXPECT_TRUE(gate.TryAcquire());
  EXPECT_FALSE(gate.TryAcquire());
  EXPECT_EQ(gate.current(), 2);
  gate.Release();
  EXPECT_TRUE(gate.TryAcquire());
}

TEST(ConnGateTest, UnlimitedCountsButNeverRefuses) {
  ConnGate gate(0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(gate.TryAcquire());
  }
  EXPECT_EQ(gate.current(), 100);
}

TEST(ConnGateTest, AReleaseWakesTheWaiters) {
  asio::io_context ctx;
  ConnGate gate(1);
  ASSERT_TRUE(gate.TryAcquire());
  ASSERT_FALSE(gate.TryAcquire());
  bool woken = false;
  auto timer = Waiter(ctx, woken);
  gate.AddWaiter(timer);
  ctx.poll();
  EXPECT_FALSE(woken);  // still full
  gate.Release();
  ctx.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(woken);
  EXPECT_TRUE(gate.TryAcquire());
}

// The accept loop saw the gate full, then a slot freed before its waiter
// was registered: registering must not sleep through that slot.
TEST(ConnGateTest, AWaiterRegisteringAfterTheReleaseIsWokenAtOnce) {
  asio::io_context ctx;
  ConnGate gate(1);
  ASSERT_TRUE(gate.TryAcquire());
  ASSERT_FALSE(gate.TryAcquire());
  gate.Release();  // nobody waits yet
  bool woken = false;
  gate.AddWaiter(Waiter(ctx, woken));
  ctx.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(woken);
}

}  // namespace
}  // namespace vigie::lb
