// EventsComponent: starts the event core and the listeners, reloads by
// handing a new config snapshot to both (the index is kept), stops by
// closing listeners and letting connections drain.
#include "events/server/component.h"

#include "core/log.h"
#include "events/server/config.h"
#include "events/server/event_core.h"
#include "events/server/listeners.h"
#include "events/server/tls.h"

namespace vigie::events {
namespace {

class EventsComponent final : public Component {
 public:
  explicit EventsComponent(ServeContext& ctx) : ctx_(ctx) {}

  ~EventsComponent() override {
    // Workers are joined by now; the core thread stops and the snapshot is
    // written by the EventCore destructor.
    listeners_.reset();
    core_.reset();
  }

  Result<void> Start(std::shared_ptr<const ComponentConfig> config) override {
    auto cfg = std::dynamic_pointer_cast<const EventsConfig>(config);
    core_ = std::make_unique<EventCore>(cfg, ctx_.metrics, ctx_.clock);
    VIGIE_TRY(core_->Start());
    shared_ = std::make_shared<SessionShared>();
    shared_->core = core_.get();
    shared_->SetConfig(cfg);
    if (cfg->tls) {
      VIGIE_ASSIGN_OR_RETURN(auto tls, MakeServerTlsContext(*cfg->tls));
      shared_->tls.store(std::move(tls));
    }
    listeners_ = std::make_unique<events::Listeners>(ctx_.runtime, shared_);
    VIGIE_TRY(listeners_->Start(*cfg));
    running_ = cfg;
    return {};
  }

  Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const ComponentConfig> config) override {
    auto cfg = std::dynamic_pointer_cast<const EventsConfig>(config);
    auto tls_listen = [](const EventsConfig& c) {
      return c.tls ? std::optional<Address>(c.tls->listen) : std::nullopt;
    };
    if (cfg->tcp != running_->tcp || cfg->udp != running_->udp || cfg->http != running_->http ||
        cfg->carbon != running_->carbon || cfg->statsd != running_->statsd ||
        tls_listen(*cfg) != tls_listen(*running_)) {
      log::Get("events")->warn("events: listener addresses take effect at the next restart");
    }
    // Certificates are read again (rotation without a restart); files that
    // do not load fail the reload before anything changes.
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (cfg->tls && running_->tls) {
      VIGIE_ASSIGN_OR_RETURN(tls, MakeServerTlsContext(*cfg->tls));
    }
    VIGIE_ASSIGN_OR_RETURN(auto prepared, core_->Prepare(cfg));
    return std::make_unique<PreparedFunctions>([this, cfg, tls, prepared] {
      core_->Commit(prepared);
      if (tls) {
        shared_->tls.store(tls);
      }
      shared_->SetConfig(cfg);
      running_ = cfg;
    });
  }

  void Stop() override {
    shared_->stopping.store(true);
    listeners_->Stop();
    core_->Stop();
  }

  std::vector<std::string> Listeners() const override { return listeners_->Describe(); }

 private:
  ServeContext& ctx_;
  std::shared_ptr<const EventsConfig> running_;
  std::unique_ptr<EventCore> core_;
  std::shared_ptr<SessionShared> shared_;
  std::unique_ptr<events::Listeners> listeners_;
};

}  // namespace

ComponentSpec EventsComponentSpec() {
  ComponentSpec spec;
  spec.name = "events";
  spec.parse = [](const config::Field& f) -> std::shared_ptr<const ComponentConfig> {
    auto cfg = std::make_shared<EventsConfig>();
    if (!ParseValue(f, *cfg)) {
      return nullptr;
    }
    return cfg;
  };
  spec.create = [](ServeContext& ctx) -> std::unique_ptr<Component> {
    return std::make_unique<EventsComponent>(ctx);
  };
  return spec;
}

}  // namespace vigie::events
