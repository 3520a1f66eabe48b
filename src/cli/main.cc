// vigie: one binary for the platform around a self-hosted cluster. This file
// is the subcommand table; each subcommand lives in its own <cmd>_main.cc.
#include <cstdio>

#include "cli/commands.h"

namespace {

using Register = void (*)(CLI::App&, int&);

// The subcommand table. Components add their entries here.
constexpr Register kSubcommands[] = {
    vigie::cli::RegisterServe,   vigie::cli::RegisterCheck,  vigie::cli::RegisterReload,
    vigie::cli::RegisterVersion, vigie::cli::RegisterLb,     vigie::cli::RegisterEgress,
    vigie::cli::RegisterDns,     vigie::cli::RegisterEvents,
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vigie: load balancing, egress, lying DNS, events and more, in one binary.",
               "vigie"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  int exit_code = 0;
  for (Register r : kSubcommands) {
    r(app, exit_code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
