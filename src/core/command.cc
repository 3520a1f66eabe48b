#include "core/command.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX

namespace vigie {
namespace {

using Clock = std::chrono::steady_clock;

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    out += (out.empty() ? "" : " ") + a;
  }
  return out;
}

void CloseFd(int& fd) {
  if (fd >= 0) {
    close(fd);
    fd = -1;
  }
}

// Owns the descriptors of one run; closes what is left on every path.
struct Fds {
  int in[2] = {-1, -1};  // socketpair: [0] parent's end, [1] the child's stdin
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Fds() {
    for (int* p : {in, out, err}) {
      CloseFd(p[0]);
      CloseFd(p[1]);
    }
  }
};

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// Waits for `pid` until the deadline; kills it then. True when it exited by
// itself (status filled).
bool Reap(pid_t pid, Clock::time_point deadline, int* status) {
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      return r == pid;
    }
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
      }
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

Result<std::string> FindHelper(std::string_view name) {
  if (name.empty()) {
    return Error(Errc::kInvalidArgument, "empty program name");
  }
  if (name.find('/') != std::string_view::npos) {
    return std::string(name);
  }
  std::string searched;
  for (std::string_view dir : kHelperDirs) {
    std::string path = std::string(dir) + "/" + std::string(name);
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0) {
      return path;
    }
    searched += (searched.empty() ? "" : ":") + std::string(dir);
  }
  return Error(Errc::kNotFound, std::string(name) + ": not found in " + searched);
}

Result<std::string> RunCommand(const std::vector<std::string>& argv,
                               const CommandOptions& options) {
  if (argv.empty()) {
    return Error(Errc::kInvalidArgument, "no command");
  }
  VIGIE_ASSIGN_OR_RETURN(std::string program, FindHelper(argv[0]));
  const Clock::time_point deadline = Clock::now() + options.timeout;
  Fds fds;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.in) != 0 ||
      pipe2(fds.out, O_CLOEXEC) != 0 || pipe2(fds.err, O_CLOEXEC) != 0) {
    return Error(Errc::kIo, argv[0] + ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds.in[1], 0);
  posix_spawn_file_actions_adddup2(&actions, fds.out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds.err[1], 2);
  // The helper starts with default dispositions and nothing blocked, not
  // with vigie's (SIGPIPE ignored, stop signals blocked on some threads).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  args.push_back(program.data());
  for (size_t i = 1; i < argv.size(); ++i) {
    args.push_back(const_cast<char*>(argv[i].c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(fds.in[1]);
  CloseFd(fds.out[1]);
  CloseFd(fds.err[1]);
  if (rc != 0) {
    return Error(Errc::kIo, program + ": " + std::strerror(rc));
  }
  fcntl(fds.in[0], F_SETFL, O_NONBLOCK);

  size_t written = 0;
  if (options.input.empty()) {
    CloseFd(fds.in[0]);
  }
  std::string out_text;
  std::string err_text;
  bool too_much = false;
  while (fds.out[0] >= 0 || fds.err[0] >= 0) {
    pollfd p[3] = {{fds.in[0], POLLOUT, 0}, {fds.out[0], POLLIN, 0}, {fds.err[0], POLLIN, 0}};
    int timeout = MillisLeft(deadline);
    if (timeout == 0) {
      break;
    }
    if (poll(p, 3, timeout) < 0 && errno != EINTR) {
      break;
    }
    if (fds.in[0] >= 0 && p[0].revents != 0) {
      ssize_t n = send(fds.in[0], options.input.data() + written, options.input.size() - written,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        written += static_cast<size_t>(n);
      }
      // Done, or the helper stopped reading (EPIPE): either way its stdin ends.
      if (written == options.input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        CloseFd(fds.in[0]);
      }
    }
    for (int i : {1, 2}) {
      int& fd = i == 1 ? fds.out[0] : fds.err[0];
      if (fd < 0 || p[i].revents == 0) {
        continue;
      }
      char buf[8192];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        CloseFd(fd);
        continue;
      }
      std::string& text = i == 1 ? out_text : err_text;
      if (text.size() + static_cast<size_t>(n) > options.max_output) {
        too_much = i == 1;
        text.append(buf, options.max_output - std::min(text.size(), options.max_output));
        if (too_much) {
          break;
        }
        continue;  // stderr beyond the bound is dropped
      }
      text.append(buf, static_cast<size_t>(n));
    }
    if (too_much) {
      break;
    }
  }
  CloseFd(fds.in[0]);
  int status = 0;
  // A helper that sent too much is stopped at once.
  bool exited = Reap(pid, too_much ? Clock::now() : deadline, &status);
  if (too_much) {
    return Error(Errc::kIo, Join(argv) + ": more than " + std::to_string(options.max_output) +
                                " bytes of output");
  }
  if (!exited) {
    return Error(Errc::kTimeout, Join(argv) + ": no exit within " +
                                     std::to_string(options.timeout.count()) + " ms; killed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!err_text.empty() && (err_text.back() == '\n' || err_text.back() == '\r')) {
      err_text.pop_back();
    }
    std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : std::string("signal ") + strsignal(WTERMSIG(status));
    return Error(Errc::kIo,
                 Join(argv) + " failed (" + how + ")" + (err_text.empty() ? "" : ": " + err_text));
  }
  return out_text;
}

}  // namespace vigie
