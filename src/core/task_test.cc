// Tests for the spawned coroutines' completion handler.
#include "core/task.h"

#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "core/net.h"

namespace vigie::net {
namespace {

struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
};

Awaitable<void> Fails() {
  throw std::runtime_error("boom");
  co_return;
}

Awaitable<void> Succeeds() {
  co_return;
}

TEST(TaskDoneTest, AnEscapedExceptionIsLoggedAndCounted) {
  CapturedLog log;
  metrics::Registry registry;
  metrics::Counter& failures = registry.AddCounter("x_task_failures_total", "t");
  uint64_t before = TaskFailures();
  asio::io_context ctx;
  asio::co_spawn(ctx, Fails(), TaskDone{"test task", log.logger.get(), &failures});
  asio::co_spawn(ctx, Succeeds(), TaskDone{"quiet task", log.logger.get(), &failures});
  ctx.run();
  log.logger->flush();
  EXPECT_EQ(failures.value(), 1u);
  EXPECT_EQ(TaskFailures(), before + 1);
  EXPECT_NE(log.text.str().find("test task failed: boom"), std::string::npos) << log.text.str();
  EXPECT_EQ(log.text.str().find("quiet task"), std::string::npos) << log.text.str();
}

TEST(TaskDoneTest, ANonStandardExceptionIsReportedToo) {
  CapturedLog log;
  uint64_t before = TaskFailures();
  ReportTaskFailure(std::make_exception_ptr(42), "odd task", *log.logger);
  ReportTaskFailure(nullptr, "no failure", *log.logger);
  log.logger->flush();
  EXPECT_EQ(TaskFailures(), before + 1);
  EXPECT_NE(log.text.str().find("odd task failed: an exception that is not a std::exception"),
            std::string::npos);
  EXPECT_EQ(log.text.str().find("no failure"), std::string::npos);
}

}  // namespace
}  // namespace vigie::net
