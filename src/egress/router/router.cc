// ip and nft invocations for redirect mode.
#include "egress/router/router.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <signal.h>

#include "core/command.h"

namespace vigie::egress::router {

Result<void> SetUpNetwork(const RouterSpec& spec, const RouterOptions& options) {
  const std::string& dev = options.nft.egress_interface;
  const std::string gateway = spec.gateway.ToString();
  auto route = RunCommand({options.ip_binary, "route", "get", gateway});
  if (route && route->find("dev " + dev + " ") != std::string::npos)
    return {};  // already set up (upstream checks the same)
  const std::string source =
      spec.source.ToString() + "/" + std::to_string(spec.source_prefix_length);
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {options.ip_binary, "addr", "replace", source, "dev", dev},
           {options.ip_binary, "link", "set", "up", "dev", dev},
           {options.ip_binary, "route", "replace", gateway + "/32", "dev", dev},
           {options.ip_binary, "route", "replace", "default", "via", gateway, "dev", dev}}) {
    VIGIE_TRY(RunCommand(cmd));
  }
  return {};
}

Result<void> InstallRules(const RouterSpec& spec, const RouterOptions& options) {
  VIGIE_ASSIGN_OR_RETURN(auto script,
                         BuildNftInstallScript(*spec.redirect, spec.source, options.nft));
  VIGIE_TRY(RunCommand({options.nft_binary, "-f", "-"}, CommandOptions{.input = script}));
  return {};
}

Result<void> RemoveRules(const RouterOptions& options) {
  VIGIE_ASSIGN_OR_RETURN(auto script, BuildNftRemoveScript(options.nft));
  VIGIE_TRY(RunCommand({options.nft_binary, "-f", "-"}, CommandOptions{.input = script}));
  return {};
}

int RunRouterMode(const RouterSpec& spec, const RouterOptions& options) {
  // Block the stop signals first so none is lost between install and wait.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (spec.mode == RouterMode::kLegacy)
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  if (options.setup_network) {
    if (auto r = SetUpNetwork(spec, options); !r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return kExitConfigError;
    }
  }
  if (auto r = InstallRules(spec, options); !r) {
    std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
    return kExitConfigError;
  }
  std::printf("installed nft table ip %s (%zu rules%s)\n", options.nft.table.c_str(),
              spec.redirect->rules.size(), spec.redirect->fallback ? " + fallback" : "");
  if (spec.mode != RouterMode::kLegacy)
    return kExitOk;
  std::printf("ready: waiting for SIGTERM\n");
  std::fflush(stdout);
  int signo = 0;
  sigwait(&stop, &signo);
  if (auto r = RemoveRules(options); !r) {
    std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
    return kExitConfigError;
  }
  std::printf("removed nft table ip %s\n", options.nft.table.c_str());
  return kExitOk;
}

}  // namespace vigie::egress::router
