// haproxy's check state machine (check.c set_server_check_status(),
// srv_getinter()) and its log line wording (server.c srv_append_status()).
#include "lb/health/health_check.h"

#include <algorithm>

namespace vigie::lb::health {

std::string_view CheckStatusCode(CheckStatus s) {
  switch (s) {
    case CheckStatus::kUnknown:
      return "UNK";
    case CheckStatus::kIni:
      return "INI";
    case CheckStatus::kStart:
      return "";
    case CheckStatus::kChecked:
      return "CHECKED";
    case CheckStatus::kHana:
      return "HANA";
    case CheckStatus::kSockErr:
      return "SOCKERR";
    case CheckStatus::kL4Ok:
      return "L4OK";
    case CheckStatus::kL4Tout:
      return "L4TOUT";
    case CheckStatus::kL4Con:
      return "L4CON";
    case CheckStatus::kL6Ok:
      return "L6OK";
    case CheckStatus::kL6Tout:
      return "L6TOUT";
    case CheckStatus::kL6Rsp:
      return "L6RSP";
    case CheckStatus::kL7Tout:
      return "L7TOUT";
    case CheckStatus::kL7Rsp:
      return "L7RSP";
    case CheckStatus::kL57Data:
      return "";
    case CheckStatus::kL7Ok:
      return "L7OK";
    case CheckStatus::kL7OkC:
      return "L7OKC";
    case CheckStatus::kL7Sts:
      return "L7STS";
    case CheckStatus::kProcErr:
      return "PROCERR";
    case CheckStatus::kProcTout:
      return "PROCTOUT";
    case CheckStatus::kProcOk:
      return "PROCOK";
  }
  return "UNK";
}

std::string_view CheckStatusDescription(CheckStatus s) {
  switch (s) {
    case CheckStatus::kUnknown:
      return "Unknown";
    case CheckStatus::kIni:
      return "Initializing";
    case CheckStatus::kStart:
      return "";
    case CheckStatus::kChecked:
      return "No status change";
    case CheckStatus::kHana:
      return "Health analyze";
    case CheckStatus::kSockErr:
      return "Socket error";
    case CheckStatus::kL4Ok:
      return "Layer4 check passed";
    case CheckStatus::kL4Tout:
      return "Layer4 timeout";
    case CheckStatus::kL4Con:
      return "Layer4 connection problem";
    case CheckStatus::kL6Ok:
      return "Layer6 check passed";
    case CheckStatus::kL6Tout:
      return "Layer6 timeout";
    case CheckStatus::kL6Rsp:
      return "Layer6 invalid response";
    case CheckStatus::kL7Tout:
      return "Layer7 timeout";
    case CheckStatus::kL7Rsp:
      return "Layer7 invalid response";
    case CheckStatus::kL57Data:
      return "";
    case CheckStatus::kL7Ok:
      return "Layer7 check passed";
    case CheckStatus::kL7OkC:
      return "Layer7 check conditionally passed";
    case CheckStatus::kL7Sts:
      return "Layer7 wrong status";
    case CheckStatus::kProcErr:
      return "External check error";
    case CheckStatus::kProcTout:
      return "External check timeout";
    case CheckStatus::kProcOk:
      return "External check passed";
  }
  return "Unknown";
}

CheckResult ResultOf(CheckStatus s) {
  switch (s) {
    case CheckStatus::kUnknown:
    case CheckStatus::kIni:
    case CheckStatus::kStart:
    case CheckStatus::kL57Data:
      return CheckResult::kUnknown;
    case CheckStatus::kChecked:
      return CheckResult::kNeutral;
    case CheckStatus::kL4Ok:
    case CheckStatus::kL6Ok:
    case CheckStatus::kL7Ok:
    case CheckStatus::kProcOk:
      return CheckResult::kPassed;
    case CheckStatus::kL7OkC:
      return CheckResult::kConditionalPass;
    default:
      return CheckResult::kFailed;
  }
}

CheckTimeouts ComputeCheckTimeouts(Millis inter, std::optional<Millis> timeout_connect,
                                   std::optional<Millis> timeout_check) {
  if (!timeout_check)
    return CheckTimeouts{inter, inter};
  Millis connect = timeout_connect ? std::min(*timeout_connect, inter) : inter;
  return CheckTimeouts{connect, *timeout_check};
}

Millis InitialCheckDelay(int position, int count, Millis min_inter) {
  if (count <= 0)
    return Millis{0};
  return Millis{min_inter.count() * position / count};
}

ServerHealth::ServerHealth(CheckParams params)
    : params_(params), counter_(params.rise, params.fall) {
  params_.rise = counter_.rise();
  params_.fall = counter_.fall();
  last_.status = CheckStatus::kIni;
}

CheckReport ServerHealth::OnResult(const CheckOutcome& outcome) {
  CheckReport r;
  r.status_changed = outcome.status != last_.status;
  const int before = counter_.health();
  HealthChange change = HealthChange::kNone;
  switch (ResultOf(outcome.status)) {
    case CheckResult::kFailed:
      change = counter_.Record(false);
      break;
    case CheckResult::kPassed:
    case CheckResult::kConditionalPass:
      change = counter_.Record(true);
      break;
    case CheckResult::kUnknown:
    case CheckResult::kNeutral:
      break;
  }
  last_ = outcome;
  r.health_changed = counter_.health() != before;
  r.went_down = change == HealthChange::kWentDown;
  r.went_up = change == HealthChange::kWentUp;
  return r;
}

void ServerHealth::Force(bool is_up) {
  counter_.Force(is_up);
}

Millis ServerHealth::CurrentInterval() const {
  if (full())
    return params_.inter;
  if (health() == 0)
    return params_.downinter.count() > 0 ? params_.downinter : params_.inter;
  return params_.fastinter.count() > 0 ? params_.fastinter : params_.inter;
}

std::string ServerHealth::LogStatus(bool drain) const {
  return counter_.Status(drain ? "DRAIN" : "UP");
}

std::string ServerHealth::StatField(bool drain, bool maint) const {
  if (maint)
    return "MAINT";
  if (up()) {
    std::string base = drain ? "DRAIN" : "UP";
    if (full())
      return base;
    return base + " " + std::to_string(health() - params_.rise + 1) + "/" +
           std::to_string(params_.fall);
  }
  if (health() == 0)
    return "DOWN";
  return "DOWN " + std::to_string(health()) + "/" + std::to_string(params_.rise);
}

std::string UncheckedStatField(bool drain, bool maint) {
  if (maint)
    return "MAINT";
  return drain ? "DRAIN" : "no check";
}

std::string ReasonSuffix(const CheckOutcome& o) {
  std::string s = ", reason: " + std::string(CheckStatusDescription(o.status));
  if (o.status >= CheckStatus::kL57Data && o.code)
    s += ", code: " + std::to_string(*o.code);
  if (!o.info.empty()) {
    s += ", info: \"";
    for (char c : o.info) {
      // haproxy escapes control characters in the quoted info.
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') {
        static constexpr char kHex[] = "0123456789abcdef";
        s += '\\';
        s += 'x';
        s += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
        s += kHex[static_cast<unsigned char>(c) & 0xf];
      } else {
        s += c;
      }
    }
    s += '"';
  }
  if (o.duration.count() >= 0)
    s += ", check duration: " + std::to_string(o.duration.count()) + "ms";
  return s;
}

std::string HealthCheckLogLine(std::string_view proxy, std::string_view server, bool backup,
                               const CheckOutcome& outcome, const ServerHealth& health,
                               bool drain) {
  CheckResult r = ResultOf(outcome.status);
  std::string s = "Health check for ";
  s += backup ? "backup " : "";
  s += "server ";
  s += proxy;
  s += '/';
  s += server;
  s += r == CheckResult::kConditionalPass ? " conditionally " : " ";
  s += (r == CheckResult::kPassed || r == CheckResult::kConditionalPass) ? "succeeded" : "failed";
  s += ReasonSuffix(outcome);
  s += ", status: " + health.LogStatus(drain) + ".";
  return s;
}

namespace {
std::string Head(std::string_view proxy, std::string_view server, bool backup, const char* what,
                 const CheckOutcome* reason) {
  std::string s = backup ? "Backup Server " : "Server ";
  s += proxy;
  s += '/';
  s += server;
  s += what;
  if (reason != nullptr)
    s += ReasonSuffix(*reason);
  return s;
}
}  // namespace

std::string ServerDownLogLine(std::string_view proxy, std::string_view server, bool backup,
                              const CheckOutcome* reason, const PoolCounts& c) {
  std::string s = Head(proxy, server, backup, " is DOWN", reason);
  s += ". " + std::to_string(c.active) + " active and " + std::to_string(c.backup) +
       " backup servers left.";
  if (c.backup > 0 && c.active == 0)
    s += " Running on backup.";
  s += " " + std::to_string(c.sessions) + " sessions active, " + std::to_string(c.requeued) +
       " requeued, " + std::to_string(c.queued) + " remaining in queue.";
  return s;
}

std::string ServerUpLogLine(std::string_view proxy, std::string_view server, bool backup,
                            const CheckOutcome* reason, const PoolCounts& c) {
  std::string s = Head(proxy, server, backup, " is UP", reason);
  s += ". " + std::to_string(c.active) + " active and " + std::to_string(c.backup) +
       " backup servers online.";
  if (c.backup > 0 && c.active == 0)
    s += " Running on backup.";
  s += " " + std::to_string(c.requeued) + " sessions requeued, " + std::to_string(c.queued) +
       " total in queue.";
  return s;
}

std::string NoServerLogLine(std::string_view proxy, bool is_listen) {
  return std::string(is_listen ? "proxy " : "backend ") + std::string(proxy) +
         " has no server available!";
}

}  // namespace vigie::lb::health
