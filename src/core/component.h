// The contract between `vigie serve` and a long-lived component (lb, dns,
// events...): how its config section is parsed and validated, how it starts,
// reloads and stops. cli/ registers one ComponentSpec per component; the
// Server drives them.
//
// Thread rules: every method is called on the control thread. A component
// runs its data plane on the runtime's workers and hands them new config as
// immutable snapshots.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/admin.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/runtime.h"

namespace vigie {

// A component's parsed, validated section. Components derive their own.
class ComponentConfig {
 public:
  virtual ~ComponentConfig() = default;
};

// What a component may use while it runs. Outlives every component.
struct ServeContext {
  Runtime& runtime;
  AdminServer& admin;
  metrics::Registry& metrics;
  Clock& clock;
};

// A reload one component has prepared but not applied: everything that can
// fail is done (new ports bound, files read, names resolved, snapshots
// built), nothing that runs has changed. A reload is all-or-nothing across
// components: the Server prepares every component first, then commits them
// all, or drops them all when one fails.
class PreparedReload {
 public:
  // Dropped uncommitted: rolls back what preparing did (closes the ports it
  // bound, hides the metrics it registered).
  virtual ~PreparedReload() = default;
  // Applies the prepared config. Cannot fail; called at most once.
  virtual void Commit() = 0;
};

// A PreparedReload from two functions: `commit` applies, `rollback` runs
// when it is dropped without a commit.
class PreparedFunctions final : public PreparedReload {
 public:
  PreparedFunctions(std::function<void()> commit, std::function<void()> rollback = {})
      : commit_(std::move(commit)), rollback_(std::move(rollback)) {}
  ~PreparedFunctions() override {
    if (!committed_ && rollback_) {
      rollback_();
    }
  }
  void Commit() override {
    committed_ = true;
    commit_();
  }

 private:
  std::function<void()> commit_;
  std::function<void()> rollback_;
  bool committed_ = false;
};

class Component {
 public:
  virtual ~Component() = default;
  // Opens listeners and starts work. An error (e.g. a port in use) aborts
  // start-up with that message.
  [[nodiscard]] virtual Result<void> Start(std::shared_ptr<const ComponentConfig> config) = 0;
  // Prepares a new, already validated config without changing what runs and
  // without dropping work in flight (see PreparedReload). On error nothing
  // has changed.
  [[nodiscard]] virtual Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const ComponentConfig> config) = 0;
  // Stops accepting new work; what is in flight drains on the workers.
  // Cancels every timer it owns so the runtime can go idle.
  virtual void Stop() = 0;
  // "running", "degraded: <why>"...
  virtual std::string State() const { return "running"; }
  // Human lines for start-up output, e.g. "dns udp 127.0.0.1:5353".
  virtual std::vector<std::string> Listeners() const { return {}; }
};

struct ComponentSpec {
  std::string name;  // the YAML section key and the component's name
  // Parses and validates a section, reporting every error into f.diag().
  // Returns nullptr when there were errors.
  std::function<std::shared_ptr<const ComponentConfig>(const config::Field& f)> parse;
  std::function<std::unique_ptr<Component>(ServeContext& ctx)> create;
};

}  // namespace vigie
