// `vigie version`.
#include <cstdio>

#include "cli/commands.h"

namespace vigie::cli {

const char* Version() {
  return VIGIE_VERSION;
}

const char* ReleaseDate() {
  return VIGIE_RELEASE_DATE;
}

void RegisterVersion(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "Print vigie's version and exit.");
  cmd->callback([&exit_code] {
    std::printf("vigie %s %s\n", Version(), ReleaseDate());
    exit_code = 0;
  });
}

}  // namespace vigie::cli
