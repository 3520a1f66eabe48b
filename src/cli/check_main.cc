// `vigie check [-c FILE]`: validate a config without starting anything.
#include <cstdio>

#include "cli/commands.h"
#include "core/server.h"

namespace vigie::cli {

void RegisterCheck(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "check",
      "Validate a config file without starting anything. Prints every error as\n"
      "FILE:LINE:COLUMN: field.path: reason and exits 1, or prints 'FILE: ok' and exits 0.");
  auto path = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *path, "Config file to check (default: the built-in config)");
  auto print_default = std::make_shared<bool>(false);
  cmd->add_flag("--print-default", *print_default, "Print the built-in default config and exit");
  cmd->callback([path, print_default, &exit_code] {
    if (*print_default) {
      std::fputs(DefaultConfig(), stdout);
      exit_code = 0;
      return;
    }
    ConfigSource source{*path, path->empty() ? DefaultConfig() : ""};
    config::Diagnostics diag(path->empty() ? "<embedded>" : *path);
    auto loaded = LoadServeConfig(source, AllComponents(), diag);
    if (!loaded) {
      std::fputs(diag.ToString().c_str(), stdout);
      std::fprintf(stdout, "%zu error%s\n", diag.size(), diag.size() == 1 ? "" : "s");
      exit_code = 1;
      return;
    }
    std::printf("%s: ok\n", loaded->path.c_str());
    exit_code = 0;
  });
}

}  // namespace vigie::cli
