// The egress Component: owns the HTTP proxy and the forwarders (DNS proxy,
// userspace redirect) and hands them new settings.
#include "egress/egress.h"

#include <unistd.h>

#include "egress/forward/forwarder.h"
#include "egress/proxy/http_proxy.h"

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX

namespace vigie::egress {
namespace {

class EgressComponent : public Component {
 public:
  explicit EgressComponent(ServeContext& ctx) : ctx_(ctx) {}

  Result<void> Start(std::shared_ptr<const ComponentConfig> config) override {
    auto cfg = std::dynamic_pointer_cast<const EgressConfig>(config);
    if (!cfg)
      return Error(Errc::kInvalidArgument, "egress: unexpected config type");
    if (cfg->http_proxy) {
      proxy_ = std::make_unique<proxy::HttpProxy>(ctx_.runtime, ctx_.metrics);
      VIGIE_TRY(
          proxy_->Start(std::shared_ptr<const proxy::HttpProxyConfig>(cfg, &*cfg->http_proxy)));
    }
    if (cfg->dns_proxy) {
      dns_proxy_ = std::make_unique<forward::Forwarder>(ctx_.runtime, ctx_.metrics,
                                                        forward::ForwardMode::kDnsProxy);
      VIGIE_TRY(dns_proxy_->Start(
          std::shared_ptr<const forward::ForwarderConfig>(cfg, &*cfg->dns_proxy)));
    }
    if (cfg->redirect) {
      redirect_ = std::make_unique<forward::Forwarder>(ctx_.runtime, ctx_.metrics,
                                                       forward::ForwardMode::kRedirect);
      VIGIE_TRY(
          redirect_->Start(std::shared_ptr<const forward::ForwarderConfig>(cfg, &*cfg->redirect)));
    }
    config_ = cfg;
    return {};
  }

  Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const ComponentConfig> config) override {
    auto cfg = std::dynamic_pointer_cast<const EgressConfig>(config);
    if (!cfg)
      return Error(Errc::kInvalidArgument, "egress: unexpected config type");
    if (cfg->http_proxy.has_value() != (proxy_ != nullptr))
      return Error(Errc::kUnsupported, "egress.http_proxy added or removed: restart to apply");
    if (cfg->dns_proxy.has_value() != (dns_proxy_ != nullptr))
      return Error(Errc::kUnsupported, "egress.dns_proxy added or removed: restart to apply");
    if (cfg->redirect.has_value() != (redirect_ != nullptr))
      return Error(Errc::kUnsupported, "egress.redirect added or removed: restart to apply");
    // Each part prepares; the first error drops (rolls back) those prepared.
    auto parts = std::make_shared<std::vector<std::unique_ptr<PreparedReload>>>();
    if (dns_proxy_) {
      VIGIE_ASSIGN_OR_RETURN(
          auto p, dns_proxy_->PrepareReload(
                      std::shared_ptr<const forward::ForwarderConfig>(cfg, &*cfg->dns_proxy)));
      parts->push_back(std::move(p));
    }
    if (redirect_) {
      VIGIE_ASSIGN_OR_RETURN(
          auto p, redirect_->PrepareReload(
                      std::shared_ptr<const forward::ForwarderConfig>(cfg, &*cfg->redirect)));
      parts->push_back(std::move(p));
    }
    if (proxy_) {
      VIGIE_ASSIGN_OR_RETURN(
          auto p, proxy_->PrepareReload(
                      std::shared_ptr<const proxy::HttpProxyConfig>(cfg, &*cfg->http_proxy)));
      parts->push_back(std::move(p));
    }
    return std::make_unique<PreparedFunctions>([this, cfg, parts] {
      for (auto& p : *parts) {
        p->Commit();
      }
      config_ = cfg;
    });
  }

  void Stop() override {
    if (proxy_)
      proxy_->Stop();
    if (dns_proxy_)
      dns_proxy_->Stop();
    if (redirect_)
      redirect_->Stop();
  }

  std::vector<std::string> Listeners() const override {
    std::vector<std::string> out;
    if (proxy_)
      out.push_back("egress-http " + proxy_->bound().ToString());
    for (const auto* f : {dns_proxy_.get(), redirect_.get()}) {
      if (f == nullptr)
        continue;
      auto lines = f->Listeners();
      out.insert(out.end(), lines.begin(), lines.end());
    }
    return out;
  }

 private:
  ServeContext& ctx_;
  std::shared_ptr<const EgressConfig> config_;
  std::unique_ptr<proxy::HttpProxy> proxy_;
  std::unique_ptr<forward::Forwarder> dns_proxy_;
  std::unique_ptr<forward::Forwarder> redirect_;
};

}  // namespace

bool ParseValue(const config::Field& f, EgressConfig& out) {
  auto m = f.AsMap();
  m.Optional("http_proxy", out.http_proxy);
  m.Optional("dns_proxy", out.dns_proxy, forward::ForwardMode::kDnsProxy);
  m.Optional("redirect", out.redirect, forward::ForwardMode::kRedirect);
  m.Finish();
  return m.ok();
}

ComponentSpec EgressComponentSpec() {
  ComponentSpec spec;
  spec.name = "egress";
  spec.parse = [](const config::Field& f) -> std::shared_ptr<const ComponentConfig> {
    auto cfg = std::make_shared<EgressConfig>();
    if (!ParseValue(f, *cfg))
      return nullptr;
    return cfg;
  };
  spec.create = [](ServeContext& ctx) -> std::unique_ptr<Component> {
    return std::make_unique<EgressComponent>(ctx);
  };
  return spec;
}

Result<proxy::HttpProxyConfig> HttpProxyConfigFromEnvironment(const Environment& env) {
  proxy::HttpProxyConfig cfg;
  VIGIE_ASSIGN_OR_RETURN(cfg.spec, ParseHttpProxyEnvironment(env));
  if (auto it = env.find("EGRESS_HTTP_PROXY_DESTINATION"); it != env.end())
    cfg.destination = it->second;
  return cfg;
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos)
      continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace vigie::egress
