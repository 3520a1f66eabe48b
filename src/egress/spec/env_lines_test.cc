// Tests for the bash `read` emulation, checked against bash 5.2 behaviour.
#include "egress/spec/env_lines.h"

#include <gtest/gtest.h>

namespace vigie::egress {
namespace {

std::vector<std::string> Texts(std::string_view value) {
  std::vector<std::string> out;
  for (const EnvLine& line : SplitEnvLines(value)) {
    out.push_back(line.text);
  }
  return out;
}

TEST(EnvLinesTest, HereStringAddsOneEmptyLineAfterATrailingNewline) {
  EXPECT_EQ(Texts("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Texts("a\n"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(Texts("a\nb"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Texts(""), (std::vector<std::string>{""}));
}

TEST(EnvLinesTest, TrimsUnescapedBlanksKeepsInnerOnes) {
  EXPECT_EQ(Texts(" \t x \t y\t "), (std::vector<std::string>{"x \t y"}));
}

TEST(EnvLinesTest, BackslashEscapesAndContinuations) {
  // Same input as `printf 'a\\ b \\\n c\\\\d\n' | while read l` in bash:
  // "a b  c\d" (escaped space kept, continuation joins, "\\" is "\").
  auto lines = SplitEnvLines("a\\ b \\\n c\\\\d\nnext");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "a b  c\\d");
  EXPECT_EQ(lines[0].line, 1);
  EXPECT_EQ(lines[1].text, "next");
  EXPECT_EQ(lines[1].line, 3);  // physical line numbers survive continuations
  // An escaped blank at an end is not trimmed.
  EXPECT_EQ(Texts("x\\ "), (std::vector<std::string>{"x "}));
  EXPECT_EQ(Texts("\\#x"), (std::vector<std::string>{"#x"}));
}

TEST(EnvLinesTest, TrailingLoneBackslashKeepsTheLine) {
  EXPECT_EQ(Texts("a\nb\\"), (std::vector<std::string>{"a", "b"}));
}

TEST(EnvLinesTest, NulBytesDropped) {
  EXPECT_EQ(Texts(std::string_view("a\0b", 3)), (std::vector<std::string>{"ab"}));
}

}  // namespace
}  // namespace vigie::egress
