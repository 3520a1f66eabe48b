// Tests for atomic file replacement.
#include "core/file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace vigie {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigie-file-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Files in the directory besides `keep`.
  size_t Others(const std::string& keep) const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      n += e.path().filename() != keep ? 1 : 0;
    }
    return n;
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, ReplacesTheContentAndLeavesNoTemporary) {
  auto path = (dir_ / "state").string();
  std::ofstream(path) << "old";
  ASSERT_TRUE(WriteFileAtomically(path, "new content"));
  EXPECT_EQ(Read(path), "new content");
  EXPECT_EQ(Others("state"), 0u);
}

TEST_F(AtomicFileTest, TheOldContentStaysUntilCommit) {
  auto path = (dir_ / "state").string();
  std::ofstream(path) << "old";
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->Append("part one, "));
  ASSERT_TRUE(f->Append("part two"));
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(Read(f->temp_path()), "part one, part two");
  ASSERT_TRUE(f->Commit());
  EXPECT_EQ(Read(path), "part one, part two");
  EXPECT_FALSE(f->Append("more")) << "a committed file takes no more bytes";
}

TEST_F(AtomicFileTest, AnAbandonedWriteKeepsTheOldFileAndRemovesItsTemporary) {
  auto path = (dir_ / "state").string();
  std::ofstream(path) << "old";
  {
    auto f = AtomicFile::Create(path);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->Append("half"));
  }
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(Others("state"), 0u);
}

TEST_F(AtomicFileTest, TheModeIsTheOneAskedForWhateverTheUmask) {
  auto path = (dir_ / "secret").string();
  mode_t old = ::umask(0);
  ASSERT_TRUE(WriteFileAtomically(path, "s", 0600));
  ::umask(077);
  auto wide = (dir_ / "wide").string();
  ASSERT_TRUE(WriteFileAtomically(wide, "w", 0644));
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(wide.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(AtomicFileTest, TwoWritersOfOnePathUseDistinctTemporaries) {
  auto path = (dir_ / "state").string();
  auto a = AtomicFile::Create(path);
  auto b = AtomicFile::Create(path);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->temp_path(), b->temp_path());
  ASSERT_TRUE(a->Append("a"));
  ASSERT_TRUE(b->Append("b"));
  ASSERT_TRUE(a->Commit());
  ASSERT_TRUE(b->Commit());
  EXPECT_EQ(Read(path), "b");
}

TEST_F(AtomicFileTest, AMissingDirectoryIsAnErrorNamingThePlace) {
  auto path = (dir_ / "no" / "state").string();
  auto r = WriteFileAtomically(path, "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find((dir_ / "no" / "state.tmp.").string()), std::string::npos)
      << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("No such file or directory"), std::string::npos);
}

TEST_F(AtomicFileTest, ASymlinkIsReplacedNotWrittenThrough) {
  auto target = (dir_ / "target").string();
  std::ofstream(target) << "untouched";
  auto link = (dir_ / "state").string();
  fs::create_symlink(target, link);
  ASSERT_TRUE(WriteFileAtomically(link, "new"));
  EXPECT_EQ(Read(target), "untouched");
  EXPECT_FALSE(fs::is_symlink(link));
  EXPECT_EQ(Read(link), "new");
}

}  // namespace
}  // namespace vigie
