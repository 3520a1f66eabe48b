// Per-server health-check state machine, exactly as haproxy 2.6 runs it:
// the rise/fall health counter, the check interval (inter when fully up,
// fastinter while transitioning, downinter when down), the check result
// codes of `show stat` (L4OK, L4CON, L7STS, ...), and the log lines haproxy
// prints for `option log-health-checks` and for UP/DOWN transitions.
//
// Initial state (verified on haproxy 2.6.12): a checked server starts UP with
// health = rise, shown as "UP 1/<fall>" with check_status INI, so a single
// failed check takes it DOWN; a passed check sets health to rise+fall-1
// ("UP"). Pure: time is an argument. Thread rules: values, one owner.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/health_counter.h"

namespace vigie::lb::health {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// haproxy's HCHK_STATUS_* in its numeric order (the number is what
// `show servers state` prints as srv_check_status).
enum class CheckStatus {
  kUnknown = 0,   // UNK
  kIni = 1,       // INI: no check has completed yet
  kStart = 2,     // a check is running (not a result)
  kChecked = 3,   // CHECKED: no status change
  kHana = 4,      // HANA: health analyze
  kSockErr = 5,   // SOCKERR
  kL4Ok = 6,      // L4OK: TCP connect succeeded
  kL4Tout = 7,    // L4TOUT: TCP connect timed out
  kL4Con = 8,     // L4CON: connection refused / unreachable
  kL6Ok = 9,      // L6OK: TLS handshake succeeded
  kL6Tout = 10,   // L6TOUT: TLS handshake timed out
  kL6Rsp = 11,    // L6RSP: TLS protocol error
  kL7Tout = 12,   // L7TOUT: no HTTP response in time
  kL7Rsp = 13,    // L7RSP: invalid HTTP response
  kL57Data = 14,  // (marker: statuses from here carry a response code)
  kL7Ok = 15,     // L7OK: expected HTTP status
  kL7OkC = 16,    // L7OKC: conditionally passed
  kL7Sts = 17,    // L7STS: wrong HTTP status
  kProcErr = 18,
  kProcTout = 19,
  kProcOk = 20,
};

enum class CheckResult { kUnknown, kNeutral, kFailed, kPassed, kConditionalPass };

// "L4OK", "L7STS", ... as in `show stat` check_status ("" for kStart/kL57Data).
std::string_view CheckStatusCode(CheckStatus s);
// "Layer4 check passed", "Layer7 wrong status", ... as in check_desc and logs.
std::string_view CheckStatusDescription(CheckStatus s);
CheckResult ResultOf(CheckStatus s);

// What one completed check found. `code` is the HTTP status for L7 results;
// `info` is the detail haproxy quotes ("Connection refused", the HTTP reason).
struct CheckOutcome {
  CheckStatus status = CheckStatus::kUnknown;
  std::optional<int> code;
  std::string info;
  Millis duration{0};
  // This host could not start the check (out of descriptors, memory or
  // local ports): no result about the server, so rise/fall do not move.
  bool not_run = false;
};

struct CheckParams {
  Millis inter{2000};
  Millis fastinter{2000};
  Millis downinter{2000};
  int rise = 2;
  int fall = 3;
};

// Timeouts of one check: haproxy uses `inter` as the whole check's timeout
// unless `timeout check` is set, in which case the connect step gets
// min(timeout connect, inter) and the response step gets `timeout check`.
struct CheckTimeouts {
  Millis connect;
  Millis response;  // after the connection is established
};
CheckTimeouts ComputeCheckTimeouts(Millis inter, std::optional<Millis> timeout_connect,
                                   std::optional<Millis> timeout_check);

// When the first check of server number `position` (0-based among `count`
// checked servers of the whole process) runs after start: haproxy spreads
// them evenly over the smallest inter >= 1s (`min_inter`).
Millis InitialCheckDelay(int position, int count, Millis min_inter);

// What one result did to the server.
struct CheckReport {
  bool health_changed = false;
  bool status_changed = false;  // check_status differs from the previous one
  bool went_down = false;
  bool went_up = false;
  // haproxy logs a "Health check for server ..." line (option
  // log-health-checks) when the status or the health counter changed.
  bool log_check_line() const { return health_changed || status_changed; }
};

class ServerHealth {
 public:
  explicit ServerHealth(CheckParams params);

  // Applies a completed check. Statuses with no verdict (INI, CHECKED, ...)
  // only update last_status().
  CheckReport OnResult(const CheckOutcome& outcome);

  // Operator override (`set server B/S health up|down`): full health or 0.
  void Force(bool up);

  int health() const { return counter_.health(); }
  bool up() const { return counter_.up(); }
  // Fully up: health at its top (rise+fall-1).
  bool full() const { return counter_.full(); }
  const CheckParams& params() const { return params_; }
  const CheckOutcome& last() const { return last_; }

  // The delay until the next check: inter when fully up, downinter when
  // down at health 0, fastinter in between (haproxy's srv_getinter()).
  Millis CurrentInterval() const;
  // Next check time for a check that completed at `completed`.
  Clock::time_point NextCheck(Clock::time_point completed) const {
    return completed + CurrentInterval();
  }

  // The "a/b STATE" tail of log lines: "3/3 UP", "1/2 DOWN", "2/3 DRAIN".
  std::string LogStatus(bool drain) const;
  // `show stat` status for a checked server: "UP", "UP 1/3", "DOWN",
  // "DOWN 1/2", "DRAIN", "DRAIN 1/3"; maintenance gives "MAINT".
  std::string StatField(bool drain, bool maint) const;

 private:
  CheckParams params_;
  HealthCounter counter_;
  CheckOutcome last_;
};

// `show stat` status for a server without `check`: "no check" (or
// "DRAIN"/"MAINT" when so set).
std::string UncheckedStatField(bool drain, bool maint);

// ", reason: <desc>[, code: N][, info: "<info>"], check duration: Nms".
std::string ReasonSuffix(const CheckOutcome& outcome);

// "Health check for [backup ]server PX/SV succeeded|failed, reason: ...,
// status: a/b STATE." (option log-health-checks; verified on 2.6.12).
std::string HealthCheckLogLine(std::string_view proxy, std::string_view server, bool backup,
                               const CheckOutcome& outcome, const ServerHealth& health, bool drain);

// Counts for a transition line.
struct PoolCounts {
  int active = 0;    // usable active servers after the change
  int backup = 0;    // usable backup servers after the change
  int sessions = 0;  // sessions still on the server (DOWN lines)
  int requeued = 0;
  int queued = 0;
};

// "[Backup ]Server PX/SV is DOWN[, reason: ...]. N active and M backup
// servers left.[ Running on backup.] S sessions active, R requeued, Q
// remaining in queue." The reason is present unless log-health-checks
// already logged it (`reason` = nullptr).
std::string ServerDownLogLine(std::string_view proxy, std::string_view server, bool backup,
                              const CheckOutcome* reason, const PoolCounts& counts);
// "[Backup ]Server PX/SV is UP[, reason: ...]. N active and M backup servers
// online.[ Running on backup.] R sessions requeued, Q total in queue."
std::string ServerUpLogLine(std::string_view proxy, std::string_view server, bool backup,
                            const CheckOutcome* reason, const PoolCounts& counts);
// "proxy PX has no server available!" (listen) or "backend PX has ..." .
std::string NoServerLogLine(std::string_view proxy, bool is_listen);

}  // namespace vigie::lb::health
