// Tests of what the outputs share: the bounded batch queue, and the queued
// output's Add/Stop (drops counted, the sender woken by a full batch).
#include "events/output/output.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

Event Numbered(int i) {
  Event e;
  e.set_service("s" + std::to_string(i));
  return e;
}

TEST(EventBatchQueueTest, BoundedFifoInBatches) {
  EventBatchQueue q(/*batch=*/3, /*limit=*/5);
  EXPECT_FALSE(q.BatchReady());
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(q.Add(Numbered(i))) << i;
  EXPECT_FALSE(q.Add(Numbered(5)));  // over the limit: refused
  EXPECT_EQ(q.size(), 5u);
  EXPECT_TRUE(q.BatchReady());

  std::vector<Event> out{Numbered(-1)};  // appended to, not replaced
  EXPECT_EQ(q.TakeBatch(out), 3u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].service(), "s-1");
  EXPECT_EQ(out[1].service(), "s0");
  EXPECT_EQ(out[3].service(), "s2");
  EXPECT_FALSE(q.BatchReady());  // two left
  EXPECT_TRUE(q.Add(Numbered(6)));

  out.clear();
  EXPECT_EQ(q.TakeBatch(out), 3u);
  EXPECT_EQ(out[0].service(), "s3");
  EXPECT_EQ(out[2].service(), "s6");
  EXPECT_EQ(q.TakeBatch(out), 0u);
  EXPECT_EQ(q.size(), 0u);
}

// Exposes the sender's side of a QueuedEventOutput.
class ProbeOutput final : public QueuedEventOutput {
 public:
  ProbeOutput(net::asio::io_context& ctx, size_t batch, size_t limit, metrics::Counter& dropped)
      : QueuedEventOutput(ctx, batch, limit, dropped) {}
  // As the sender waits for a batch: true in `woken` once the wait ends early.
  void WaitForBatch(bool& woken) {
    wake_.expires_after(std::chrono::hours(1));
    wake_.async_wait([&woken](boost::system::error_code ec) {
      woken = ec == net::asio::error::operation_aborted;
    });
  }
  size_t queued() const { return queue_.size(); }
};

TEST(QueuedEventOutputTest, CountsDropsAndWakesOnAFullBatch) {
  net::asio::io_context ctx;
  metrics::Counter dropped;
  ProbeOutput o(ctx, /*batch=*/2, /*limit=*/3, dropped);
  bool woken = false;
  o.WaitForBatch(woken);
  o.Add(Numbered(0));
  ctx.poll();
  EXPECT_FALSE(woken);  // half a batch: the sender sleeps on
  o.Add(Numbered(1));
  ctx.poll();
  EXPECT_TRUE(woken);
  o.Add(Numbered(2));
  o.Add(Numbered(3));
  o.Add(Numbered(4));
  EXPECT_EQ(o.queued(), 3u);
  EXPECT_EQ(dropped.value(), 2u);
}

TEST(QueuedEventOutputTest, StopWakesTheSenderAndIgnoresLaterEvents) {
  net::asio::io_context ctx;
  metrics::Counter dropped;
  ProbeOutput o(ctx, /*batch=*/10, /*limit=*/10, dropped);
  bool woken = false;
  o.WaitForBatch(woken);
  o.Stop();
  ctx.poll();
  EXPECT_TRUE(woken);
  o.Add(Numbered(0));
  EXPECT_EQ(o.queued(), 0u);
  EXPECT_EQ(dropped.value(), 0u);
}

}  // namespace
}  // namespace vigie::events
