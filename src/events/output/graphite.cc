// The Graphite output's sender and its line buffer.
#include "events/output/graphite.h"

#include <algorithm>

#include "core/log.h"
#include "events/ingest/carbon.h"
#include "events/output/connection.h"

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;

namespace {

auto Log() {
  return log::Get("events");
}

}  // namespace

bool CarbonLineBuffer::Add(const Event& e) {
  std::string path = prefix_ + (percentile_paths_ ? GraphitePathPercentiles(e) : GraphitePath(e));
  if (buffer_.size() + inflight_.size() >= limit_bytes_) {
    return false;
  }
  AppendCarbonLine(path, e, buffer_);
  return true;
}

const std::string& CarbonLineBuffer::NextBatch() {
  if (inflight_.empty()) {
    inflight_.swap(buffer_);
  }
  return inflight_;
}

size_t CarbonLineBuffer::Sent() {
  auto lines = static_cast<size_t>(std::count(inflight_.begin(), inflight_.end(), '\n'));
  inflight_.clear();
  return lines;
}

GraphiteOutput::GraphiteOutput(asio::io_context& ctx, GraphiteOutputConfig cfg, Counters counters,
                               std::shared_ptr<Resolver> resolver)
    : cfg_(std::move(cfg)),
      m_(counters),
      resolver_(resolver ? std::move(resolver) : std::make_shared<Resolver>(ResolverOptions{})),
      sock_(ctx),
      wake_(ctx),
      lines_(cfg_.prefix, cfg_.percentile_paths, cfg_.buffer.bytes, cfg_.batch_bytes) {}

void GraphiteOutput::Add(const Event& e) {
  if (stopping_) {
    return;
  }
  if (!lines_.Add(e)) {
    m_.dropped.Inc();
    return;
  }
  if (lines_.BatchReady()) {
    wake_.cancel();
  }
}

void GraphiteOutput::Stop() {
  stopping_ = true;
  wake_.cancel();
  boost::system::error_code ignored;
  sock_.close(ignored);
}

net::Awaitable<void> GraphiteOutput::Run(std::shared_ptr<GraphiteOutput> o) {
  Duration backoff = o->cfg_.backoff_min;
  bool warned = false;
  while (!o->stopping_) {
    auto ec =
        co_await ConnectWithin(o->sock_, *o->resolver_, o->cfg_.target, o->cfg_.connect_timeout);
    if (o->stopping_) {
      break;
    }
    if (ec) {
      o->m_.connect_failures.Inc();
      if (!warned) {
        Log()->warn("graphite {}: {}; retrying with backoff (lines are buffered up to {})",
                    o->cfg_.target.ToString(), ec.message(), FormatByteSize(o->cfg_.buffer));
        warned = true;
      }
      o->wake_.expires_after(backoff);
      co_await o->wake_.async_wait(kUseTuple);
      backoff = std::min(backoff * 2, o->cfg_.backoff_max);
      continue;
    }
    Log()->info("graphite: connected to {}", o->cfg_.target.ToString());
    warned = false;
    backoff = o->cfg_.backoff_min;
    while (!o->stopping_) {
      if (!o->lines_.in_flight() && !o->lines_.BatchReady()) {
        o->wake_.expires_after(o->cfg_.flush_interval);
        co_await o->wake_.async_wait(kUseTuple);
      }
      const std::string& batch = o->lines_.NextBatch();
      if (batch.empty()) {
        continue;
      }
      auto wec = co_await WriteWithin(o->sock_, batch, o->cfg_.write_timeout);
      if (wec) {
        // The batch stays in flight and is sent again after reconnecting;
        // carbon keeps the last value per timestamp, so a repeat is harmless.
        Log()->warn("graphite {}: write failed: {}; reconnecting", o->cfg_.target.ToString(),
                    wec.message());
        boost::system::error_code ignored;
        o->sock_.close(ignored);
        break;
      }
      o->m_.lines.Inc(o->lines_.Sent());
    }
  }
}

}  // namespace vigie::events
