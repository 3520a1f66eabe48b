// What subcommands share: the flags of every long-running one (-c, --admin,
// -j/--workers, --log-level, --log-format), declared once; how a subcommand
// turns its flags into the config it serves (a config::Overlay of config
// paths, read by the component's own parser, so a flag is validated exactly
// as the vigie.yaml key it stands for and its errors name the flag); and a
// request to a running vigie's admin endpoint.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/admin.h"
#include "core/server.h"

namespace vigie::cli {

struct ServeFlags {
  std::string config{};      // -c: a vigie.yaml; empty: the subcommand's flags alone
  std::string admin{};       // --admin; empty: not given
  int workers = -1;          // -j/--workers; -1: not given
  std::string log_level{};   // --log-level; empty: not given
  std::string log_format{};  // --log-format; empty: not given
};

struct ServeFlagsSpec {
  // -c's help; empty: the subcommand takes no vigie.yaml.
  std::string config_help = "vigie.yaml to serve (the flags below override it)";
  // The admin endpoint without -c and --admin. Standalone subcommands take
  // a free loopback port and record it (cli/instances.h), so that several
  // run side by side.
  std::string admin_default = "127.0.0.1:0";
  // The config without -c (`vigie serve`'s built-in one); empty: the
  // subcommand's flags alone.
  std::string default_config{};
};

// Declares the shared flags on `cmd`. Returns the -c option (nullptr when the
// spec has no config_help), so flags that only make sense without a file can
// exclude it.
CLI::Option* AddServeFlags(CLI::App& cmd, ServeFlags& flags, const ServeFlagsSpec& spec);

// The config a subcommand serves: the -c file, else nothing, with the shared
// flags that were given (and, without -c, the admin default) and then
// `component` (the subcommand's own flags) overlaid.
ConfigSource ServeSource(const ServeFlags& flags, const ServeFlagsSpec& spec,
                         config::Overlay component = {});

// Runs the same Server as `vigie serve` until it stops; returns the exit code.
// `on_ready` runs once every component has started. A standalone subcommand
// names itself in `instance` ("lb"): its admin address is recorded for the
// commands that look for it (cli/instances.h) while it runs.
int Serve(const ConfigSource& source, std::vector<ComponentSpec> specs,
          const std::function<void()>& on_ready = {}, std::string_view instance = {});

// GETs `target` ("/dns/top?n=20") from the admin endpoint at `admin`
// (host:port or a unix path). Returns nullopt, with the reason on stderr
// prefixed by `who`, when the address is bad or the endpoint cannot be asked.
std::optional<AdminResponse> AskAdmin(const std::string& admin, const std::string& target,
                                      const std::string& who);

// GETs `target` ("/lb/status") from the admin endpoint at `admin` and prints
// the body: on stdout with a 200 (returns 0), else on stderr (returns 1).
// Returns 2, with the reason on stderr prefixed by `who`, when the endpoint
// cannot be asked.
int PrintAdminGet(const std::string& admin, const std::string& target, const std::string& who);

}  // namespace vigie::cli
