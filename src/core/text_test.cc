#include "core/text.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

TEST(YamlQuoteTest, EscapesWhatYamlWouldReadOtherwise) {
  EXPECT_EQ(YamlQuote(""), "\"\"");
  EXPECT_EQ(YamlQuote("10.0.0.1:80"), "\"10.0.0.1:80\"");
  EXPECT_EQ(YamlQuote("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
  EXPECT_EQ(YamlQuote("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"");
  EXPECT_EQ(YamlQuote(std::string("\x01\x1f\x7f", 3)), "\"\\x01\\x1f\\x7f\"");
  EXPECT_EQ(YamlQuote(std::string("nul\0end", 7)), "\"nul\\x00end\"");
  EXPECT_EQ(YamlQuote("d\xc3\xa9j\xc3\xa0 # not a comment"),
            "\"d\xc3\xa9j\xc3\xa0 # not a comment\"");
}

}  // namespace
}  // namespace vigie
