// Telling systemd how the service is doing (sd_notify(3)), for a unit of
// Type=notify: READY=1 once every listener is bound, RELOADING=1 then
// READY=1 around a SIGHUP reload, STOPPING=1 when the drain begins, and
// WATCHDOG=1 keep-alives while every worker thread still runs its queue.
//
// The protocol is one datagram per message on the AF_UNIX socket named by
// $NOTIFY_SOCKET ("@name" is the abstract namespace). It is spoken here
// directly rather than through libsystemd: a dozen lines, no dependency.
// Without $NOTIFY_SOCKET every call is a no-op, so vigie behaves the same
// outside systemd.
//
// Thread rules: Send may be called from any thread; the object is immutable.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "core/error.h"

namespace vigie {

class ServiceNotifier {
 public:
  // Disabled: Send does nothing.
  ServiceNotifier() = default;
  // `socket` as $NOTIFY_SOCKET spells it: a path or "@abstract-name".
  explicit ServiceNotifier(std::string socket) : socket_(std::move(socket)) {}

  // From $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID, which are then
  // removed from the environment so that helpers vigie runs (nft, ip) do
  // not talk to systemd in its name.
  static ServiceNotifier FromEnvironment();

  bool enabled() const { return !socket_.empty(); }

  // Sends `state` ("READY=1\nSTATUS=..."), one datagram. Errors name the
  // socket; a service manager that went away is an error, never a signal.
  Result<void> Send(std::string_view state) const;

  // How often systemd expects WATCHDOG=1 (WatchdogSec=), when it does.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }
  void set_watchdog_interval(std::optional<std::chrono::microseconds> interval) {
    watchdog_ = interval;
  }

 private:
  std::string socket_;
  std::optional<std::chrono::microseconds> watchdog_;
};

// $WATCHDOG_USEC / $WATCHDOG_PID as sd_watchdog_enabled(3) reads them: the
// interval when `usec` is a positive number and `pid` is empty or
// `self`; nullopt otherwise (the watchdog is off, or meant for another
// process).
std::optional<std::chrono::microseconds> ParseWatchdog(std::string_view usec, std::string_view pid,
                                                       pid_t self);

}  // namespace vigie
