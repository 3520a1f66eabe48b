// The forward output's sender and how it reads acknowledgements.
#include "events/output/forward.h"

#include <algorithm>
#include <array>
#include <vector>

#include <boost/asio/read.hpp>

#include "core/log.h"
#include "events/output/connection.h"
#include "events/proto/codec.h"

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

auto Log() {
  return log::Get("events");
}

}  // namespace

uint32_t FrameLength(std::span<const std::byte, 4> head) {
  return (std::to_integer<uint32_t>(head[0]) << 24) | (std::to_integer<uint32_t>(head[1]) << 16) |
         (std::to_integer<uint32_t>(head[2]) << 8) | std::to_integer<uint32_t>(head[3]);
}

ForwardAck ReadForwardAck(std::span<const std::byte> frame_body) {
  auto decoded = DecodeMsg(frame_body);
  if (!decoded) {
    return {ForwardAck::Kind::kUnreadable, {}};
  }
  if (decoded->ok.value_or(false)) {
    return {ForwardAck::Kind::kAcked, {}};
  }
  return {ForwardAck::Kind::kRefused, decoded->error.value_or("(no error text)")};
}

ForwardOutput::ForwardOutput(asio::io_context& ctx, ForwardOutputConfig cfg, Counters counters,
                             std::shared_ptr<Resolver> resolver)
    : QueuedEventOutput(ctx, cfg.batch, cfg.queue, counters.dropped),
      cfg_(std::move(cfg)),
      m_(counters),
      resolver_(resolver ? std::move(resolver) : std::make_shared<Resolver>(ResolverOptions{})) {}

net::Awaitable<void> ForwardOutput::Run(std::shared_ptr<ForwardOutput> o) {
  Duration backoff = o->cfg_.backoff_min;
  Msg msg;
  std::string out;
  std::vector<std::byte> reply;
  while (!o->stopping_) {
    auto ec = co_await ConnectWithin(o->sock_, *o->resolver_, o->cfg_.target, o->cfg_.timeout);
    if (o->stopping_) {
      break;
    }
    if (ec) {
      o->m_.connect_failures.Inc();
      o->wake_.expires_after(backoff);
      co_await o->wake_.async_wait(kUseTuple);
      backoff = std::min(backoff * 2, o->cfg_.backoff_max);
      continue;
    }
    backoff = o->cfg_.backoff_min;
    while (!o->stopping_) {
      if (msg.events.empty()) {
        if (!o->queue_.BatchReady()) {
          o->wake_.expires_after(o->cfg_.flush_interval);
          co_await o->wake_.async_wait(kUseTuple);
        }
        o->queue_.TakeBatch(msg.events);
      }
      if (msg.events.empty()) {
        continue;
      }
      out.clear();
      AppendFrame(msg, out);
      auto wec = co_await WriteWithin(o->sock_, out, o->cfg_.timeout);
      bool ok = !wec;
      if (ok) {
        // The acknowledgement: a 4-byte length then Msg{ok}.
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(o->cfg_.timeout);
        std::array<std::byte, 4> head{};
        auto r = co_await (asio::async_read(o->sock_, asio::buffer(head), kUseTuple) ||
                           timer.async_wait(kUseTuple));
        ok = r.index() == 0 && !std::get<0>(std::get<0>(r));
        if (ok) {
          uint32_t len = FrameLength(head);
          ok = len <= kMaxForwardAckBytes;
          if (ok) {
            reply.resize(len);
            auto r2 = co_await (asio::async_read(o->sock_, asio::buffer(reply), kUseTuple) ||
                                timer.async_wait(kUseTuple));
            ok = r2.index() == 0 && !std::get<0>(std::get<0>(r2));
            if (ok) {
              ForwardAck ack = ReadForwardAck(reply);
              ok = ack.kind == ForwardAck::Kind::kAcked;
              if (ack.kind == ForwardAck::Kind::kRefused) {
                Log()->warn("forward {}: refused: {}", o->cfg_.target.ToString(), ack.error);
                // A refusal will not get better by resending: drop the batch.
                o->m_.dropped.Inc(msg.events.size());
                msg.events.clear();
                continue;
              }
            }
          }
        }
      }
      if (!ok) {
        Log()->warn("forward {}: connection lost; reconnecting", o->cfg_.target.ToString());
        boost::system::error_code ignored;
        o->sock_.close(ignored);
        break;
      }
      o->m_.events.Inc(msg.events.size());
      msg.events.clear();
    }
  }
}

}  // namespace vigie::events
