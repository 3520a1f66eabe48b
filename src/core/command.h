// Running a helper program (`ip`, `nft`, later `keepalived`'s notify scripts):
// found by absolute path in the system directories only (never $PATH, which
// an unprivileged user may set), fed its input, read back, and bounded in
// time and output. A helper that hangs is killed at its deadline; a helper
// that fails is an error naming it with its stderr. Nothing here can raise
// SIGPIPE in vigie (stdin is a socket written with MSG_NOSIGNAL), and the
// helper gets default signal dispositions whatever vigie ignores.
//
// Thread rules: blocking; call from a control or command thread, never an
// I/O worker.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vigie {

// Where helper programs are looked up, in order.
inline constexpr std::string_view kHelperDirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

// The absolute path of `name`: `name` itself when it holds a '/', else the
// first executable kHelperDirs/name. Errc::kNotFound names the directories.
Result<std::string> FindHelper(std::string_view name);

struct CommandOptions {
  std::string input;                          // written to its stdin, then closed
  std::chrono::milliseconds timeout{10'000};  // from spawn to exit
  size_t max_output = 1 << 20;                // stdout bytes kept; more is an error
};

// Runs argv (argv[0] through FindHelper) and waits for it. Returns stdout.
// Errc::kIo when it cannot start, exits non-zero or by a signal (with its
// stderr, trimmed), or sends more than max_output; Errc::kTimeout when it
// outlives the timeout (it is then killed with SIGKILL and reaped).
Result<std::string> RunCommand(const std::vector<std::string>& argv,
                               const CommandOptions& options = {});

}  // namespace vigie
