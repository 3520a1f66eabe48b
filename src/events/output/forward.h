// The forward output (riemann.client forwarding): batches of events as
// Riemann protocol messages to another server over one TCP connection, each
// acknowledged before the next. A refused batch is dropped; a lost
// connection keeps the batch for the next one.
//
// Thread rules: the event core's thread (the io_context it was made on).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/metrics.h"
#include "core/net.h"
#include "core/resolver.h"
#include "events/output/output.h"
#include "events/server/config.h"

namespace vigie::events {

// The largest acknowledgement read (a reply to a batch is a few bytes).
inline constexpr uint32_t kMaxForwardAckBytes = 1u << 20;

// The length in the 4-byte big-endian head of a Riemann TCP frame. Pure.
uint32_t FrameLength(std::span<const std::byte, 4> head);

// What the server's reply to one batch says. Pure.
struct ForwardAck {
  enum class Kind : uint8_t {
    kAcked,       // Msg{ok: true}: delivered
    kRefused,     // a Msg, not ok: resending will not help
    kUnreadable,  // not a Msg: the connection is not to be trusted
  };
  Kind kind = Kind::kUnreadable;
  std::string error;  // kRefused: the server's error, or "(no error text)"
};
ForwardAck ReadForwardAck(std::span<const std::byte> frame_body);

class ForwardOutput final : public QueuedEventOutput {
 public:
  struct Counters {
    metrics::Counter& events;            // events forwarded and acknowledged
    metrics::Counter& dropped;           // queue full, or refused by the server
    metrics::Counter& connect_failures;  // failed connections to the target
  };
  // `resolver` (the event core's) finds the target's addresses; null: one
  // of its own with the default options.
  ForwardOutput(net::asio::io_context& ctx, ForwardOutputConfig cfg, Counters counters,
                std::shared_ptr<Resolver> resolver = nullptr);

  // The sender: connects, sends a batch each flush_interval (or as soon as
  // one is queued), waits for its acknowledgement, reconnects with backoff;
  // returns after Stop.
  static net::Awaitable<void> Run(std::shared_ptr<ForwardOutput> o);

 private:
  ForwardOutputConfig cfg_;
  Counters m_;
  std::shared_ptr<Resolver> resolver_;
};

}  // namespace vigie::events
