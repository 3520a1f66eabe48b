// The Graphite output (riemann.graphite): events as carbon plaintext lines,
// batched, bounded, over one TCP connection that is remade with backoff.
// The lines themselves are ingest/carbon.h's (AppendCarbonLine,
// GraphitePath).
//
// Thread rules: the event core's thread (the io_context it was made on).
#pragma once

#include <memory>
#include <string>

#include "core/metrics.h"
#include "core/net.h"
#include "core/resolver.h"
#include "events/output/output.h"
#include "events/proto/event.h"
#include "events/server/config.h"

namespace vigie::events {

// The Graphite output's lines: a buffer the core appends to, and the batch
// in flight (kept until written, so a batch lost with its connection is sent
// again on the next one). The two together are bounded. Pure.
class CarbonLineBuffer {
 public:
  // Paths are `prefix` + GraphitePath (or GraphitePathPercentiles when
  // `percentile_paths`); `limit_bytes` bounds buffer + in flight;
  // `batch_bytes` is when a batch is worth sending before its interval.
  CarbonLineBuffer(std::string prefix, bool percentile_paths, size_t limit_bytes,
                   size_t batch_bytes)
      : prefix_(std::move(prefix)),
        percentile_paths_(percentile_paths),
        limit_bytes_(limit_bytes),
        batch_bytes_(batch_bytes) {}

  // Appends the event's line; false (and nothing appended) when buffer and
  // in flight already hold `limit_bytes`.
  bool Add(const Event& e);
  // True once `batch_bytes` are buffered.
  bool BatchReady() const { return buffer_.size() >= batch_bytes_; }
  bool in_flight() const { return !inflight_.empty(); }
  // The batch to write: the one in flight, or else everything buffered,
  // which is then in flight. Empty when there is nothing to send.
  const std::string& NextBatch();
  // The batch in flight was written: it is cleared; the count of its lines.
  size_t Sent();

 private:
  std::string prefix_;
  bool percentile_paths_;
  size_t limit_bytes_;
  size_t batch_bytes_;
  std::string buffer_;
  std::string inflight_;
};

class GraphiteOutput final : public EventOutput {
 public:
  struct Counters {
    metrics::Counter& lines;             // lines written
    metrics::Counter& dropped;           // lines over the buffer bound
    metrics::Counter& connect_failures;  // failed connections to carbon
  };
  // `resolver` (the event core's) finds the target's addresses; null: one
  // of its own with the default options.
  GraphiteOutput(net::asio::io_context& ctx, GraphiteOutputConfig cfg, Counters counters,
                 std::shared_ptr<Resolver> resolver = nullptr);

  void Add(const Event& e) override;
  void Stop() override;
  const GraphiteOutputConfig& config() const { return cfg_; }

  // The sender: connects, writes a batch each flush_interval (or as soon as
  // batch_bytes are buffered), reconnects with backoff; returns after Stop.
  static net::Awaitable<void> Run(std::shared_ptr<GraphiteOutput> o);

 private:
  GraphiteOutputConfig cfg_;
  Counters m_;
  std::shared_ptr<Resolver> resolver_;
  net::tcp::socket sock_;
  net::asio::steady_timer wake_;
  CarbonLineBuffer lines_;
  bool stopping_ = false;
};

}  // namespace vigie::events
