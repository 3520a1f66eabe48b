// The event core thread: index, streams, subscriptions, statsd flush, and
// the outputs' lifetimes (the outputs themselves are in events/output/).
// See event_core.h for the threading contract.
#include "events/server/event_core.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

#include <malloc.h>
#include <unistd.h>

#include "core/file.h"
#include "core/log.h"
#include "core/resolver.h"
#include "core/units.h"
#include "events/index/index.h"
#include "events/ingest/statsd_aggregator.h"
#include "events/output/forward.h"
#include "events/output/graphite.h"
#include "events/output/webhook.h"
#include "events/proto/codec.h"
#include "events/proto/json.h"
#include "events/server/prometheus_view.h"
#include "events/server/telemetry.h"
#include "events/stream/stream.h"

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;

namespace {

auto Log() {
  return log::Get("events");
}

int64_t ToMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// What the outputs resolve with: the machine's sources (/etc/hosts, then
// resolv.conf's servers), as getaddrinfo did, without a cache.
ResolverOptions EventsResolverOptions() {
  ResolverOptions o;
  o.cache_entries = 0;
  return o;
}

}  // namespace

// ---------------------------------------------------------------------------
// Impl

struct EventCore::Impl : std::enable_shared_from_this<EventCore::Impl> {
  Impl(std::shared_ptr<const EventsConfig> c, metrics::Registry& reg, Clock& clk)
      : config(std::move(c)),
        m(reg),
        registry(reg),
        clock(clk),
        index(IndexOptions{.default_ttl_seconds = config->ttl_seconds,
                           .max_events = config->max_events,
                           .max_bytes = config->max_index_bytes.bytes,
                           .expired_keep_all_fields = config->expired_keep_all_fields}),
        expire_timer(ctx),
        tick_timer(ctx),
        statsd_timer(ctx),
        telemetry_timer(ctx) {}

  // Sinks the streams end in.
  struct IndexSink final : StreamSink {
    Impl* core;
    explicit IndexSink(Impl* c) : core(c) {}
    void Accept(const Event& e, int64_t now) override { core->IndexEvent(e, now); }
  };
  struct LogSink final : StreamSink {
    void Accept(const Event& e, int64_t /*now*/) override {
      Log()->info("event {}", EventToJson(e));
    }
  };
  // An output sink: hands events to the output while it is configured.
  struct OutputSink final : StreamSink {
    explicit OutputSink(std::shared_ptr<EventOutput>& o) : output(o) {}
    void Accept(const Event& e, int64_t /*now*/) override {
      if (output) {
        output->Add(e);
      }
    }
    std::shared_ptr<EventOutput>& output;
  };

  int64_t Now() const { return ToMicros(clock.WallNow()); }

  void IndexEvent(const Event& e, int64_t now) {
    if (e.Has(Event::kState) && e.state() == "expired") {
      index.Delete(IndexKey{
          e.Has(Event::kHost) ? std::optional<std::string_view>(e.host()) : std::nullopt,
          e.Has(Event::kService) ? std::optional<std::string_view>(e.service()) : std::nullopt});
      return;
    }
    if (!index.Upsert(e, now)) {
      m.index_refused_total.Inc();
      return;
    }
    m.indexed_total.Inc();
    Publish(e);
  }

  // Riemann publishes index updates (and expired events) on the "index"
  // topic that WebSocket/SSE subscribers read.
  void Publish(const Event& e) {
    if (subs.empty()) {
      return;
    }
    std::string json;
    bool dropped = false;
    for (auto& s : subs) {
      if (s->closed()) {
        dropped = true;
        continue;
      }
      if (!s->query().Matches(e)) {
        continue;
      }
      if (json.empty()) {
        AppendEventJson(e, json);
      }
      if (!s->Offer(json)) {
        dropped = true;
      }
    }
    if (dropped) {
      Prune();
    }
  }

  void Prune() {
    for (auto it = subs.begin(); it != subs.end();) {
      if ((*it)->closed()) {
        if ((*it)->overflowed()) {
          m.subscribers_dropped_total.Inc();
          Log()->warn("subscriber dropped: its queue of {} messages was full",
                      config->subscriber_queue);
        }
        it = subs.erase(it);
      } else {
        ++it;
      }
    }
    m.subscribers.Set(static_cast<int64_t>(subs.size()));
  }

  void Process(std::vector<Event>& batch) {
    int64_t now = Now();
    queue_high_water = std::max(queue_high_water, queued.load(std::memory_order_relaxed));
    for (Event& e : batch) {
      if (!e.Has(Event::kTime) && !e.Has(Event::kTimeMicros)) {
        e.SetTimeMicros(now);
      }
      for (auto& s : streams) {
        s->Push(e, now);
      }
    }
    UpdateIndexGauges();
  }

  // The index gauges, and the evictions since the last call counted (with
  // a warning at most 10 times a second: a full budget evicts per event).
  void UpdateIndexGauges() {
    m.index_events.Set(static_cast<int64_t>(index.size()));
    m.index_bytes.Set(static_cast<int64_t>(index.bytes()));
    uint64_t evictions = index.evictions();
    if (evictions == evictions_counted) {
      return;
    }
    m.index_evictions_total.Inc(evictions - evictions_counted);
    evictions_counted = evictions;
    static log::RateLimit limit;
    if (auto suppressed = limit.Allow()) {
      Log()->warn("index over max_index_bytes ({}): evicting the events due to expire soonest{}",
                  FormatByteSize(config->max_index_bytes), log::Suppressed(*suppressed));
    }
  }

  Result<void> BuildStreams(const EventsConfig& c) {
    VIGIE_ASSIGN_OR_RETURN(streams, MakeStreams(c));
    return {};
  }

  Result<std::vector<std::unique_ptr<Stream>>> MakeStreams(const EventsConfig& c) {
    SinkLookup lookup = [this](const std::string& name) -> StreamSink* {
      if (name == "index") {
        return &index_sink;
      }
      if (name == "log") {
        return &log_sink;
      }
      if (name == "graphite") {
        return &graphite_sink;
      }
      if (name == "forward") {
        return &forward_sink;
      }
      if (name == "webhook") {
        return &webhook_sink;
      }
      return nullptr;
    };
    std::vector<std::unique_ptr<Stream>> built;
    for (const auto& spec : c.streams) {
      VIGIE_ASSIGN_OR_RETURN(auto s, BuildStream(spec, lookup));
      built.push_back(std::move(s));
    }
    return built;
  }

  void StartOutputs() {
    if (graphite) {
      graphite->Stop();
      graphite.reset();
    }
    if (forward) {
      forward->Stop();
      forward.reset();
    }
    if (webhook) {
      webhook->Stop();
      webhook.reset();
    }
    if (config->webhook) {
      auto o = std::make_shared<WebhookOutput>(
          ctx, *config->webhook,
          WebhookOutput::Counters{m.webhook_events_total, m.webhook_failures_total,
                                  m.webhook_dropped_total},
          resolver);
      webhook = o;
      asio::co_spawn(ctx, WebhookOutput::Run(std::move(o)), EventsTask("webhook output", m));
    }
    if (config->graphite) {
      auto o = std::make_shared<GraphiteOutput>(
          ctx, *config->graphite,
          GraphiteOutput::Counters{m.graphite_lines_total, m.graphite_dropped_total,
                                   m.graphite_connect_failures_total},
          resolver);
      graphite = o;
      asio::co_spawn(ctx, GraphiteOutput::Run(std::move(o)), EventsTask("graphite output", m));
    }
    if (config->forward) {
      auto o = std::make_shared<ForwardOutput>(
          ctx, *config->forward,
          ForwardOutput::Counters{m.forward_events_total, m.forward_dropped_total,
                                  m.forward_connect_failures_total},
          resolver);
      forward = o;
      asio::co_spawn(ctx, ForwardOutput::Run(std::move(o)), EventsTask("forward output", m));
    }
  }

  void ExpireNow() {
    int64_t now = Now();
    std::vector<Event> expired = index.Expire(now);
    m.expired_total.Inc(expired.size());
    for (const Event& e : expired) {
      if (config->log_expired) {
        Log()->info("expired {}", EventToJson(e));
      }
      Publish(e);
      for (auto& s : streams) {
        s->Push(e, now);
      }
    }
    UpdateIndexGauges();
    m.index_memory_bytes.Set(static_cast<int64_t>(index.MemoryUsage()));
    TrimAfterBurst();
  }

  // Events in transit (decoded on the workers, queued, freed here) are
  // most of the heap during a burst; glibc keeps those pages mapped, so
  // after a million-event burst the process would stay hundreds of MB
  // above what the index holds. Once the queue has drained after a burst,
  // hand the free pages back (malloc_trim: ~30 ms at 400 MB, on this
  // thread, with nothing queued to delay), at most once per 10 s.
  void TrimAfterBurst() {
    constexpr int64_t kBurstEvents = 50'000;
    auto now = std::chrono::steady_clock::now();
    if (queue_high_water < kBurstEvents || queued.load(std::memory_order_relaxed) != 0 ||
        now - last_trim < std::chrono::seconds(10)) {
      return;
    }
    queue_high_water = 0;
    last_trim = now;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
  }

  void StopOnCore() {
    stopping = true;
    expire_timer.cancel();
    tick_timer.cancel();
    statsd_timer.cancel();
    telemetry_timer.cancel();
    if (graphite) {
      graphite->Stop();
    }
    if (forward) {
      forward->Stop();
    }
    if (webhook) {
      webhook->Stop();
    }
    for (auto& s : subs) {
      s->Close();
    }
    subs.clear();
    m.subscribers.Set(0);
  }

  // Written as a whole or not at all (core/file.h): a crash mid-save
  // leaves the previous snapshot.
  Result<void> SaveSnapshot() {
    if (config->snapshot.empty()) {
      return {};
    }
    auto file = AtomicFile::Create(config->snapshot, 0600);
    if (!file) {
      return Error(Errc::kIo, "snapshot: " + file.error().ToString());
    }
    auto r = index.SaveSnapshot([&file](std::string_view chunk) { return file->Append(chunk); });
    if (r) {
      r = file->Commit();
    }
    if (!r) {
      return Error(Errc::kIo, "snapshot " + config->snapshot + ": " + r.error().ToString());
    }
    m.snapshot_saves_total.Inc();
    return {};
  }

  std::shared_ptr<const EventsConfig> config;
  EventsMetrics m;
  metrics::Registry& registry;  // the whole process's metrics (self-telemetry)
  Clock& clock;
  asio::io_context ctx{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
  std::atomic<int64_t> queued{0};
  // config->queue_events, readable from the workers (config itself is
  // swapped on the core thread).
  std::atomic<int64_t> queue_limit{static_cast<int64_t>(config->queue_events)};
  // Core thread: the deepest queue seen since the last heap trim.
  int64_t queue_high_water = 0;
  std::chrono::steady_clock::time_point last_trim;
  bool stopping = false;

  EventIndex index;
  uint64_t evictions_counted = 0;  // index.evictions() already in the counter
  // The outputs' one DNS client for the component's life (resolv.conf is
  // read once, at start); no cache, so a reconnect asks again.
  std::shared_ptr<Resolver> resolver = std::make_shared<Resolver>(EventsResolverOptions());
  std::shared_ptr<EventOutput> graphite;
  std::shared_ptr<EventOutput> forward;
  std::shared_ptr<EventOutput> webhook;
  IndexSink index_sink{this};
  LogSink log_sink;
  OutputSink graphite_sink{graphite};
  OutputSink forward_sink{forward};
  OutputSink webhook_sink{webhook};
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<std::shared_ptr<Subscription>> subs;
  StatsdAggregator statsd;
  int64_t statsd_last_flush = 0;

  asio::steady_timer expire_timer;
  asio::steady_timer tick_timer;
  asio::steady_timer statsd_timer;
  asio::steady_timer telemetry_timer;
};

namespace {

// The reaper: every expire_interval (periodically-expire).
net::Awaitable<void> ExpireLoop(std::shared_ptr<EventCore::Impl> core) {
  while (!core->stopping) {
    core->expire_timer.expires_after(core->config->expire_interval);
    co_await core->expire_timer.async_wait(kUseTuple);
    if (core->stopping) {
      break;
    }
    core->ExpireNow();
  }
}

// Streams that emit on a schedule (rate, percentiles, coalesce, rollup).
net::Awaitable<void> TickLoop(std::shared_ptr<EventCore::Impl> core) {
  while (!core->stopping) {
    core->tick_timer.expires_after(std::chrono::milliseconds(100));
    co_await core->tick_timer.async_wait(kUseTuple);
    if (core->stopping) {
      break;
    }
    int64_t now = core->Now();
    for (auto& s : core->streams) {
      s->Tick(now);
    }
  }
}

// statsd's flushInterval.
net::Awaitable<void> StatsdLoop(std::shared_ptr<EventCore::Impl> core) {
  while (!core->stopping) {
    core->statsd_timer.expires_after(core->config->statsd_flush);
    co_await core->statsd_timer.async_wait(kUseTuple);
    if (core->stopping) {
      break;
    }
    double interval = std::chrono::duration<double>(core->config->statsd_flush).count();
    std::vector<Event> events = core->statsd.Flush(core->Now(), interval);
    if (!events.empty()) {
      core->m.received_total.Inc(events.size());
      core->Process(events);
    }
  }
}

// Self-telemetry: every metric of the process as an event, each interval.
net::Awaitable<void> TelemetryLoop(std::shared_ptr<EventCore::Impl> core) {
  std::string host = "localhost";
  if (std::array<char, 256> name{}; gethostname(name.data(), name.size() - 1) == 0) {
    host = name.data();
  }
  auto last = std::chrono::steady_clock::now();
  while (!core->stopping) {
    // Off: look again after a while. A reload wakes the timer early; the
    // next round is then due at last + the new interval, not at once.
    core->telemetry_timer.expires_at(
        last + core->config->self_telemetry.value_or(std::chrono::seconds(60)));
    co_await core->telemetry_timer.async_wait(kUseTuple);
    if (core->stopping) {
      break;
    }
    if (!core->config->self_telemetry ||
        std::chrono::steady_clock::now() < last + *core->config->self_telemetry) {
      continue;
    }
    last = std::chrono::steady_clock::now();
    float ttl = 2 * static_cast<float>(
                        std::chrono::duration<double>(*core->config->self_telemetry).count());
    std::vector<Event> events = TelemetryEvents(core->registry.Collect(), host, core->Now(), ttl);
    core->m.self_telemetry_events_total.Inc(events.size());
    core->m.received_total.Inc(events.size());
    core->Process(events);
  }
}

void SpawnLoop(EventCore::Impl& core, net::Awaitable<void> loop, const char* what) {
  asio::co_spawn(core.ctx, std::move(loop), EventsTask(what, core.m));
}

}  // namespace

EventCore::EventCore(std::shared_ptr<const EventsConfig> config, metrics::Registry& registry,
                     Clock& clock)
    : impl_(std::make_shared<Impl>(std::move(config), registry, clock)) {}

EventCore::~EventCore() {
  if (impl_->thread.joinable()) {
    asio::post(impl_->ctx, [impl = impl_] {
      if (!impl->stopping) {
        impl->StopOnCore();
      }
    });
    impl_->guard.reset();
    impl_->thread.join();
  }
  if (auto r = impl_->SaveSnapshot(); !r) {
    Log()->error("{}", r.error().ToString());
  } else if (!impl_->config->snapshot.empty()) {
    Log()->info("index snapshot: {} events written to {}", impl_->index.size(),
                impl_->config->snapshot);
  }
}

Result<void> EventCore::Start() {
  Impl& c = *impl_;
  if (!c.config->snapshot.empty()) {
    std::ifstream in(c.config->snapshot, std::ios::binary);
    if (in) {
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto loaded = c.index.LoadSnapshot(bytes, c.Now());
      if (!loaded) {
        // A damaged snapshot must not stop the server: what was read is kept.
        Log()->error("index snapshot {}: {} ({} events kept)", c.config->snapshot,
                     loaded.error().ToString(), c.index.size());
      } else {
        Log()->info("index snapshot: {} events loaded from {}", *loaded, c.config->snapshot);
      }
    }
  }
  VIGIE_TRY(c.BuildStreams(*c.config));
  c.UpdateIndexGauges();
  c.StartOutputs();
  SpawnLoop(c, ExpireLoop(impl_), "expiry");
  SpawnLoop(c, TickLoop(impl_), "stream ticks");
  SpawnLoop(c, StatsdLoop(impl_), "statsd flush");
  SpawnLoop(c, TelemetryLoop(impl_), "self-telemetry");
  c.guard.emplace(c.ctx.get_executor());
  c.thread = std::thread([impl = impl_] { impl->ctx.run(); });
  return {};
}

struct EventCore::PreparedConfig {
  std::shared_ptr<const EventsConfig> config;
  std::vector<std::unique_ptr<Stream>> streams;
};

namespace {

// Applies a prepared config on the core thread.
void ApplyConfig(EventCore::Impl& c, EventCore::PreparedConfig& prepared) {
  std::shared_ptr<const EventsConfig> next = std::move(prepared.config);
  c.streams = std::move(prepared.streams);
  bool outputs_changed =
      (next->graphite.has_value() != c.config->graphite.has_value()) ||
      (next->forward.has_value() != c.config->forward.has_value()) ||
      (next->graphite && c.config->graphite &&
       (next->graphite->target != c.config->graphite->target ||
        next->graphite->prefix != c.config->graphite->prefix ||
        next->graphite->percentile_paths != c.config->graphite->percentile_paths ||
        next->graphite->buffer.bytes != c.config->graphite->buffer.bytes)) ||
      (next->forward && c.config->forward && next->forward->target != c.config->forward->target) ||
      next->webhook.has_value() != c.config->webhook.has_value() ||
      (next->webhook && c.config->webhook &&
       (next->webhook->url != c.config->webhook->url ||
        next->webhook->headers != c.config->webhook->headers));
  if (next->ttl_seconds != c.config->ttl_seconds) {
    Log()->warn("events.ttl: the new default applies to events indexed from now on after restart");
  }
  c.queue_limit.store(static_cast<int64_t>(next->queue_events), std::memory_order_relaxed);
  c.index.set_max_bytes(next->max_index_bytes.bytes);  // from the next event written
  c.config = std::move(next);
  if (outputs_changed) {
    c.StartOutputs();
  }
  // The reaper picks up a new interval at its next round; wake it now.
  c.expire_timer.cancel();
  c.statsd_timer.cancel();
  c.telemetry_timer.cancel();
}

}  // namespace

// The streams are built on the core thread, like every stream it runs; the
// result comes back through a promise because Prepare is synchronous for
// the control thread.
Result<std::shared_ptr<EventCore::PreparedConfig>> EventCore::Prepare(
    std::shared_ptr<const EventsConfig> config) {
  std::promise<Result<std::shared_ptr<PreparedConfig>>> done;
  auto fut = done.get_future();
  asio::post(impl_->ctx, [impl = impl_, config, &done] {
    auto streams = impl->MakeStreams(*config);
    if (!streams) {
      done.set_value(streams.error());
      return;
    }
    done.set_value(std::make_shared<PreparedConfig>(PreparedConfig{config, std::move(*streams)}));
  });
  return fut.get();
}

void EventCore::Commit(std::shared_ptr<PreparedConfig> prepared) {
  asio::post(impl_->ctx, [impl = impl_, prepared] { ApplyConfig(*impl, *prepared); });
}

void EventCore::Stop() {
  asio::post(impl_->ctx, [impl = impl_] { impl->StopOnCore(); });
}

net::TaskDone EventsTask(const char* what, EventsMetrics& m) {
  return net::TaskDone{what, Log().get(), &m.task_failures_total};
}

namespace {

// Reserves `n` places in the core's bounded queue (any thread); false, and
// the items counted as shed, when they do not fit.
bool Admit(EventCore::Impl& c, int64_t n) {
  int64_t before = c.queued.fetch_add(n, std::memory_order_relaxed);
  if (before + n > c.queue_limit.load(std::memory_order_relaxed)) {
    c.queued.fetch_sub(n, std::memory_order_relaxed);
    c.m.shed_total.Inc(n);
    return false;
  }
  return true;
}

}  // namespace

bool EventCore::Submit(std::vector<Event> events) {
  auto n = static_cast<int64_t>(events.size());
  if (n == 0) {
    return true;
  }
  Impl& c = *impl_;
  if (!Admit(c, n)) {
    return false;
  }
  c.m.received_total.Inc(n);
  c.m.queue_events.Add(n);
  asio::post(c.ctx, [impl = impl_, batch = std::move(events)]() mutable {
    impl->Process(batch);
    auto k = static_cast<int64_t>(batch.size());
    impl->queued.fetch_sub(k, std::memory_order_relaxed);
    impl->m.queue_events.Sub(k);
  });
  return true;
}

bool EventCore::SubmitStatsd(std::vector<StatsdSample> samples) {
  auto n = static_cast<int64_t>(samples.size());
  if (n == 0) {
    return true;
  }
  Impl& c = *impl_;
  if (!Admit(c, n)) {
    return false;
  }
  c.m.statsd_samples_total.Inc(n);
  asio::post(c.ctx, [impl = impl_, batch = std::move(samples)] {
    for (const auto& s : batch) {
      if (!impl->statsd.Add(s)) {
        impl->m.statsd_dropped_total.Inc();
      }
    }
    impl->queued.fetch_sub(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
  });
  return true;
}

asio::io_context& EventCore::context() {
  return impl_->ctx;
}
EventsMetrics& EventCore::metrics() {
  return impl_->m;
}
int64_t EventCore::NowMicros() const {
  return impl_->Now();
}

bool EventCore::Congested() const {
  const Impl& c = *impl_;
  return c.queued.load(std::memory_order_relaxed) >
         c.queue_limit.load(std::memory_order_relaxed) / 4 * 3;
}

namespace {

Error OverReplyLimit(EventCore::Impl& c, std::string_view what) {
  c.m.replies_refused_total.Inc();
  return Error(Errc::kLimitExceeded, std::string(what) + " over the reply limit of " +
                                         FormatByteSize(c.config->max_reply) +
                                         " (events.max_reply): narrow the query");
}

}  // namespace

Result<std::vector<Event>> EventCore::SearchWithinReplyLimit(const EventQuery& q) {
  Impl& c = *impl_;
  const uint64_t limit = c.config->max_reply.bytes;
  std::vector<Event> out;
  uint64_t bytes = 0;
  bool complete = c.index.SearchWhile(q, [&](const Event& e) {
    bytes += EventEncodedSize(e) + 16;
    if (bytes > limit) {
      return false;
    }
    out.push_back(e);
    return true;
  });
  if (!complete) {
    return OverReplyLimit(c, "the answer is");
  }
  return out;
}

Result<std::vector<std::string>> EventCore::Subscribe(std::shared_ptr<Subscription> sub,
                                                      bool live) {
  Impl& c = *impl_;
  const uint64_t limit = c.config->max_reply.bytes;
  std::vector<std::string> out;
  uint64_t bytes = 0;
  bool complete = c.index.SearchWhile(sub->query(), [&](const Event& e) {
    std::string json = EventToJson(e);
    bytes += json.size();
    if (bytes > limit) {
      return false;
    }
    out.push_back(std::move(json));
    return true;
  });
  if (!complete) {
    sub->Close();
    return OverReplyLimit(c, "the snapshot is");
  }
  if (!live || impl_->stopping) {
    sub->Close();
    return out;
  }
  impl_->subs.push_back(std::move(sub));
  impl_->m.subscribers.Set(static_cast<int64_t>(impl_->subs.size()));
  return out;
}

net::Awaitable<Msg> QueryOnCore(EventCore* core, std::string text) {
  auto q = ParseQuery(text);
  if (!q) {
    core->metrics().query_errors_total.Inc();
    co_return ErrorReply(q.error().ToString());
  }
  core->metrics().queries_total.Inc();
  auto events = core->SearchWithinReplyLimit(*q);
  if (!events) {
    co_return ErrorReply(events.error().ToString());
  }
  Msg reply = OkReply();
  reply.events = std::move(*events);
  for (Event& e : reply.events) {
    if (auto metric = e.GetMetric()) {
      e.SetMetric(*metric);  // Riemann's reply encoding (metric_f plus the exact one)
    }
  }
  co_return reply;
}

net::Awaitable<Result<std::string>> PrometheusOnCore(EventCore* core, std::string query) {
  auto q = ParseQuery(query);
  if (!q) {
    core->metrics().query_errors_total.Inc();
    co_return q.error();
  }
  core->metrics().queries_total.Inc();
  auto events = core->SearchWithinReplyLimit(*q);
  if (!events) {
    co_return events.error();
  }
  co_return RenderPrometheusView(*events);
}

}  // namespace vigie::events
