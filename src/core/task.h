// Spawning coroutines: each gets a completion handler that logs and counts
// an exception that escaped it, so nothing runs detached and unaccounted.
//
//   asio::co_spawn(ex, TcpSession(w, std::move(sock)),
//                  TaskDone{"dns tcp session", logger.get(), &m.task_failures_total});
//
// A handler that must do more (release a connection slot) calls
// ReportTaskFailure itself.
//
// Thread rules: TaskDone runs on the coroutine's executor; the counts are
// atomic.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include <spdlog/logger.h>

#include "core/metrics.h"

namespace vigie::net {

// Logs `e` (when set) as "<what> failed: <reason>" on `logger` and counts it
// in `failures` (when given) and in the process-wide TaskFailures().
void ReportTaskFailure(const std::exception_ptr& e, const std::string& what, spdlog::logger& logger,
                       metrics::Counter* failures = nullptr);

// Exceptions that escaped spawned coroutines in this process, every
// component's (`vigie serve` exports it as vigie_task_failures_total).
uint64_t TaskFailures();

// The completion handler of a spawned coroutine. `logger` and `failures`
// must outlive the coroutine (loggers from log::Get live for the process,
// counters in a Registry for the registry).
struct TaskDone {
  std::string what{};  // "dns tcp session"
  spdlog::logger* logger = nullptr;
  metrics::Counter* failures = nullptr;

  void operator()(const std::exception_ptr& e) const {
    if (e) {
      ReportTaskFailure(e, what, *logger, failures);
    }
  }
};

}  // namespace vigie::net
