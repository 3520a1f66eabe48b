#include "core/error.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return Error(Errc::kInvalidArgument, "odd number " + std::to_string(x));
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  VIGIE_ASSIGN_OR_RETURN(int h, Half(x));
  VIGIE_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Result<void> CheckEven(int x) {
  VIGIE_TRY(Half(x));
  return {};
}

TEST(ResultTest, ValuePropagates) {
  auto r = Quarter(8);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 2);
}

TEST(ResultTest, ErrorPropagatesWithContext) {
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(), "odd number 3");
}

TEST(ResultTest, TryOnVoid) {
  EXPECT_TRUE(CheckEven(4));
  EXPECT_FALSE(CheckEven(5));
}

TEST(ErrorTest, ToStringJoinsContextAndMessage) {
  Error e(Errc::kTimeout, "127.0.0.1:53");
  EXPECT_EQ(e.ToString(), "127.0.0.1:53: timed out");
  Error plain(Errc::kNotFound);
  EXPECT_EQ(plain.ToString(), "not found");
  Error wrapped = Error(Errc::kTimeout, "upstream").WithContext("query www.example");
  EXPECT_EQ(wrapped.ToString(), "query www.example: upstream: timed out");
}

TEST(ErrorTest, ComparesByCode) {
  EXPECT_EQ(Error(Errc::kIo, "a"), Error(Errc::kIo, "b"));
  EXPECT_NE(Error(Errc::kIo), Error(Errc::kTimeout));
  std::error_code ec = std::make_error_code(std::errc::connection_refused);
  Error sys(ec, "connect");
  EXPECT_EQ(sys.code(), std::errc::connection_refused);
}

TEST(ResultTest, ValueOnErrorThrows) {
  Result<int> r = Error(Errc::kIo, "disk");
  EXPECT_THROW((void)r.value(), std::runtime_error);
}

}  // namespace
}  // namespace vigie
