// The query log writer: lines written, rotation at the size limit, a full
// queue drops (never blocks), reopen after an external move.
#include "dns/server/query_log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace vigie::dns {
namespace {

namespace fs = std::filesystem;

struct Counters {
  metrics::Counter lines, dropped, rotations, errors;
  QueryLogCounters Ptrs() { return {&lines, &dropped, &rotations, &errors}; }
};

class QueryLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigie_qlog_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static QueryRecord Record(int i) {
    QueryRecord r;
    r.client = *IpAddress::Parse("127.0.0.1");
    r.name = "q" + std::to_string(i) + ".example";
    r.type = 1;
    r.result = "forwarded";
    r.rcode = 0;
    return r;
  }
  static std::vector<std::string> Lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) {
      out.push_back(l);
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(QueryLogTest, WritesOneJsonLinePerRecord) {
  Counters c;
  QueryLog log(2, c.Ptrs());
  log.Configure(QueryLogConfig{.path = (dir_ / "q.log").string()});
  log.Push(0, Record(1));
  log.Push(1, Record(2));
  log.Flush();
  auto lines = Lines(dir_ / "q.log");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"name\":\"q1.example\""), std::string::npos);
  EXPECT_NE(lines[1].find("\"name\":\"q2.example\""), std::string::npos);
  EXPECT_EQ(c.lines.value(), 2u);
  EXPECT_EQ(fs::status(dir_ / "q.log").permissions() & fs::perms::others_all, fs::perms::none);
}

TEST_F(QueryLogTest, RotatesAtSizeKeepingN) {
  Counters c;
  QueryLog log(1, c.Ptrs());
  const auto path = dir_ / "q.log";
  log.Configure(QueryLogConfig{.path = path.string(), .max_bytes = 4096, .keep = 2});
  for (int i = 0; i < 200; ++i) {
    log.Push(0, Record(i));
    log.Flush();
  }
  EXPECT_GE(c.rotations.value(), 3u);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_TRUE(fs::exists(dir_ / "q.log.1"));
  EXPECT_TRUE(fs::exists(dir_ / "q.log.2"));
  EXPECT_FALSE(fs::exists(dir_ / "q.log.3"));
  for (const char* f : {"q.log", "q.log.1", "q.log.2"}) {
    EXPECT_LE(fs::file_size(dir_ / f), 4096u) << f;
  }
  // Nothing lost or split across the live file and the newest rotated one:
  // q.log.1 ends just before the first line of q.log.
  auto cur = Lines(path);
  auto prev = Lines(dir_ / "q.log.1");
  ASSERT_FALSE(cur.empty());
  ASSERT_FALSE(prev.empty());
  EXPECT_NE(cur.back().find("q199.example"), std::string::npos);
  const auto n_cur = cur.size();
  EXPECT_NE(prev.back().find("q" + std::to_string(199 - n_cur) + ".example"), std::string::npos);
}

TEST_F(QueryLogTest, FullQueueDropsAndCounts) {
  Counters c;
  QueryLog log(1, c.Ptrs());
  log.Configure(QueryLogConfig{.path = (dir_ / "q.log").string(), .queue_lines = 16});
  for (int i = 0; i < 100; ++i) {
    log.Push(0, Record(i));
  }
  EXPECT_EQ(c.dropped.value(), 84u);
  log.Flush();
  EXPECT_EQ(Lines(dir_ / "q.log").size(), 16u);
}

TEST_F(QueryLogTest, ReopenAfterLogrotateMovedTheFile) {
  Counters c;
  QueryLog log(1, c.Ptrs());
  const auto path = dir_ / "q.log";
  log.Configure(QueryLogConfig{.path = path.string()});
  log.Push(0, Record(1));
  log.Flush();
  fs::rename(path, dir_ / "q.log.old");
  log.Push(0, Record(2));
  log.Flush();  // still the moved file, as with any daemon before SIGHUP
  log.Reopen();
  log.Push(0, Record(3));
  log.Flush();
  EXPECT_EQ(Lines(dir_ / "q.log.old").size(), 2u);
  auto lines = Lines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("q3.example"), std::string::npos);
}

TEST_F(QueryLogTest, UnwritablePathDropsWithoutBlocking) {
  Counters c;
  QueryLog log(1, c.Ptrs());
  log.Configure(QueryLogConfig{.path = (dir_ / "missing" / "q.log").string()});
  log.Start(std::chrono::milliseconds(5));
  log.Push(0, Record(1));
  log.Stop();
  EXPECT_EQ(c.dropped.value(), 1u);
  EXPECT_GE(c.errors.value(), 1u);
}

}  // namespace
}  // namespace vigie::dns
