// The forwarder's active health checks and the health view they publish.
#include "egress/forward/checks.h"

#include <chrono>

#include "core/health_counter.h"
#include "egress/forward/upstream.h"

namespace vigie::egress::forward {

namespace asio = net::asio;
using net::Awaitable;
using net::kUseTuple;
using net::tcp;
using SteadyClock = std::chrono::steady_clock;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

// Per checked address (labels `mode`, `address` = "ip:port"): only addresses
// of configured TCP destinations, at most kMaxAddressSeries per forwarder.
#define VIGIE_EGRESS_ADDRESS_METRICS(COUNTER, GAUGE, HISTOGRAM)                               \
  GAUGE(up,                                                                                   \
        "1 while a checked destination address is UP, 0 while DOWN, -1 once it is no longer " \
        "a destination")                                                                      \
  COUNTER(check_failures_total, "Failed active checks, per destination address")

VIGIE_DECLARE_METRICS(AddressMetrics, "vigie_egress_address_", VIGIE_EGRESS_ADDRESS_METRICS);

// A series the registry hides keeps its storage (Registry::Hide), so the
// per-address series a forwarder creates over its life are capped
// (addresses past the cap are checked and logged, but not exported one by
// one).
constexpr size_t kMaxAddressSeries = 1024;

// The check loop and state of one address, created and ended on the control
// thread. Workers see only `up`, through a HealthView, so the timer (of the
// control context) is never destroyed on a worker.
struct CheckedAddress {
  CheckedAddress(asio::io_context& control, CheckKey k, int rise, int fall)
      : key(std::move(k)), state(rise, fall), timer(control) {}
  CheckKey key;
  std::shared_ptr<std::atomic<bool>> up = std::make_shared<std::atomic<bool>>(true);
  std::atomic<bool> stopped{false};
  // Control thread only.
  HealthCounter state;
  std::string names;       // " (api.partner.example)" for name destinations, for logs
  std::string last_error;  // the previous check's failure, empty when it passed
  bool checked = false;    // a check has completed
  asio::steady_timer timer;
  std::shared_ptr<AddressMetrics> m;  // null past kMaxAddressSeries
};

namespace {

// Applies one check result (`error` empty: passed) and logs in the spirit
// of haproxy's `option log-health-checks`: every UP/DOWN transition, and
// every change of the check's outcome (passed, or failed for another
// reason) without one; a repeat of the previous outcome is silent.
void RecordCheck(Shared& s, CheckedAddress& c, ForwardMode mode, const std::string& error) {
  const bool passed = error.empty();
  s.m.health_checks_total.Inc();
  if (!passed && c.m) {
    c.m->check_failures_total.Inc();
  }
  HealthChange change = c.state.Record(passed);
  c.up->store(c.state.up(), std::memory_order_relaxed);
  if (c.m) {
    c.m->up.Set(c.state.up() ? 1 : 0);
  }
  const std::string who = HostPort(c.key.address, c.key.port) + c.names;
  if (change == HealthChange::kWentDown) {
    s.m.health_changes_total.Inc();
    s.log->warn("egress {}: {} is DOWN: {}, status {}", ForwardModeName(mode), who, error,
                c.state.Status());
  } else if (change == HealthChange::kWentUp) {
    s.m.health_changes_total.Inc();
    s.log->info("egress {}: {} is UP: check passed, status {}", ForwardModeName(mode), who,
                c.state.Status());
  } else if (!c.checked || error != c.last_error) {
    s.log->info("egress {}: health check of {} {}, status {}", ForwardModeName(mode), who,
                passed ? std::string("passed") : "failed: " + error, c.state.Status());
  }
  c.checked = true;
  c.last_error = error;
}

// Checks one address until it is stopped, on the control thread: a TCP
// connect (bound to `source` as real connections are) within the check
// timeout, then closed with a reset as haproxy's checks are (no TIME_WAIT
// left per check), every `interval` from the start of the previous check.
// The settings are read from the current snapshot at each check, so a
// reload applies from the next one.
Awaitable<void> RunHealthCheck(std::shared_ptr<CheckedAddress> c, SharedPtr shared) {
  auto ex = co_await asio::this_coro::executor;
  while (!c->stopped.load()) {
    auto snap = shared->snapshot.load();
    const ForwarderConfig& cfg = *snap->config;
    const HealthCheckConfig& hc = cfg.health_check;
    const auto start = SteadyClock::now();
    std::string error;
    tcp::socket socket(ex);
    tcp::endpoint endpoint(net::ToAsio(c->key.address), c->key.port);
    if (auto ec = OpenBound(socket, endpoint.protocol(), cfg)) {
      error = (cfg.source ? "bind " + cfg.source->ToString() + ": " : std::string("socket: ")) +
              ec.message();
    } else {
      c->timer.expires_after(std::chrono::duration_cast<SteadyClock::duration>(
          hc.EffectiveTimeout(cfg.connect_timeout)));
      auto result =
          co_await (socket.async_connect(endpoint, kUseTuple) || c->timer.async_wait(kUseTuple));
      if (c->stopped.load()) {
        co_return;
      }
      auto ec2 = result.index() == 0 ? std::get<0>(std::get<0>(result))
                                     : boost::system::error_code(asio::error::timed_out);
      if (ec2) {
        error = ec2.message();
      }
    }
    boost::system::error_code ignored;
    if (socket.is_open()) {
      socket.set_option(asio::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
    }
    RecordCheck(*shared, *c, cfg.mode, error);
    c->timer.expires_at(start + std::chrono::duration_cast<SteadyClock::duration>(hc.interval));
    co_await c->timer.async_wait(kUseTuple);
  }
}

}  // namespace

void StopCheck(CheckedAddress& c) {
  c.stopped.store(true);
  c.timer.cancel();
  if (c.m) {
    c.m->Hide();  // no longer a destination: its series leave /metrics
  }
}

void SyncChecks(const SharedPtr& shared) {
  Shared& s = *shared;
  auto snap = s.snapshot.load();
  if (!snap || s.stopping.load()) {
    return;
  }
  const ForwarderConfig& cfg = *snap->config;
  const HealthCheckConfig& hc = cfg.health_check;
  std::map<CheckKey, std::set<std::string>> want = WantedChecks(*snap);
  const std::string mode(ForwardModeName(cfg.mode));
  std::map<CheckKey, std::shared_ptr<CheckedAddress>> next;
  HealthView view;
  for (auto& [key, names] : want) {
    std::string label = CheckLabel(names);
    std::shared_ptr<CheckedAddress> c;
    if (auto it = s.checks.find(key); it != s.checks.end()) {
      c = it->second;
      c->state.SetThresholds(hc.rise, hc.fall);
      c->up->store(c->state.up(), std::memory_order_relaxed);
      if (c->m) {
        c->m->up.Set(c->state.up() ? 1 : 0);
      }
    } else {
      c = std::make_shared<CheckedAddress>(s.control, key, hc.rise, hc.fall);
      if (s.address_series.contains(key) || s.address_series.size() < kMaxAddressSeries) {
        // An address that comes back gets its series back, values carried on.
        c->m = std::make_shared<AddressMetrics>(
            s.registry,
            metrics::Labels{{"mode", mode}, {"address", HostPort(key.address, key.port)}});
        s.address_series.insert(key);
      } else if (!s.address_series_capped) {
        s.address_series_capped = true;
        s.log->warn(
            "egress {}: more than {} checked addresses; new ones get no per-address metrics", mode,
            kMaxAddressSeries);
      }
      if (c->m) {
        c->m->up.Set(1);
      }
      asio::co_spawn(s.control, RunHealthCheck(c, shared), Task(s, "health check"));
    }
    c->names = label;
    view.emplace(key, c->up);
    next.emplace(key, std::move(c));
  }
  for (auto& [key, c] : s.checks) {
    if (!next.count(key)) {
      StopCheck(*c);
    }
  }
  s.checks = std::move(next);
  s.health.store(std::make_shared<const HealthView>(std::move(view)));
}

}  // namespace vigie::egress::forward
