// Tests for the proxy's DNS stub codec: query bytes, answers with
// compression, CNAME chains, and every bound.
#include "egress/proxy/dns_stub.h"

#include <gtest/gtest.h>

namespace vigie::egress::proxy {
namespace {

std::vector<uint8_t> Bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// Response to "a.test A": a CNAME to b.test (compressed), then b.test A.
const std::string kResponse = std::string(
    "\x12\x34\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00"
    "\x01"
    "a\x04test\x00\x00\x01\x00\x01"
    "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x04\x01"
    "b\xc0\x0e"
    "\x01"
    "b\xc0\x0e\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x05"
    "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x1e\x00\x10"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01",
    86);

TEST(DnsStubTest, Query) {
  auto q = BuildDnsQuery("Allowed.test.", kDnsTypeA, 0x1234);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                            "\x07"
                            "Allowed\x04test\x00\x00\x01\x00\x01",
                            30));
  EXPECT_FALSE(BuildDnsQuery("", kDnsTypeA, 1));
  EXPECT_FALSE(BuildDnsQuery("a..b", kDnsTypeA, 1));
  EXPECT_FALSE(BuildDnsQuery(std::string(64, 'a') + ".test", kDnsTypeA, 1));
}

TEST(DnsStubTest, AnswerWithCnameAndAaaa) {
  auto bytes = Bytes(kResponse);
  auto a = ParseDnsResponse(bytes);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->id, 0x1234);
  EXPECT_EQ(a->rcode, 0);
  ASSERT_EQ(a->addresses.size(), 2u);
  EXPECT_EQ(a->addresses[0].ToString(), "127.0.0.5");
  EXPECT_EQ(a->addresses[1].ToString(), "::1");
  EXPECT_EQ(a->min_ttl, 30u);  // the AAAA's 30 s, not the A's 60 s (the CNAME does not count)
}

TEST(DnsStubTest, EveryTruncationIsAnErrorOrShorter) {
  auto bytes = Bytes(kResponse);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto a = ParseDnsResponse(std::span(bytes.data(), n));
    if (a) {
      EXPECT_LT(a->addresses.size(), 2u) << n;
    }
  }
}

TEST(DnsStubTest, Errors) {
  auto bytes = Bytes(kResponse);
  bytes[2] &= 0x7f;  // a query, not a response
  EXPECT_FALSE(ParseDnsResponse(bytes));
  bytes = Bytes(kResponse);
  bytes[12 + 12] = 0xc0;  // pointer to itself in the first answer's name
  bytes[12 + 13] = 0x18;
  EXPECT_FALSE(ParseDnsResponse(bytes));
  std::vector<uint8_t> big(kMaxDnsMessage + 1, 0);
  EXPECT_FALSE(ParseDnsResponse(big));
  auto nx = Bytes(std::string("\x00\x07\x81\x83\x00\x00\x00\x00\x00\x00\x00\x00", 12));
  auto r = ParseDnsResponse(nx);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rcode, 3);
  EXPECT_TRUE(r->addresses.empty());
}

}  // namespace
}  // namespace vigie::egress::proxy
