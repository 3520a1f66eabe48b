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

TEST(QuotedTest, EachStyleNamesWhatItsSyntaxNames) {
  const std::string in(
      "q\"b\\n\nb\bf\fx"
      "\x01"
      "d"
      "\x7f"
      "e\xc3\xa9");
  auto quoted = [&](QuoteStyle style) {
    std::string out;
    AppendQuoted(in, out, style);
    return out;
  };
  EXPECT_EQ(quoted(QuoteStyle::kYaml), "\"q\\\"b\\\\n\\nb\\x08f\\x0cx\\x01d\\x7fe\xc3\xa9\"");
  EXPECT_EQ(quoted(QuoteStyle::kEdn),
            "\"q\\\"b\\\\n\\nb\\bf\\fx"
            "\x01"
            "d"
            "\x7f"
            "e\xc3\xa9\"");
  EXPECT_EQ(quoted(QuoteStyle::kJson),
            "\"q\\\"b\\\\n\\nb\\bf\\fx\\u0001d\x7f"
            "e\xc3\xa9\"");
  EXPECT_EQ(quoted(QuoteStyle::kJsonOctets),
            "\"q\\\"b\\\\n\\u000ab\\u0008f\\u000cx\\u0001d\\u007fe\\u00c3\\u00a9\"");
}

TEST(JsonStringTest, Utf8TextIsCopiedAndControlsEscaped) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
  EXPECT_EQ(JsonString("a\nb\rc\td\be\ff"), "\"a\\nb\\rc\\td\\be\\ff\"");
  EXPECT_EQ(JsonString(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(JsonString(std::string("nul\0end", 7)), "\"nul\\u0000end\"");
  EXPECT_EQ(JsonString("d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(JsonStringTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string kFffd = "\xef\xbf\xbd";
  EXPECT_EQ(JsonString("a\xff"
                       "b"),
            "\"a" + kFffd + "b\"");
  EXPECT_EQ(JsonString("\xc3"), "\"" + kFffd + "\"") << "truncated sequence";
  EXPECT_EQ(JsonString("\xc0\xaf"), "\"" + kFffd + kFffd + "\"") << "overlong";
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"" + kFffd + kFffd + kFffd + "\"") << "surrogate";
  EXPECT_EQ(JsonString("\xf4\x90\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"")
      << "past U+10FFFF";
}

TEST(JsonStringTest, OctetsEscapeEverythingOutsidePrintableAscii) {
  EXPECT_EQ(JsonString("ads.example", JsonBytes::kOctets), "\"ads.example\"");
  EXPECT_EQ(JsonString("a\"b\\c", JsonBytes::kOctets), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("d\xc3\xa9\n\x7f", JsonBytes::kOctets), "\"d\\u00c3\\u00a9\\u000a\\u007f\"");
}

TEST(JsonStringTest, AppendsAfterWhatIsThere) {
  std::string out = "[";
  AppendJsonString("x", out);
  out += ",";
  AppendJsonString("y", out, JsonBytes::kOctets);
  EXPECT_EQ(out, "[\"x\",\"y\"");
}

TEST(PercentTest, DecodesEscapesAndPlusAndKeepsMalformedOnes) {
  EXPECT_EQ(PercentDecode("a%41%62+c"), "aAb c");
  EXPECT_EQ(PercentDecode("a+b", /*plus_is_space=*/false), "a+b");
  EXPECT_EQ(PercentDecode("%zz%4%"), "%zz%4%");
  EXPECT_EQ(PercentDecode("%"), "%");
  EXPECT_EQ(PercentDecode("%2"), "%2");
  EXPECT_EQ(PercentDecode("%00x"), std::string("\0x", 2));
  EXPECT_EQ(PercentDecode("%e2%82%AC"), "\xe2\x82\xac");
}

TEST(PercentTest, EncodesAllButUnreservedAndRoundTrips) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  std::string all;
  for (int c = 0; c < 256; ++c) {
    all += static_cast<char>(c);
  }
  EXPECT_EQ(PercentDecode(PercentEncode(all), false), all);
  EXPECT_EQ(PercentDecode(PercentEncode(all), true), all) << "'+' is always encoded";
}

TEST(PercentTest, QueryStringsSplitIntoDecodedPairs) {
  auto q = ParseQueryString("name=ads.example&n=20&&flag&q=a%3Db+c&=v");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"name", "ads.example"}));
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"n", "20"}));
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"q", "a=b c"}));
  EXPECT_EQ(q[4], (std::pair<std::string, std::string>{"", "v"}));
  EXPECT_TRUE(ParseQueryString("").empty());
}

}  // namespace
}  // namespace vigie
