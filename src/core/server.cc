// `vigie serve`: start-up, reload and drain.
#include "core/server.h"

#include <cstdio>

#include <boost/asio/signal_set.hpp>
#include <linux/capability.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <unistd.h>

#include "core/handover.h"
#include "core/notify.h"
#include "core/privileges.h"
#include "core/runtime.h"
#include "core/task.h"
#include "core/watchdog.h"

namespace vigie {
namespace {

using json = nlohmann::json;
namespace asio = net::asio;

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

bool ParseValue(const config::Field& f, RuntimeConfig& out) {
  auto m = f.AsMap();
  if (auto w = m.Get("workers")) {
    int64_t v = 0;
    if (config::ParseInRange(*w, v, 0, 256)) {
      out.workers = static_cast<int>(v);
    }
  }
  m.Optional("grace", out.grace, BareUnit::kSeconds);
  m.Optional("user", out.user);
  m.Optional("group", out.group);
  // Each is looked up on its own, so an error names its own field.
  if (auto field = m.Get("user"); field && !out.user.empty()) {
    if (auto c = LookUpCredentials(out.user, ""); !c) {
      field->Fail(c.error().context());
    }
  }
  if (auto field = m.Get("group"); field && !out.group.empty()) {
    if (auto c = LookUpCredentials("", out.group); !c) {
      field->Fail(c.error().context());
    }
  }
  m.Finish();
  return m.ok();
}

std::string ConfigSource::Name() const {
  if (!path.empty()) {
    return path;
  }
  return embedded_text.empty() ? overlay_name : "<embedded>";
}

std::optional<ServeConfig> LoadServeConfig(const ConfigSource& source,
                                           const std::vector<ComponentSpec>& specs,
                                           config::Diagnostics& diag) {
  std::optional<config::Document> doc;
  if (!source.path.empty()) {
    doc = config::LoadFile(source.path, diag);
  } else if (!source.embedded_text.empty()) {
    doc = config::LoadText("<embedded>", source.embedded_text, diag);
  } else {
    doc = config::Document{source.overlay_name, "", {}};
  }
  if (!doc) {
    return std::nullopt;
  }
  if (!source.overlay.empty()) {
    config::ApplyOverlay(source.overlay, doc->root);
    diag.SetOrigins(source.overlay.Origins());
  }
  ServeConfig out;
  out.path = doc->path;
  out.hash = Sha256Hex(doc->text + source.overlay.ToString());
  config::Field root(doc->root, "", diag);
  {
    auto m = root.AsMap();
    m.Optional("admin", out.core.admin);
    m.Optional("log", out.core.log);
    m.Optional("runtime", out.core.runtime);
    for (const auto& spec : specs) {
      if (auto section = m.Get(spec.name)) {
        auto parsed = spec.parse(*section);
        if (parsed) {
          out.components[spec.name] = std::move(parsed);
        }
      } else if (m.Has(spec.name)) {
        // "dns:" with nothing under it: the component with all defaults.
        config::Value empty;
        empty.mark = root.value().Find(spec.name)->mark;
        auto parsed = spec.parse(config::Field(empty, spec.name, diag));
        if (parsed) {
          out.components[spec.name] = std::move(parsed);
        }
      }
    }
    m.Finish();
  }
  if (!diag.empty()) {
    return std::nullopt;
  }
  return out;
}

struct Server::State {
  ConfigSource source;
  std::vector<ComponentSpec> specs;
  std::string version;
  std::function<void()> on_ready;
  std::shared_ptr<spdlog::logger> logger = log::Get("serve");
  metrics::Registry registry;
  std::optional<ServeConfig> config;
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<AdminServer> admin;
  std::unique_ptr<ServeContext> context;
  std::map<std::string, std::unique_ptr<Component>> components;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool stopping = false;
  Address admin_address;
  std::unique_ptr<asio::steady_timer> drain_poll;
  std::unique_ptr<asio::steady_timer> grace_timer;
  std::unique_ptr<asio::signal_set> signals;
  ServiceNotifier notifier;
  std::unique_ptr<WorkerWatchdog> watchdog;
  metrics::Counter* reloads_ok = nullptr;
  metrics::Counter* reloads_failed = nullptr;

  const ComponentSpec* Spec(const std::string& name) const {
    for (const auto& s : specs) {
      if (s.name == name) {
        return &s;
      }
    }
    return nullptr;
  }

  // Tells systemd (Type=notify), when it is listening. A failure is logged
  // and otherwise ignored: the service manager going away is not a reason
  // to stop serving.
  void Notify(std::string_view state) {
    if (auto r = notifier.Send(state); !r) {
      logger->warn("sd_notify: {}", r.error().ToString());
    }
  }

  // Reload() between RELOADING=1 and READY=1, as a Type=notify unit's
  // ExecReload expects; STATUS= carries the outcome.
  std::string ReloadNotifying() {
    Notify("RELOADING=1");
    std::string errors = Reload();
    std::string status = errors.empty() ? "serving " + config->path
                                        : "reload refused, serving the previous config: " +
                                              errors.substr(0, errors.find('\n'));
    Notify("READY=1\nSTATUS=" + status);
    return errors;
  }

  // Validates the new config in full, then applies it. Returns the errors.
  std::string Reload() {
    config::Diagnostics diag(source.Name());
    auto next = LoadServeConfig(source, specs, diag);
    if (!next) {
      reloads_failed->Inc();
      std::string errors = diag.ToString();
      logger->error("reload refused, still running the previous config:\n{}", errors);
      return errors;
    }
    if (next->core.admin.listen != config->core.admin.listen ||
        next->core.runtime.workers != config->core.runtime.workers ||
        next->core.runtime.user != config->core.runtime.user ||
        next->core.runtime.group != config->core.runtime.group) {
      logger->warn(
          "admin.listen, runtime.workers, runtime.user and runtime.group take effect at the "
          "next restart");
    }
    // All or nothing: every component prepares (new components start),
    // and only when all succeeded do they commit; otherwise the prepared
    // ones are dropped (rolled back), new ones stopped, and everything runs
    // the previous config, which /status keeps reporting.
    std::string errors;
    std::vector<std::unique_ptr<PreparedReload>> prepared;
    std::map<std::string, std::unique_ptr<Component>> added;
    for (const auto& [name, cfg] : next->components) {
      auto existing = components.find(name);
      if (existing == components.end()) {
        auto component = Spec(name)->create(*context);
        auto started_ok = component->Start(cfg);
        if (!started_ok) {
          errors += name + ": " + started_ok.error().ToString() + "\n";
          break;
        }
        added.emplace(name, std::move(component));
        continue;
      }
      auto p = existing->second->PrepareReload(cfg);
      if (!p) {
        errors += name + ": " + p.error().ToString() + "\n";
        break;
      }
      prepared.push_back(std::move(*p));
    }
    if (!errors.empty()) {
      prepared.clear();
      for (auto& [name, c] : added) {
        c->Stop();
      }
      reloads_failed->Inc();
      logger->error("reload refused, still running the previous config:\n{}", errors);
      return errors;
    }
    log::Configure(next->core.log);
    for (auto& p : prepared) {
      p->Commit();
    }
    // Components removed from the config stop; new ones join.
    for (auto it = components.begin(); it != components.end();) {
      if (!next->components.contains(it->first)) {
        logger->info("{}: removed from the config, stopping", it->first);
        it->second->Stop();
        it = components.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [name, c] : added) {
      components.emplace(name, std::move(c));
    }
    config = std::move(next);
    reloads_ok->Inc();
    logger->info("reloaded {} (sha256 {})", config->path, config->hash.substr(0, 12));
    return {};
  }

  void BeginShutdown(int signal_number) {
    if (stopping) {
      logger->warn("second signal: stopping now");
      Finish();
      return;
    }
    stopping = true;
    logger->info("signal {}: no longer accepting; draining for up to {}", signal_number,
                 FormatDuration(config->core.runtime.grace));
    Notify("STOPPING=1\nSTATUS=draining");
    if (watchdog) {
      watchdog->Draining();
    }
    admin->Stop();
    for (auto& [name, c] : components) {
      c->Stop();
    }
    runtime->ReleaseWorkers();
    grace_timer = std::make_unique<asio::steady_timer>(runtime->control());
    grace_timer->expires_after(config->core.runtime.grace);
    grace_timer->async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        logger->warn("grace period over with work still in flight; stopping now");
        Finish();
      }
    });
    PollDrain();
  }

  void PollDrain() {
    if (runtime->WorkersIdle() && admin->active_sessions() == 0) {
      logger->info("drained");
      Finish();
      return;
    }
    drain_poll = std::make_unique<asio::steady_timer>(runtime->control());
    drain_poll->expires_after(std::chrono::milliseconds(20));
    drain_poll->async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        PollDrain();
      }
    });
  }

  void Finish() {
    runtime->StopWorkers();
    runtime->control().stop();
  }

  std::string StatusJson() const {
    json j;
    j["version"] = version;
    j["uptime_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    j["config"] = {{"path", config->path}, {"sha256", config->hash}};
    j["admin"] = admin_address.ToString();
    j["workers"] = runtime->worker_count();
    j["state"] = stopping ? "stopping" : "running";
    json comps = json::object();
    for (const auto& [name, c] : components) {
      comps[name] = {{"state", c->State()}, {"listeners", c->Listeners()}};
    }
    j["components"] = comps;
    return j.dump(2) + "\n";
  }

  void AddCoreRoutes() {
    admin->AddRoute("/healthz", [this](const AdminRequest&) {
      if (stopping) {
        return AdminResponse{503, "text/plain; charset=utf-8", "stopping\n"};
      }
      return AdminResponse{200, "text/plain; charset=utf-8", "ok\n"};
    });
    admin->AddRoute("/metrics", [this](const AdminRequest&) {
      return AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                           registry.RenderPrometheus()};
    });
    admin->AddRoute("/status", [this](const AdminRequest&) {
      return AdminResponse{200, "application/json", StatusJson()};
    });
    admin->AddRoute("/reload", [this](const AdminRequest& req) {
      if (req.method != "POST") {
        return AdminResponse{405, "text/plain; charset=utf-8", "use POST\n"};
      }
      if (stopping) {
        return AdminResponse{503, "text/plain; charset=utf-8", "stopping: reload ignored\n"};
      }
      std::string errors = ReloadNotifying();
      if (!errors.empty()) {
        return AdminResponse{400, "text/plain; charset=utf-8", errors};
      }
      return AdminResponse{200, "text/plain; charset=utf-8",
                           "reloaded " + config->path + " sha256 " + config->hash + "\n"};
    });
  }
};

Server::Server(ConfigSource source, std::vector<ComponentSpec> specs, std::string version)
    : state_(std::make_unique<State>()) {
  state_->source = std::move(source);
  state_->specs = std::move(specs);
  state_->version = std::move(version);
}

Server::~Server() = default;

const Address& Server::admin_address() const {
  return state_->admin_address;
}

void Server::OnReady(std::function<void()> fn) {
  state_->on_ready = std::move(fn);
}

int Server::Run() {
  State& s = *state_;
  s.notifier = ServiceNotifier::FromEnvironment();
  config::Diagnostics diag(s.source.Name());
  s.config = LoadServeConfig(s.source, s.specs, diag);
  if (!s.config) {
    std::fputs(diag.ToString().c_str(), stderr);
    return 1;
  }
  log::Configure(s.config->core.log);
  s.runtime = std::make_unique<Runtime>(s.config->core.runtime.workers);
  s.admin = std::make_unique<AdminServer>(s.runtime->control(), s.registry);
  s.context = std::make_unique<ServeContext>(
      ServeContext{*s.runtime, *s.admin, s.registry, SystemClock::Get()});
  s.reloads_ok = &s.registry.AddCounter("vigie_reloads_total", "Successful config reloads");
  s.reloads_failed = &s.registry.AddCounter("vigie_reload_failures_total",
                                            "Reloads refused (the previous config kept running)");
  s.registry.AddGaugeFunction(
      "vigie_uptime_seconds", "Seconds since start", {}, [start = s.started] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      });
  s.registry.AddCounterFunction(
      "vigie_task_failures_total",
      "Exceptions that escaped a spawned coroutine (each is logged as '<task> failed')", {},
      [] { return static_cast<double>(net::TaskFailures()); });
  s.registry
      .AddGauge("vigie_build_info", "Always 1; labels carry the version", {{"version", s.version}})
      .Set(1);
  s.AddCoreRoutes();

  auto admin_address = s.admin->Listen(s.config->core.admin);
  if (!admin_address) {
    s.logger->error("admin endpoint: {}", admin_address.error().ToString());
    return 1;
  }
  s.admin_address = *admin_address;
  s.runtime->StartWorkers();
  std::vector<std::string> listeners = {"admin http://" + s.admin_address.ToString()};
  for (const auto& [name, cfg] : s.config->components) {
    auto component = s.Spec(name)->create(*s.context);
    auto started = component->Start(cfg);
    if (!started) {
      s.logger->error("{}: {}", name, started.error().ToString());
      for (auto& [n, c] : s.components) {
        c->Stop();
      }
      s.runtime->StopWorkers();
      return 1;
    }
    for (const auto& l : component->Listeners()) {
      listeners.push_back(l);
    }
    s.components.emplace(name, std::move(component));
  }
  // Every listener is bound: drop root now if asked (runtime.user/group).
  if (!s.config->core.runtime.user.empty() || !s.config->core.runtime.group.empty()) {
    auto to = LookUpCredentials(s.config->core.runtime.user, s.config->core.runtime.group);
    // CAP_NET_BIND_SERVICE stays: a reload may bind a new port below 1024.
    static constexpr int kKeep[] = {CAP_NET_BIND_SERVICE};
    auto dropped = to ? DropPrivileges(*to, kKeep) : Result<void>(to.error());
    if (!dropped) {
      s.logger->error("runtime.user/group: {}", dropped.error().ToString());
      for (auto& [n, c] : s.components) {
        c->Stop();
      }
      s.runtime->StopWorkers();
      return 1;
    }
    s.logger->info("running as {} (uid {}, gid {})", to->text, to->uid, to->gid);
  }
  // Signals are caught from here on, before "ready" is printed: a SIGHUP
  // sent as soon as a script sees "ready" must reload, not kill (the
  // default action). Until here (components starting) they keep their
  // default action, so a stuck start can still be interrupted.
  s.signals = std::make_unique<asio::signal_set>(s.runtime->control(), SIGHUP, SIGTERM, SIGINT);
  s.signals->add(SIGUSR1);
  std::function<void()> wait_signal = [&s, &wait_signal] {
    s.signals->async_wait([&s, &wait_signal](boost::system::error_code ec, int signo) {
      if (ec) {
        return;
      }
      if (signo == SIGHUP && s.stopping) {
        // A drain is under way: the config it drains with stays.
        s.logger->warn("SIGHUP while draining: ignored");
      } else if (signo == SIGHUP) {
        s.logger->info("SIGHUP: reloading {}", s.config->path);
        s.ReloadNotifying();
      } else {
        s.BeginShutdown(signo);
      }
      wait_signal();
    });
  };
  wait_signal();
  // Listeners go to stdout, one per line, so scripts and tests can read the
  // ports that were bound (port 0 in a config means "any free port").
  for (const auto& l : listeners) {
    std::printf("listening: %s\n", l.c_str());
  }
  if (size_t n = net::CloseUnclaimedInherited(); n > 0) {
    s.logger->info("closed {} inherited listening sockets no longer in the config", n);
  }
  std::printf("ready: vigie %s, config %s\n", s.version.c_str(), s.config->path.c_str());
  std::fflush(stdout);
  if (s.on_ready) {
    s.on_ready();
  }
  s.logger->info("vigie {} serving {} with {} workers", s.version, s.config->path,
                 s.runtime->worker_count());
  s.Notify("READY=1\nSTATUS=serving " + s.config->path + "\nMAINPID=" + std::to_string(::getpid()));
  if (auto interval = s.notifier.watchdog_interval()) {
    s.watchdog = std::make_unique<WorkerWatchdog>(
        *s.runtime, *interval, [&s] { s.Notify("WATCHDOG=1"); },
        [&s](std::size_t worker) {
          s.logger->error(
              "watchdog: worker {} has not run its queue for {}; withholding "
              "WATCHDOG=1",
              worker,
              FormatDuration(
                  std::chrono::duration_cast<Duration>(*s.notifier.watchdog_interval() / 2)));
        });
    s.watchdog->Start();
  }

  s.runtime->control().run();
  s.runtime->JoinWorkers();
  s.components.clear();
  s.logger->info("stopped");
  return 0;
}

}  // namespace vigie
