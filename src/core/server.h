// `vigie serve`: loads the whole config (core sections and every component
// section), starts the runtime, the admin endpoint and the components, and
// handles signals: SIGHUP and POST /reload re-read and validate everything,
// then swap, keeping the old config on any error; SIGTERM/SIGINT stop
// accepting and drain for the grace period; SIGUSR1 does the same (haproxy's
// soft-stop, sent by a successor that took the listeners over, see
// core/handover.h).
//
// Thread rules: Run() is called from the main thread and returns when the
// server has stopped.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/admin.h"
#include "core/component.h"
#include "core/config.h"
#include "core/log.h"

namespace vigie {

struct RuntimeConfig {
  int workers = 0;                            // 0: one per core
  Duration grace = std::chrono::seconds(10);  // drain time on SIGTERM
  // Who to run as once every listener is bound (core/privileges.h); empty:
  // stay as started. Names or numbers; taken at start only.
  std::string user;
  std::string group;
};

bool ParseValue(const config::Field& f, RuntimeConfig& out);

// The core sections of vigie.yaml.
struct CoreConfig {
  AdminConfig admin;
  log::LogConfig log;
  RuntimeConfig runtime;
};

struct ServeConfig {
  std::string path;  // file path, or "<embedded>"
  std::string hash;  // sha256 of the text, hex
  CoreConfig core;
  // Component name -> parsed section, for the sections present.
  std::map<std::string, std::shared_ptr<const ComponentConfig>> components;
};

// Where the config comes from: a file, or text held in memory, or neither;
// then the overlay (a subcommand's flags) laid over it. Read again on every
// reload, so files the config names (a haproxy.cfg, an ACL file) are re-read.
struct ConfigSource {
  std::string path{};           // a vigie.yaml; empty: `embedded_text`
  std::string embedded_text{};  // the built-in default; with no path and no text, an empty map
  config::Overlay overlay{};
  // What errors and /status call a config that is only an overlay.
  std::string overlay_name = "<flags>";

  // The name diagnostics use: the file, "<embedded>", or `overlay_name`.
  std::string Name() const;
};

// Parses and validates a whole config. Every error goes to `diag`.
std::optional<ServeConfig> LoadServeConfig(const ConfigSource& source,
                                           const std::vector<ComponentSpec>& specs,
                                           config::Diagnostics& diag);

class Server {
 public:
  Server(ConfigSource source, std::vector<ComponentSpec> specs, std::string version);
  ~Server();
  // Called once every component has started and `ready:` is printed (a
  // binary upgrade tells the old process to stop from here).
  void OnReady(std::function<void()> fn);
  // The admin endpoint's bound address (the real port when 0 was asked
  // for), once Run has bound it.
  const Address& admin_address() const;

  // Loads the config, starts everything and serves until stopped. Returns
  // the process exit code (0 after a clean drain, 1 when start-up failed).
  int Run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vigie
