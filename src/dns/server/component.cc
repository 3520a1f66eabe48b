// The dns component: Start (workers, listeners, admin routes, metrics),
// Reload, Stop, and the list refresher thread.
#include "dns/server/component.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/net.h"
#include "core/text.h"
#include "dns/server/answer.h"
#include "dns/server/dot_client.h"
#include "dns/server/list_store.h"
#include "dns/server/listeners.h"
#include "dns/server/worker.h"
#include "dns/stats/top_names.h"

namespace vigie::dns {
namespace {

namespace asio = net::asio;
using net::tcp;

// The `n` most blocked names over the workers' summaries, largest first;
// *total (when given) gets the number of blocked queries counted.
std::vector<TopEntry> MergedTop(const std::vector<std::shared_ptr<Worker>>& workers, size_t n,
                                uint64_t* total) {
  if (n == 0) {
    return {};
  }
  std::vector<std::vector<TopEntry>> parts;
  for (const auto& w : workers) {
    std::lock_guard lock(w->top_mu);
    parts.push_back(w->top->entries());
    if (total != nullptr) {
      *total += w->top->total();
    }
  }
  return MergeTop(parts, n);
}

class DnsComponent final : public Component {
 public:
  explicit DnsComponent(ServeContext& ctx) : ctx_(ctx) {}
  ~DnsComponent() override { StopRefresher(); }

  Result<void> Start(std::shared_ptr<const ComponentConfig> base) override {
    auto config = std::static_pointer_cast<const DnsConfig>(base);
    auto contexts = ctx_.runtime.workers();
    shared_ = std::make_shared<Shared>(ctx_.metrics, *config, contexts.size());
    shared_->query_log.Configure(config->query_log);
    shared_->query_log.Start();
    ctx_.metrics.AddGaugeFunction("vigie_dns_ratelimit_clients",
                                  "Client prefixes tracked by the rate limiter", {},
                                  [s = shared_] { return static_cast<double>(s->limiter.size()); });
    ctx_.metrics.AddGaugeFunction(
        "vigie_dns_cache_entries", "Entries in the answer cache", {},
        [s = shared_] { return static_cast<double>(s->cache.stats().entries); });
    ctx_.metrics.AddGaugeFunction(
        "vigie_dns_cache_bytes", "Octets held by the answer cache", {},
        [s = shared_] { return static_cast<double>(s->cache.stats().bytes); });
    config_ = config;
    top_metrics_->store(config->top_blocked_metrics, std::memory_order_relaxed);
    BuiltPolicy built = store_.Build(*config);
    Snapshot snap{config, built.policy};
    Record(built);
    for (auto* c : contexts) {
      auto w = std::make_shared<Worker>();
      w->ctx = c;
      w->index = workers_.size();
      w->top = std::make_unique<TopNames>(config->top_names);
      w->shared_owner = shared_;
      w->shared = shared_.get();
      w->snap = snap;
      w->tcp_limit->set_limit(config->max_tcp_connections);
      workers_.push_back(std::move(w));
    }
    for (size_t li = 0; li < config->listen.size(); ++li) {
      VIGIE_ASSIGN_OR_RETURN(const Address bound,
                             OpenListener(contexts, config->listen[li], workers_));
      const std::string suffix = li == 0 ? "" : "-" + std::to_string(li);
      listeners_.push_back("dns-udp" + suffix + " " + bound.ToString());
      listeners_.push_back("dns-tcp" + suffix + " " + bound.ToString());
    }
    {
      std::lock_guard lock(mu_);
      current_ = snap;
    }
    for (auto& w : workers_) {
      ServeListeners(w);
    }
    ctx_.admin.AddRoute("/dns/why", [this](const AdminRequest& req) { return Why(req); });
    ctx_.admin.AddRoute("/dns/lists", [this](const AdminRequest&) { return Lists(); });
    ctx_.admin.AddRoute("/dns/top", [this](const AdminRequest& req) { return Top(req); });
    // Computed at each scrape from the workers' summaries; the workers are
    // held by value so the function stays valid whatever the component does.
    ctx_.metrics.AddGaugeFamilyFunction(
        "vigie_dns_top_blocked_queries",
        "Blocked queries of the most blocked names since start (upper bounds)",
        [workers = workers_, n = top_metrics_] {
          std::vector<std::pair<metrics::Labels, double>> out;
          for (const TopEntry& e :
               MergedTop(workers, n->load(std::memory_order_relaxed), nullptr)) {
            out.push_back({{{"name", e.name}}, static_cast<double>(e.count)});
          }
          return out;
        });
    refresher_ = std::thread([this] { RefreshLoop(); });
    return {};
  }

  // Nothing in a dns reload can fail (a list that does not load keeps its
  // last good copy), so preparing only warns.
  Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const ComponentConfig> base) override {
    auto config = std::static_pointer_cast<const DnsConfig>(base);
    if (config->listen != config_->listen) {
      shared_->logger->warn("dns.listen changes take effect at the next restart");
    }
    return std::make_unique<PreparedFunctions>([this, config] { Apply(config); });
  }

  void Apply(std::shared_ptr<const DnsConfig> config) {
    Snapshot snap;
    {
      std::lock_guard lock(mu_);
      snap = Snapshot{config, current_.policy};
    }
    shared_->limiter.Reconfigure(config->rate_limit);
    top_metrics_->store(config->top_blocked_metrics, std::memory_order_relaxed);
    // Reopens the file too: SIGHUP after logrotate moved it.
    shared_->query_log.Configure(config->query_log);
    Publish(snap);
    {
      std::lock_guard lock(refresh_mu_);
      config_ = config;
      refresh_now_ = true;
    }
    refresh_cv_.notify_all();
  }

  void Stop() override {
    ctx_.admin.RemoveRoute("/dns/why");
    ctx_.admin.RemoveRoute("/dns/lists");
    ctx_.admin.RemoveRoute("/dns/top");
    StopRefresher();
    shared_->query_log.Stop();
    for (auto& w : workers_) {
      asio::post(*w->ctx, [w] {
        StopListeners(*w);
        // DNS-over-TLS upstream connections end once their queries are answered.
        for (auto& [key, c] : w->dot) {
          DrainDot(*c);
        }
      });
    }
  }

  std::string State() const override {
    std::lock_guard lock(mu_);
    for (const auto& l : lists_) {
      if (!l.ok) {
        return "degraded: list " + l.id + ": " + l.message;
      }
    }
    return "running";
  }

  std::vector<std::string> Listeners() const override { return listeners_; }

 private:
  void Publish(const Snapshot& snap) {
    {
      std::lock_guard lock(mu_);
      current_ = snap;
    }
    for (auto& w : workers_) {
      asio::post(*w->ctx, [w, snap] {
        w->tcp_limit->set_limit(snap.config->max_tcp_connections);
        w->snap = snap;
      });
    }
  }

  void Record(const BuiltPolicy& built) {
    DnsMetrics& m = shared_->m;
    m.list_refreshes_total.Inc();
    m.blocklist_names.Set(static_cast<int64_t>(built.policy->blocked().size()));
    m.allowlist_names.Set(static_cast<int64_t>(built.policy->allowed().size()));
    m.policy_bytes.Set(static_cast<int64_t>(built.policy->MemoryBytes()));
    m.list_build_seconds.Observe(static_cast<double>(built.build_time.count()) / 1000.0);
    bool all_ok = true;
    for (const auto& l : built.lists) {
      all_ok = all_ok && l.ok;
      ctx_.metrics.AddGauge("vigie_dns_list_rules", "Rules loaded from each list", {{"list", l.id}})
          .Set(l.rules);
      ctx_.metrics.AddGauge("vigie_dns_list_errors", "Bad lines in each list", {{"list", l.id}})
          .Set(l.errors);
      ctx_.metrics
          .AddGauge("vigie_dns_list_ok", "1 when the list was read fresh at the last refresh",
                    {{"list", l.id}})
          .Set(l.ok ? 1 : 0);
      if (l.ok) {
        shared_->logger->info("list {} ({}): {}, {} rules, {} bad lines", l.id, l.source, l.message,
                              l.rules, l.errors);
      } else {
        shared_->logger->warn("list {} ({}): {}", l.id, l.source, l.message);
      }
    }
    m.last_refresh_ok.Set(all_ok ? 1 : 0);
    m.last_refresh_timestamp_seconds.Set(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    std::lock_guard lock(mu_);
    lists_ = built.lists;
  }

  void RefreshLoop() {
    std::unique_lock lock(refresh_mu_);
    while (!stop_) {
      const auto interval = config_->refresh;
      refresh_cv_.wait_for(lock, interval, [this] { return stop_ || refresh_now_; });
      if (stop_) {
        break;
      }
      refresh_now_ = false;
      auto config = config_;
      lock.unlock();
      BuiltPolicy built = store_.Build(*config);
      Record(built);
      lock.lock();
      // A reload may have come in meanwhile: pair the lists with the newest
      // config (its own rebuild follows at once, refresh_now_ being set).
      Publish(Snapshot{config_, built.policy});
    }
  }

  void StopRefresher() {
    {
      std::lock_guard lock(refresh_mu_);
      stop_ = true;
    }
    refresh_cv_.notify_all();
    if (refresher_.joinable()) {
      refresher_.join();
    }
  }

  AdminResponse Why(const AdminRequest& req) {
    const std::string name = req.Param("name");
    AdminResponse res;
    if (name.empty()) {
      res.status = 400;
      res.body = "usage: /dns/why?name=NAME\n";
      return res;
    }
    Snapshot snap;
    {
      std::lock_guard lock(mu_);
      snap = current_;
    }
    const Decision d = snap.policy->Decide(name);
    res.body = snap.policy->Explain(name, d) + "\n";
    return res;
  }

  // The most blocked names since start, merged over the workers, as JSON:
  // {"total":N,"names":[{"name":…,"count":…,"error":…},…]}.
  AdminResponse Top(const AdminRequest& req) {
    AdminResponse res;
    size_t n = 20;
    if (const std::string p = req.Param("n"); !p.empty()) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(p.c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || v == 0 || v > 10000) {
        res.status = 400;
        res.body = "usage: /dns/top?n=N (1..10000)\n";
        return res;
      }
      n = v;
    }
    uint64_t total = 0;
    const std::vector<TopEntry> top = MergedTop(workers_, n, &total);
    res.content_type = "application/json";
    res.body = "{\"total\":" + std::to_string(total) + ",\"names\":[";
    for (size_t i = 0; i < top.size(); ++i) {
      std::string name_json;
      AppendJsonString(top[i].name, name_json, JsonBytes::kOctets);
      res.body += (i == 0 ? "" : ",") + std::string("{\"name\":") + name_json +
                  ",\"count\":" + std::to_string(top[i].count) +
                  ",\"error\":" + std::to_string(top[i].error) + "}";
    }
    res.body += "]}\n";
    return res;
  }

  AdminResponse Lists() {
    AdminResponse res;
    std::lock_guard lock(mu_);
    for (const auto& l : lists_) {
      res.body += l.kind + " " + l.id + " " + l.source + ": " + l.message + ", " +
                  std::to_string(l.rules) + " rules, " + std::to_string(l.errors) + " bad lines\n";
      for (const auto& issue : l.issues) {
        res.body += "  line " + std::to_string(issue.line) + ": " + issue.reason + ": " +
                    issue.excerpt + "\n";
      }
    }
    return res;
  }

  ServeContext& ctx_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<Worker>> workers_;
  std::vector<std::string> listeners_;
  ListStore store_;
  // dns.top_blocked_metrics, shared with the /metrics family function.
  std::shared_ptr<std::atomic<uint32_t>> top_metrics_ = std::make_shared<std::atomic<uint32_t>>(0);

  mutable std::mutex mu_;  // current_, lists_
  Snapshot current_;
  std::vector<ListStatus> lists_;

  std::mutex refresh_mu_;  // config_, stop_, refresh_now_
  std::condition_variable refresh_cv_;
  std::shared_ptr<const DnsConfig> config_;
  bool stop_ = false;
  bool refresh_now_ = false;
  std::thread refresher_;
};

}  // namespace

ComponentSpec DnsComponentSpec() {
  ComponentSpec spec;
  spec.name = "dns";
  spec.parse = [](const config::Field& f) -> std::shared_ptr<const ComponentConfig> {
    auto c = std::make_shared<DnsConfig>();
    if (!ParseValue(f, *c)) {
      return nullptr;
    }
    return c;
  };
  spec.create = [](ServeContext& ctx) -> std::unique_ptr<Component> {
    return std::make_unique<DnsComponent>(ctx);
  };
  return spec;
}

}  // namespace vigie::dns
