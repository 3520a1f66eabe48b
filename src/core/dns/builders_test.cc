// Tests for the synthesized responses.
#include "core/dns/builders.h"

#include <gtest/gtest.h>

#include "core/dns/test_util.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

using testing::MakeQuery;
using testing::N;
using testing::Raw;

Message RoundTrip(const Message& m, size_t max = 65535) {
  std::vector<std::byte> out;
  Encode(m, &out, max);
  auto back = DecodeMessage(out);
  EXPECT_TRUE(back) << back.error().ToString();
  return back ? *back : Message{};
}

TEST(BuildersTest, NxdomainCarriesSoaForNegativeCaching) {
  Message q = MakeQuery("ads.tracker.example", rr_type::kA);
  auto soa = SyntheticSoa(N("tracker.example"), 10);
  ResponseOptions opts;
  opts.extended_error = ExtendedError{ede::kBlocked, "adservers.txt:12"};
  Message r = RoundTrip(BuildNxdomain(q, soa, opts));
  EXPECT_EQ(r.header.id, 0xBEEF);
  EXPECT_TRUE(r.header.qr);
  EXPECT_TRUE(r.header.aa);
  EXPECT_TRUE(r.header.rd);
  EXPECT_TRUE(r.header.ra);
  EXPECT_EQ(r.FullRcode(), rcode::kNxDomain);
  EXPECT_EQ(r.questions, q.questions);
  EXPECT_TRUE(r.answers.empty());
  ASSERT_EQ(r.authorities.size(), 1u);
  EXPECT_EQ(r.authorities[0].name, N("tracker.example"));
  auto parsed = ParseSoa(r.authorities[0]);
  ASSERT_TRUE(parsed);
  // RFC 2308 §5: negative TTL = min(SOA TTL, MINIMUM).
  EXPECT_EQ(std::min(r.authorities[0].ttl, parsed->minimum), 10u);
  ASSERT_TRUE(r.edns);
  auto ede = r.edns->FindExtendedError();
  ASSERT_TRUE(ede);
  EXPECT_EQ(ede->info_code, ede::kBlocked);
  EXPECT_EQ(ede->extra_text, "adservers.txt:12");
}

TEST(BuildersTest, NoEdnsNoEde) {
  Message q = MakeQuery("ads.example", rr_type::kA, /*edns=*/false);
  ResponseOptions opts;
  opts.extended_error = ExtendedError{ede::kBlocked, ""};
  Message r = RoundTrip(BuildNxdomain(q, SyntheticSoa(N("ads.example"), 10), opts));
  EXPECT_FALSE(r.edns);
  EXPECT_EQ(r.FullRcode(), rcode::kNxDomain);
}

TEST(BuildersTest, EdnsEchoesDoAndAdvertisesOurSize) {
  Message q = MakeQuery("a.example", rr_type::kA);
  q.edns->udp_size = 4096;
  q.edns->dnssec_ok = true;
  q.edns->options.push_back({edns_option::kCookie, Raw({1, 2, 3, 4, 5, 6, 7, 8})});
  Message r = RoundTrip(BuildRefused(q));
  ASSERT_TRUE(r.edns);
  EXPECT_EQ(r.edns->udp_size, kDefaultEdnsUdpSize);
  EXPECT_TRUE(r.edns->dnssec_ok);
  EXPECT_TRUE(r.edns->options.empty());
  EXPECT_EQ(r.FullRcode(), rcode::kRefused);
}

TEST(BuildersTest, Nodata) {
  Message q = MakeQuery("a.example", rr_type::kHttps);
  Message r = RoundTrip(BuildNodata(q, SyntheticSoa(N("a.example"), 30)));
  EXPECT_EQ(r.FullRcode(), rcode::kNoError);
  EXPECT_TRUE(r.answers.empty());
  ASSERT_EQ(r.authorities.size(), 1u);
  EXPECT_EQ(r.authorities[0].type, rr_type::kSoa);
}

TEST(BuildersTest, FormerrEchoesIdWithoutQuestion) {
  Header h;
  h.id = 0x0102;
  h.rd = true;
  h.opcode = 0;
  Message r = RoundTrip(BuildFormerr(h));
  EXPECT_EQ(r.header.id, 0x0102);
  EXPECT_TRUE(r.header.qr);
  EXPECT_TRUE(r.header.rd);
  EXPECT_EQ(r.FullRcode(), rcode::kFormErr);
  EXPECT_TRUE(r.questions.empty());
}

TEST(BuildersTest, NotImpAndTruncated) {
  Message q = MakeQuery("a.example", rr_type::kA);
  q.header.opcode = opcode::kUpdate;
  Message r = RoundTrip(BuildNotImp(q));
  EXPECT_EQ(r.FullRcode(), rcode::kNotImp);
  EXPECT_EQ(r.header.opcode, opcode::kUpdate);
  Message t = RoundTrip(BuildTruncated(MakeQuery("a.example", rr_type::kA)));
  EXPECT_TRUE(t.header.tc);
  EXPECT_EQ(t.questions.size(), 1u);
}

TEST(BuildersTest, NullAddressAnswersEveryType) {
  const std::vector<std::array<uint8_t, 4>> v4 = {{0, 0, 0, 0}};
  const std::vector<std::array<uint8_t, 16>> v6 = {{}};
  auto soa = SyntheticSoa(N("blocked.example"), 10);
  Message a =
      RoundTrip(BuildAddressAnswer(MakeQuery("x.blocked.example", rr_type::kA), 10, v4, v6, soa));
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].name, N("x.blocked.example"));
  EXPECT_EQ(a.answers[0].rdata, Raw({0, 0, 0, 0}));
  EXPECT_EQ(a.answers[0].ttl, 10u);
  EXPECT_TRUE(a.authorities.empty());
  Message aaaa = RoundTrip(
      BuildAddressAnswer(MakeQuery("x.blocked.example", rr_type::kAaaa), 10, v4, v6, soa));
  ASSERT_EQ(aaaa.answers.size(), 1u);
  EXPECT_EQ(aaaa.answers[0].rdata.size(), 16u);
  // HTTPS (ipv4hint/ipv6hint would leak) and TXT: NODATA, never forwarded.
  for (uint16_t type : {rr_type::kHttps, rr_type::kSvcb, rr_type::kTxt, rr_type::kMx}) {
    Message other =
        RoundTrip(BuildAddressAnswer(MakeQuery("x.blocked.example", type), 10, v4, v6, soa));
    EXPECT_TRUE(other.answers.empty()) << type;
    EXPECT_EQ(other.FullRcode(), rcode::kNoError);
    ASSERT_EQ(other.authorities.size(), 1u);
  }
}

TEST(BuildersTest, CustomIpv4OnlyGivesNodataForAaaa) {
  const std::vector<std::array<uint8_t, 4>> v4 = {{192, 168, 1, 10}, {192, 168, 1, 11}};
  auto soa = SyntheticSoa(N("nas.home"), 60);
  Message a = RoundTrip(BuildAddressAnswer(MakeQuery("nas.home", rr_type::kA), 60, v4, {}, soa));
  ASSERT_EQ(a.answers.size(), 2u);
  EXPECT_EQ(a.answers[1].rdata, Raw({192, 168, 1, 11}));
  Message aaaa =
      RoundTrip(BuildAddressAnswer(MakeQuery("nas.home", rr_type::kAaaa), 60, v4, {}, soa));
  EXPECT_TRUE(aaaa.answers.empty());
  EXPECT_EQ(aaaa.authorities.size(), 1u);
}

}  // namespace
}  // namespace vigie::dns
