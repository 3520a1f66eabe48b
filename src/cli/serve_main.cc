// `vigie serve [-c FILE]`: run the long-lived components the config names.
#include "cli/commands.h"
#include "cli/flags.h"

namespace vigie::cli {

void RegisterServe(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the admin endpoint and every component the config names, until SIGTERM.\n"
      "SIGHUP (or `vigie reload`) re-reads the config; a config with errors is refused and the\n"
      "running one is kept. Prints one 'listening: ...' line per listener it opened.");
  auto flags = std::make_shared<ServeFlags>();
  const ServeFlagsSpec spec{.config_help =
                                "Config file (YAML); the flags below override it. Without it, the "
                                "built-in default config is used",
                            .admin_default = "127.0.0.1:9901",
                            .default_config = DefaultConfig()};
  AddServeFlags(*cmd, *flags, spec);
  cmd->callback(
      [flags, spec, &exit_code] { exit_code = Serve(ServeSource(*flags, spec), AllComponents()); });
}

}  // namespace vigie::cli
