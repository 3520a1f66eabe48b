// Tests for the resolver's hosts table.
#include "egress/proxy/hosts.h"

#include <gtest/gtest.h>

namespace vigie::egress::proxy {
namespace {

TEST(HostsTableTest, ParsesNamesAliasesAndComments) {
  auto t = HostsTable::Parse(
      "# test names\n127.0.0.1 allowed.test Alias.Test  # trailing\n\n"
      "::1\tallowed.test\n127.0.0.70 intranet.test\r\n");
  ASSERT_TRUE(t) << t.error().ToString();
  const auto* a = t->Find("ALLOWED.test.");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].ToString(), "127.0.0.1");
  EXPECT_EQ((*a)[1].ToString(), "::1");
  EXPECT_NE(t->Find("alias.test"), nullptr);
  EXPECT_EQ(t->Find("intranet.test")->front().ToString(), "127.0.0.70");
  EXPECT_EQ(t->Find("perdu.com"), nullptr);
}

TEST(HostsTableTest, ErrorsNameTheLine) {
  auto t = HostsTable::Parse("127.0.0.1 a.test\n10.0.0 b.test\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().ToString(), "line 2: not an address: \"10.0.0\"");
  auto u = HostsTable::Parse("127.0.0.1\n");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().ToString(), "line 1: address without a name");
}

}  // namespace
}  // namespace vigie::egress::proxy
