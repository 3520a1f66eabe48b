// `vigie serve [-c FILE]`: run the long-lived components the config names.
#include "cli/commands.h"
#include "core/server.h"

namespace vigie::cli {

void RegisterServe(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the admin endpoint and every component the config names, until SIGTERM.\n"
      "SIGHUP (or `vigie reload`) re-reads the config; a config with errors is refused and the\n"
      "running one is kept. Prints one 'listening: ...' line per listener it opened.");
  auto path = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *path,
                  "Config file (YAML). Without it, the built-in default config is used")
      ->check(CLI::ExistingFile);
  cmd->callback([path, &exit_code] {
    ConfigSource source{*path, path->empty() ? DefaultConfig() : ""};
    Server server(source, AllComponents(), Version());
    exit_code = server.Run();
  });
}

}  // namespace vigie::cli
