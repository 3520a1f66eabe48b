// ip and nft invocations for redirect mode.
#include "egress/router/router.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX

namespace vigie::egress::router {
namespace {

constexpr size_t kMaxOutput = 1 << 20;

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv)
    out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

Result<std::string> RunCommand(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return Error(Errc::kIo, std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return Error(Errc::kIo, argv[0] + ": " + std::strerror(rc));
  }
  // The inputs are small scripts; write them whole, then read both outputs.
  size_t written = 0;
  while (written < input.size()) {
    ssize_t n = write(in[1], input.data() + written, input.size() - written);
    if (n <= 0)
      break;
    written += static_cast<size_t>(n);
  }
  close(in[1]);
  std::string stdout_text, stderr_text;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& dst = i == 0 ? stdout_text : stderr_text;
      if (dst.size() < kMaxOutput)
        dst.append(buf, static_cast<size_t>(n));
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!stderr_text.empty() && stderr_text.back() == '\n')
      stderr_text.pop_back();
    return Error(Errc::kIo,
                 Join(argv) + " failed" + (stderr_text.empty() ? "" : ": " + stderr_text));
  }
  return stdout_text;
}

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
  VIGIE_TRY(RunCommand({options.nft_binary, "-f", "-"}, script));
  return {};
}

Result<void> RemoveRules(const RouterOptions& options) {
  VIGIE_ASSIGN_OR_RETURN(auto script, BuildNftRemoveScript(options.nft));
  VIGIE_TRY(RunCommand({options.nft_binary, "-f", "-"}, script));
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
