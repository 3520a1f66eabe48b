// Looking up runtime.user / runtime.group. Dropping root itself is tested on
// the real binary (tests/integration/test_lb.py), where a process can be
// given up for it.
#include "core/privileges.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace vigie {
namespace {

TEST(LookUpCredentialsTest, NamesAndNumbers) {
  auto root = LookUpCredentials("root", "");
  ASSERT_TRUE(root) << root.error().ToString();
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->gid, 0u);  // the user's primary group
  auto nobody = LookUpCredentials("nobody", "nogroup");
  ASSERT_TRUE(nobody) << nobody.error().ToString();
  EXPECT_EQ(nobody->uid, 65534u);
  EXPECT_EQ(nobody->gid, 65534u);
  EXPECT_EQ(nobody->text, "nobody:nogroup");
  // haproxy's uid/gid: numbers, with or without an entry.
  auto numeric = LookUpCredentials("4242", "4343");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 4242u);
  EXPECT_EQ(numeric->gid, 4343u);
  // Neither: the current ones.
  auto same = LookUpCredentials("", "");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->uid, geteuid());
}

TEST(LookUpCredentialsTest, UnknownNamesAreErrors) {
  auto u = LookUpCredentials("vigie-no-such-user", "");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code(), Errc::kNotFound);
  EXPECT_NE(u.error().ToString().find("vigie-no-such-user"), std::string::npos);
  EXPECT_FALSE(LookUpCredentials("nobody", "vigie-no-such-group"));
}

TEST(DropPrivilegesTest, ToWhoWeAreIsANoOp) {
  auto same = LookUpCredentials("", "");
  ASSERT_TRUE(same);
  same->gid = getgid();
  same->uid = getuid();
  EXPECT_TRUE(DropPrivileges(*same));
}

}  // namespace
}  // namespace vigie
