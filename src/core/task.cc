// The completion handler of spawned coroutines.
#include "core/task.h"

#include <atomic>

namespace vigie::net {
namespace {

std::atomic<uint64_t> g_task_failures{0};

}  // namespace

void ReportTaskFailure(const std::exception_ptr& e, const std::string& what, spdlog::logger& logger,
                       metrics::Counter* failures) {
  if (!e) {
    return;
  }
  g_task_failures.fetch_add(1, std::memory_order_relaxed);
  if (failures != nullptr) {
    failures->Inc();
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    logger.error("{} failed: {}", what, ex.what());
  } catch (...) {
    logger.error("{} failed: an exception that is not a std::exception", what);
  }
}

uint64_t TaskFailures() {
  return g_task_failures.load(std::memory_order_relaxed);
}

}  // namespace vigie::net
