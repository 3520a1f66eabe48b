#include "core/units.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DurationTest, ParsesUnits) {
  EXPECT_EQ(*ParseDuration("1500ms"), milliseconds(1500));
  EXPECT_EQ(*ParseDuration("10s"), seconds(10));
  EXPECT_EQ(*ParseDuration("3h"), hours(3));
  EXPECT_EQ(*ParseDuration("1m30s"), seconds(90));
  EXPECT_EQ(*ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*ParseDuration("2d"), hours(48));
  EXPECT_EQ(*ParseDuration("250us"), std::chrono::microseconds(250));
}

TEST(DurationTest, BareNumberTakesTheFieldsUnit) {
  EXPECT_EQ(*ParseDuration("30", BareUnit::kSeconds), seconds(30));
  EXPECT_EQ(*ParseDuration("30", BareUnit::kMilliseconds), milliseconds(30));
  auto r = ParseDuration("30");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(), "duration \"30\" needs a unit (ns, us, ms, s, m, h, d)");
}

TEST(DurationTest, RejectsBadInput) {
  EXPECT_EQ(
      ParseDuration("10 parsecs").error().ToString(),
      "unknown duration unit \"parsecs\" in \"10 parsecs\" (accepted: ns, us, ms, s, m, h, d)");
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("s"));
  EXPECT_FALSE(ParseDuration("1s30"));
  EXPECT_FALSE(ParseDuration("99999999999999999d"));
}

TEST(DurationTest, FormatsShortestExactUnit) {
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(seconds(90)), "90s");
  EXPECT_EQ(FormatDuration(minutes(2)), "2m");
  EXPECT_EQ(FormatDuration(hours(3)), "3h");
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
}

TEST(ByteSizeTest, ParsesDecimalAndBinaryUnits) {
  EXPECT_EQ(ParseByteSize("2GiB")->bytes, 2ULL << 30);
  EXPECT_EQ(ParseByteSize("512MB")->bytes, 512'000'000ULL);
  EXPECT_EQ(ParseByteSize("2147483648")->bytes, 2147483648ULL);
  EXPECT_EQ(ParseByteSize("1.5KiB")->bytes, 1536ULL);
  EXPECT_EQ(ParseByteSize("10 kB")->bytes, 10'000ULL);
}

TEST(ByteSizeTest, EtcdsTwoGTrapIsAnErrorListingTheForms) {
  auto r = ParseByteSize("2G");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(),
            "unknown size unit \"G\" in \"2G\"; accepted: a bare number of bytes, or a number with "
            "B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)");
  EXPECT_FALSE(ParseByteSize("2gb"));
  EXPECT_FALSE(ParseByteSize("1.5"));
  EXPECT_FALSE(ParseByteSize("GiB"));
  EXPECT_FALSE(ParseByteSize("99999999999TiB"));
}

TEST(ByteSizeTest, Formats) {
  EXPECT_EQ(FormatByteSize({2ULL << 30}), "2GiB");
  EXPECT_EQ(FormatByteSize({1000}), "1000");
}

TEST(SuggestTest, FindsCloseWords) {
  std::vector<std::string> keys = {"listen", "upstreams", "cache", "block_mode"};
  EXPECT_EQ(ClosestMatch("lisen", keys), "listen");
  EXPECT_EQ(ClosestMatch("upstream", keys), "upstreams");
  EXPECT_EQ(ClosestMatch("zzzzzzzz", keys), std::nullopt);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace vigie
