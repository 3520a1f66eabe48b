// The stats socket (runtime API) protocol as hatop and scripts use it:
// command-line parsing (several commands per line separated by ';'), the
// session framing (one reply per command ended by an empty line; `prompt`
// mode adds "> "; non-interactive sessions close after one line), and
// command execution against an abstract runtime, with haproxy 2.6's exact
// reply wording ("No such server.", "Require 'backend/server'.", ...).
//
// Pure: the runtime is an interface the server implements. Thread rules: a
// CliSession belongs to one connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "lb/stats/stats_report.h"

namespace vigie::lb::stats {

enum class CommandKind {
  kShowInfo,
  kShowStat,
  kShowServersState,
  kEnableServer,     // enable server B/S  (leave maintenance)
  kDisableServer,    // disable server B/S (enter maintenance)
  kSetServerState,   // set server B/S state ready|drain|maint
  kSetServerWeight,  // set server B/S weight N[%]  and  set weight B/S N[%]
  kGetWeight,        // get weight B/S
  kSetServerHealth,  // set server B/S health up|down
  kClearCounters,    // clear counters [all]
  kPrompt,
  kSetTimeoutCli,
  kHelp,
  kQuit,
};

enum class ServerAdmin { kReady, kDrain, kMaint };

struct Command {
  CommandKind kind = CommandKind::kHelp;
  std::string backend;
  std::string server;
  StatFilter filter;  // show stat
  ServerAdmin admin = ServerAdmin::kReady;
  int weight = 0;               // set weight
  bool weight_percent = false;  // "50%": relative to the initial weight
  bool health_up = true;
  bool all = false;  // clear counters all
  std::chrono::seconds timeout{0};
  std::string arg;  // show servers state [backend]
};

// Splits an input line into commands at unescaped ';' ("\;" keeps one).
std::vector<std::string> SplitCommands(std::string_view line);

// Parses one command. On error the Error's context is the exact reply text
// haproxy sends (e.g. "Require 'backend/server'.\n").
Result<Command> ParseCommand(std::string_view text);

// The running balancer, seen from the CLI. Implemented by the server.
class Runtime {
 public:
  enum class Lookup { kOk, kNoBackend, kNoServer };
  virtual ~Runtime() = default;
  virtual ProcessInfo Info() const = 0;
  virtual std::vector<StatRow> Stats() const = 0;
  virtual std::vector<ServerStateRow> ServersState() const = 0;
  virtual bool HasBackend(std::string_view backend) const = 0;
  virtual Lookup FindServer(std::string_view backend, std::string_view server) const = 0;
  virtual void SetAdmin(std::string_view backend, std::string_view server, ServerAdmin state) = 0;
  // Absolute user weight 0..256; the error's context is the reply text.
  virtual Result<void> SetWeight(std::string_view backend, std::string_view server, int weight) = 0;
  // Current and initial weight.
  virtual std::pair<int, int> GetWeight(std::string_view backend,
                                        std::string_view server) const = 0;
  virtual void SetHealth(std::string_view backend, std::string_view server, bool up) = 0;
  // `clear counters`: the peak values (smax, qmax) of every frontend,
  // backend and server go back to 0; with `all`, every cumulative counter
  // too (connections, bytes, errors, check failures), as haproxy's.
  virtual void ClearCounters(bool all) = 0;
};

// The socket's `level`: state changes and `clear counters all` need kAdmin,
// `clear counters` kOperator ("Permission denied\n").
enum class Level { kUser, kOperator, kAdmin };

// Runs one parsed command; returns its reply text without the terminating
// empty line. Session-level commands (prompt, quit, set timeout cli) reply "".
std::string Execute(const Command& command, Runtime& runtime, Level level = Level::kAdmin);

// The `help` text for the commands above, in haproxy's layout.
std::string HelpText();

// Bound on one line's reply: the commands of a line (`cmd1;cmd2;...`) run
// in turn until their output passes it, and the rest are not run (one
// `show stat` is never cut). haproxy streams each command's output; vigie
// builds a line's reply in memory, so without it one 16 KiB line of
// `show stat;` repeated asked for over a thousand copies of the stats.
inline constexpr size_t kMaxLineOutput = size_t{1} << 20;

class CliSession {
 public:
  struct Reply {
    std::string output;
    bool close = false;
  };
  explicit CliSession(Level level = Level::kAdmin) : level_(level) {}
  // Handles one input line (without its '\n').
  Reply OnLine(std::string_view line, Runtime& runtime);
  bool prompt() const { return prompt_; }
  // The idle timeout the server should apply (`set timeout cli`; haproxy's
  // `stats timeout`, default 10s).
  std::chrono::seconds timeout() const { return timeout_; }
  void set_timeout(std::chrono::seconds t) { timeout_ = t; }

 private:
  Level level_;
  bool prompt_ = false;
  std::chrono::seconds timeout_{10};
};

}  // namespace vigie::lb::stats
