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

class Component {
 public:
  virtual ~Component() = default;
  // Opens listeners and starts work. An error (e.g. a port in use) aborts
  // start-up with that message.
  [[nodiscard]] virtual Result<void> Start(std::shared_ptr<const ComponentConfig> config) = 0;
  // Applies a new, already validated config without dropping work in flight.
  // On error the component keeps running its old config.
  [[nodiscard]] virtual Result<void> Reload(std::shared_ptr<const ComponentConfig> config) = 0;
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
