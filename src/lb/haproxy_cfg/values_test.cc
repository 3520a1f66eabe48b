// Tests for the value readers: haproxy's time values and their rendering,
// bounded integers, host names, and the quoting of words in messages.
#include "lb/haproxy_cfg/values.h"

#include <string>

#include <gtest/gtest.h>

#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg {
namespace {

using namespace std::chrono_literals;

TEST(TimeTest, Units) {
  EXPECT_EQ(*ParseTime("5000"), 5000ms);
  EXPECT_EQ(*ParseTime("1500us"), 1ms);  // truncated, as haproxy
  EXPECT_EQ(*ParseTime("10ms"), 10ms);
  EXPECT_EQ(*ParseTime("10s"), 10s);
  EXPECT_EQ(*ParseTime("3m"), 3min);
  EXPECT_EQ(*ParseTime("3h"), 3h);
  EXPECT_EQ(*ParseTime("2d"), 48h);
  EXPECT_EQ(*ParseTime("24d"), 24 * 24h);
  EXPECT_EQ(*ParseTime("2147483647"), Millis(2147483647));
  EXPECT_FALSE(ParseTime("2147483648"));
  EXPECT_FALSE(ParseTime("25d"));
  EXPECT_FALSE(ParseTime(""));
  EXPECT_FALSE(ParseTime("s"));
  EXPECT_FALSE(ParseTime("-1s"));
  EXPECT_FALSE(ParseTime("1.5s"));
  EXPECT_FALSE(ParseTime("10S"));
  EXPECT_FALSE(ParseTime("99999999999999999999999"));
}

TEST(TimeTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(2s), "2s");
  EXPECT_EQ(FormatDuration(3h), "3h");
  EXPECT_EQ(FormatDuration(90s), "90s");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatDuration(0ms), "0s");
  EXPECT_EQ(FormatDuration(48h), "2d");
  EXPECT_EQ(FormatDuration(15min), "15m");
}

TEST(TimeTest, ErrorsNameTheArgument) {
  EXPECT_EQ(ParseTime("5x").error().context(), "unexpected character 'x' in argument '5x'");
  EXPECT_EQ(ParseTime("s").error().context(), "expected a number in argument 's'");
  EXPECT_EQ(ParseTime("").error().context(), "expected a number in argument ''");
  EXPECT_EQ(ParseTime("25d").error().context(),
            "timer overflow in argument '25d' (maximum value is 2147483647 ms or ~24.8 days)");
  EXPECT_EQ(ParseTime("5x").error().code(), Errc::kInvalidArgument);
}

TEST(TimeTest, FormatDurationRoundTripsThroughParseTime) {
  for (Millis d : {Millis(0), Millis(1), Millis(999), Millis(1000), Millis(61000), Millis(3600000),
                   Millis(90061000), Millis(2147483647)}) {
    auto back = ParseTime(FormatDuration(d));
    ASSERT_TRUE(back) << FormatDuration(d);
    EXPECT_EQ(back.value(), d) << FormatDuration(d);
  }
}

}  // namespace

namespace internal {
namespace {

TEST(ParseIntTest, WithinBounds) {
  EXPECT_EQ(ParseInt("42", 0, 100).value(), 42);
  EXPECT_EQ(ParseInt("-1", -1, 10).value(), -1);
  EXPECT_EQ(ParseInt("65535", 1, 65535).value(), 65535);
  EXPECT_EQ(ParseInt("007", 0, 10).value(), 7);
}

TEST(ParseIntTest, Errors) {
  EXPECT_EQ(ParseInt("0", 1, 65535).error().context(), "'0' is not within 1 and 65535");
  EXPECT_EQ(ParseInt("65536", 1, 65535).error().context(), "'65536' is not within 1 and 65535");
  EXPECT_EQ(ParseInt("", 0, 1).error().context(), "'' is not an integer");
  EXPECT_EQ(ParseInt("12a", 0, 100).error().context(), "'12a' is not an integer");
  EXPECT_EQ(ParseInt(" 1", 0, 100).error().context(), "' 1' is not an integer");
  EXPECT_EQ(ParseInt("+1", 0, 100).error().context(), "'+1' is not an integer");
  EXPECT_EQ(ParseInt("99999999999999999999", 0, 100).error().context(),
            "'99999999999999999999' is not an integer");
  EXPECT_EQ(ParseInt("x", 0, 1).error().code(), Errc::kInvalidArgument);
}

TEST(QuoteTest, SingleQuotes) {
  EXPECT_EQ(Quote("a b"), "'a b'");
  EXPECT_EQ(Quote(""), "''");
}

TEST(IsHostNameTest, LettersDigitsDashDotUnderscore) {
  EXPECT_TRUE(IsHostName("api.example.com"));
  EXPECT_TRUE(IsHostName("kube_api-1"));
  EXPECT_TRUE(IsHostName(std::string(253, 'a')));
  EXPECT_FALSE(IsHostName(std::string(254, 'a')));
  EXPECT_FALSE(IsHostName(""));
  EXPECT_FALSE(IsHostName("a b"));
  EXPECT_FALSE(IsHostName("fe80::1"));
  EXPECT_FALSE(IsHostName("[::1]"));
  EXPECT_FALSE(IsHostName("h\xC3\xA9"));
}

}  // namespace
}  // namespace internal
}  // namespace vigie::lb::haproxy_cfg
