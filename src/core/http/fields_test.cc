// Tests for field lookup and the comma-separated list rule.
#include "core/http/fields.h"

#include <gtest/gtest.h>

namespace vigie::http {
namespace {

TEST(FieldsTest, LookupIsCaseInsensitive) {
  std::vector<HeaderField> fields = {
      {"Content-Type", "text/plain"}, {"Via", "1.0 a"}, {"via", "1.1 b"}};
  EXPECT_EQ(FindField(fields, "content-type"), "text/plain");
  EXPECT_EQ(FindField(fields, "VIA"), "1.0 a");
  EXPECT_FALSE(FindField(fields, "Host"));
  EXPECT_EQ(CountFields(fields, "Via"), 2u);
  EXPECT_EQ(CountFields(fields, "Host"), 0u);
  EXPECT_EQ(CombineFields(fields, "Via"), "1.0 a, 1.1 b");
  EXPECT_EQ(CombineFields(fields, "Host"), "");
  EXPECT_TRUE(EqualsIgnoreCase("Keep-Alive", "keep-ALIVE"));
  EXPECT_FALSE(EqualsIgnoreCase("close", "closed"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // only letters fold
}

TEST(FieldsTest, SplitListTrimsAndDropsEmptyItems) {
  EXPECT_EQ(SplitList(" gzip ,\tchunked"), (std::vector<std::string_view>{"gzip", "chunked"}));
  EXPECT_EQ(SplitList("a, ,b,"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_TRUE(SplitList(" , ").empty());
  EXPECT_TRUE(ListHas("keep-alive, Close", "close"));
  EXPECT_FALSE(ListHas("closed", "close"));
}

}  // namespace
}  // namespace vigie::http
