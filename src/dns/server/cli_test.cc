// Tests for `vigie dns top`'s table.
#include "dns/server/cli.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

TEST(DnsCliTest, TopTableHasTheTotalAndOneLinePerName) {
  auto table = FormatTop(R"({"total":42,"names":[{"name":"ads.example","count":30,"error":2},)"
                         R"({"name":"tracker.example","count":12,"error":0}]})");
  ASSERT_TRUE(table) << table.error().ToString();
  EXPECT_EQ(*table,
            "     count    ±error  name   (42 blocked queries since start)\n"
            "        30          2  ads.example\n"
            "        12          0  tracker.example\n");
}

TEST(DnsCliTest, TopRefusesAnotherShape) {
  EXPECT_FALSE(FormatTop("not json"));
  EXPECT_FALSE(FormatTop(R"({"names":[]})"));
  EXPECT_FALSE(FormatTop(R"({"total":1,"names":[{"name":7,"count":1,"error":0}]})"));
  EXPECT_TRUE(FormatTop(R"({"total":0,"names":[]})"));
}

}  // namespace
}  // namespace vigie::dns
