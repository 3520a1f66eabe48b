// vigie: one binary for the platform around a self-hosted cluster. This file
// is the subcommand table; each subcommand lives in its own <cmd>_main.cc.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

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
  // A write into a socket the peer reset, or a pipe whose reader exited,
  // fails with EPIPE; it must not also kill the process. splice(2) and
  // pipes have no MSG_NOSIGNAL. Set before any thread starts, so every
  // thread inherits it; helpers vigie spawns get the default back (exec
  // resets ignored signals only when told, see egress/router).
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"vigie: load balancing, egress, lying DNS, events and more, in one binary.",
               "vigie"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  int exit_code = 0;
  for (Register r : kSubcommands) {
    r(app, exit_code);
  }
  // haproxy's `-sf PID` / `-st PID` (two letters after one dash, which the
  // option parser does not take) as --sf / --st.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (auto& a : args) {
    if (a == "-sf" || a == "-st") {
      a = "-" + a;
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
