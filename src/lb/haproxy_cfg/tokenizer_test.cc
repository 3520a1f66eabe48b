// Tests for the line splitter and the tokenizer: blanks, comments, haproxy's
// quotes and escapes, the NBSP and '$' flags, and each error.
#include "lb/haproxy_cfg/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::haproxy_cfg::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The words of `line`, which must tokenize.
std::vector<std::string> Words(std::string_view line) {
  auto tokens = Tokenize(line);
  EXPECT_TRUE(tokens) << line << ": " << (tokens ? "" : tokens.error().context());
  return tokens ? tokens->words : std::vector<std::string>{"<error>"};
}

std::string TokenizeError(std::string_view line) {
  auto tokens = Tokenize(line);
  EXPECT_FALSE(tokens) << line;
  if (tokens) {
    return "<no error>";
  }
  EXPECT_EQ(tokens.error().code(), Errc::kInvalidArgument);
  return tokens.error().context();
}

TEST(NextLineTest, SplitsOnNewlineAndKeepsCarriageReturn) {
  std::string_view text = "a b\r\n\nlast";
  std::size_t pos = 0;
  EXPECT_EQ(NextLine(text, pos), "a b\r");
  EXPECT_EQ(pos, 5u);
  EXPECT_EQ(NextLine(text, pos), "");
  EXPECT_EQ(pos, 6u);
  EXPECT_EQ(NextLine(text, pos), "last");  // no '\n' at the end
  EXPECT_EQ(pos, text.size());
}

TEST(NextLineTest, FinalNewlineEndsTheText) {
  std::string_view text = "x\n";
  std::size_t pos = 0;
  EXPECT_EQ(NextLine(text, pos), "x");
  EXPECT_EQ(pos, text.size());  // no empty line after the last '\n'
}

TEST(TokenizeTest, BlanksSeparateWords) {
  EXPECT_THAT(Words("  server  s\t1.1.1.1:1 \r"), ElementsAre("server", "s", "1.1.1.1:1"));
  EXPECT_THAT(Words("a\rb"), ElementsAre("a", "b"));  // '\r' is a blank
  EXPECT_THAT(Words(""), IsEmpty());
  EXPECT_THAT(Words(" \t "), IsEmpty());
}

TEST(TokenizeTest, HashOutsideQuotesEndsTheLine) {
  EXPECT_THAT(Words("bind :80 # a comment"), ElementsAre("bind", ":80"));
  EXPECT_THAT(Words("a#b c"), ElementsAre("a"));  // even inside a word
  EXPECT_THAT(Words("# only a comment"), IsEmpty());
  EXPECT_THAT(Words("'#' \"a#b\" a\\#b"), ElementsAre("#", "a#b", "a#b"));
}

TEST(TokenizeTest, SingleQuotesAreLiteral) {
  EXPECT_THAT(Words("'a b' 'c\\d' '\"' '$HOME'"), ElementsAre("a b", "c\\d", "\"", "$HOME"));
  EXPECT_THAT(Words("''"), ElementsAre(""));  // an empty word
  EXPECT_THAT(Words("a'b c'd"), ElementsAre("ab cd"));
}

TEST(TokenizeTest, DoubleQuotesGroupAndAllowEscapes) {
  EXPECT_THAT(Words("\"a b\" \"x\\ty\" \"it's\" \"q\\\"q\""),
              ElementsAre("a b", "x\ty", "it's", "q\"q"));
  EXPECT_THAT(Words("\"\""), ElementsAre(""));
  EXPECT_THAT(Words("a\"b\"'c'd"), ElementsAre("abcd"));  // quoted parts join one word
  EXPECT_THAT(Words("\"a\rb\""), ElementsAre("a\rb"));    // no blank inside quotes
}

TEST(TokenizeTest, Escapes) {
  EXPECT_THAT(Words("a\\ b c"), ElementsAre("a b", "c"));
  EXPECT_THAT(Words("\\r\\n\\t"), ElementsAre("\r\n\t"));
  EXPECT_THAT(Words("\\x41\\x7e\\x00z"), ElementsAre(std::string("A~\0z", 4)));
  EXPECT_THAT(Words("\\\\ \\' \\\" \\q"), ElementsAre("\\", "'", "\"", "q"));
  EXPECT_THAT(Words("end\\"), ElementsAre("end\\"));  // a final '\' stays
  EXPECT_THAT(Words("\\ "), ElementsAre(" "));        // an escaped blank makes a word
}

TEST(TokenizeTest, NonBreakingSpaceIsABlankAndFlagged) {
  auto tokens = Tokenize("bind\xC2\xA0:80\xC2\xA0\xC2\xA0x");
  ASSERT_TRUE(tokens);
  EXPECT_THAT(tokens->words, ElementsAre("bind", ":80", "x"));
  EXPECT_TRUE(tokens->nbsp);
  EXPECT_FALSE(Tokenize("bind :80").value().nbsp);
  // Quoted, it is part of the word; a lone 0xC2 is an ordinary byte.
  tokens = Tokenize("'a\xC2\xA0z' b\xC2");
  ASSERT_TRUE(tokens);
  EXPECT_THAT(tokens->words, ElementsAre("a\xC2\xA0z", "b\xC2"));
  EXPECT_FALSE(tokens->nbsp);
}

// haproxy expands "$VAR" and "${VAR}" inside double quotes; vigie does not,
// keeps the text and flags the line so the reader can say so.
TEST(TokenizeTest, DollarInDoubleQuotesIsKeptAndFlagged) {
  auto tokens = Tokenize("\"$HOME\" \"${VAR}/x\"");
  ASSERT_TRUE(tokens);
  EXPECT_THAT(tokens->words, ElementsAre("$HOME", "${VAR}/x"));
  EXPECT_TRUE(tokens->dollar_in_double_quotes);
  for (std::string_view line : {"$HOME ${VAR}", "'$HOME'", "\"\\$X\"", "\"plain\""}) {
    tokens = Tokenize(line);
    ASSERT_TRUE(tokens) << line;
    EXPECT_FALSE(tokens->dollar_in_double_quotes) << line;
  }
  EXPECT_THAT(Words("\"\\$X\""), ElementsAre("$X"));
}

TEST(TokenizeTest, Errors) {
  EXPECT_EQ(TokenizeError("a \"b"), "unmatched double quote");
  EXPECT_EQ(TokenizeError("a 'b\" c"), "unmatched single quote");
  EXPECT_EQ(TokenizeError("'a' \"#"), "unmatched double quote");  // '#' is quoted
  EXPECT_EQ(TokenizeError("\\xZZ"), "truncated or invalid hexadecimal sequence");
  EXPECT_EQ(TokenizeError("\\x4"), "truncated or invalid hexadecimal sequence");
  EXPECT_EQ(TokenizeError("\"\\x4\""), "truncated or invalid hexadecimal sequence");
  EXPECT_THAT(Words("# \"unmatched after a comment"), IsEmpty());
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg::internal
