// Tests for the message decoder: hand-assembled captures, every truncation,
// and one test per error path.
#include "core/dns/message.h"

#include <gtest/gtest.h>

#include "core/dns/test_util.h"

namespace vigie::dns {
namespace {

using testing::Hex;
using testing::N;
using testing::Raw;

// dig www.example.com A +cookie: ID 0x1234, RD+AD, EDNS 1232 with an 8-octet
// client cookie (RFC 7873).
const char kQuery[] =
    "1234 0120 0001 0000 0000 0001"
    "03777777 076578616d706c65 03636f6d 00 0001 0001"
    "00 0029 04d0 00000000 000c 000a 0008 0102030405060708";

// Its answer: www.example.com CNAME cdn.example.com (compressed into the
// question) and cdn.example.com A 93.184.216.34 (pointer to the CNAME RDATA).
const char kResponse[] =
    "1234 8180 0001 0002 0000 0000"
    "03777777 076578616d706c65 03636f6d 00 0001 0001"
    "c00c 0005 0001 00000e10 0006 03 63646e c010"
    "c02d 0001 0001 0000003c 0004 5db8d822";

TEST(DecodeTest, DigQuery) {
  auto wire = Hex(kQuery);
  ASSERT_EQ(wire.size(), 56u);
  auto m = DecodeQuery(wire);
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->header.id, 0x1234);
  EXPECT_FALSE(m->header.qr);
  EXPECT_TRUE(m->header.rd);
  EXPECT_TRUE(m->header.ad);
  EXPECT_FALSE(m->header.cd);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, N("www.example.com"));
  EXPECT_EQ(m->questions[0].type, rr_type::kA);
  EXPECT_EQ(m->questions[0].klass, rr_class::kIn);
  ASSERT_TRUE(m->edns);
  EXPECT_EQ(m->edns->udp_size, 1232);
  EXPECT_FALSE(m->edns->dnssec_ok);
  ASSERT_EQ(m->edns->options.size(), 1u);
  EXPECT_EQ(m->edns->options[0].code, edns_option::kCookie);
  EXPECT_EQ(m->edns->options[0].data, Hex("0102030405060708"));
  EXPECT_TRUE(m->additionals.empty());  // OPT lives in edns only
}

TEST(DecodeTest, CompressedResponseExpandsCnameRdata) {
  auto wire = Hex(kResponse);
  auto m = DecodeMessage(wire);
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.ra);
  ASSERT_EQ(m->answers.size(), 2u);
  const auto& cname = m->answers[0];
  EXPECT_EQ(cname.name, N("www.example.com"));
  EXPECT_EQ(cname.type, rr_type::kCname);
  EXPECT_EQ(cname.ttl, 3600u);
  // The RDATA no longer holds the pointer: it is the full name.
  EXPECT_EQ(cname.rdata.size(), N("cdn.example.com").wire_size());
  auto target = RdataName(cname);
  ASSERT_TRUE(target);
  EXPECT_EQ(*target, N("cdn.example.com"));
  const auto& a = m->answers[1];
  EXPECT_EQ(a.name, N("cdn.example.com"));
  EXPECT_EQ(a.rdata, Raw({93, 184, 216, 34}));
  EXPECT_FALSE(m->edns);
}

TEST(DecodeTest, EveryTruncationFailsCleanly) {
  for (const char* hex : {kQuery, kResponse}) {
    auto wire = Hex(hex);
    for (size_t len = 0; len < wire.size(); ++len) {
      auto r = DecodeMessage(std::span(wire).first(len));
      ASSERT_FALSE(r) << "prefix " << len;
      EXPECT_EQ(r.error().code(), Errc::kTruncated)
          << "prefix " << len << ": " << r.error().ToString();
    }
    EXPECT_TRUE(DecodeMessage(wire));
  }
}

TEST(DecodeTest, EveryByteFlipNeverCrashes) {
  // Not an oracle: just that every single-octet corruption decodes or fails.
  auto wire = Hex(kResponse);
  for (size_t i = 0; i < wire.size(); ++i) {
    for (int v : {0x00, 0x3F, 0x40, 0xC0, 0xFF}) {
      auto copy = wire;
      copy[i] = static_cast<std::byte>(v);
      auto r = DecodeMessage(copy);
      if (r) {
        EXPECT_LE(r->answers.size(), 2u);
      }
    }
  }
}

TEST(DecodeErrorTest, TruncatedHeader) {
  auto r = DecodeHeader(Raw({0x12, 0x34, 0x01}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kTruncated);
  EXPECT_EQ(DecodeMessage({}).error().code(), Errc::kTruncated);
}

TEST(DecodeErrorTest, HugeCountsAreRefusedBeforeReading) {
  auto wire = Hex("0000 0000 ffff 0000 0000 0000");
  auto r = DecodeMessage(wire);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kTooManyRecords);
  EXPECT_NE(r.error().ToString().find("question"), std::string::npos);
  // Under the limit but more than the octets can hold.
  wire = Hex("0000 0000 0000 00c8 0000 0000 00");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kTruncated);
  Limits tight;
  tight.max_records_per_section = 1;
  EXPECT_EQ(DecodeMessage(Hex(kResponse), tight).error().code(), Errc::kTooManyRecords);
}

TEST(DecodeErrorTest, PointerLoopInQuestion) {
  auto wire = Hex("0000 0100 0001 0000 0000 0000 c00c 0001 0001");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadPointer);
}

TEST(DecodeErrorTest, ForwardPointerInQuestion) {
  auto wire = Hex("0000 0100 0001 0000 0000 0000 c012 0001 0001 0161 00");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadPointer);
}

TEST(DecodeErrorTest, BadLabelLength) {
  // 0x41: reserved label type 01.
  auto wire = Hex("0000 0100 0001 0000 0000 0000 41 61 00 0001 0001");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadLabel);
}

TEST(DecodeErrorTest, QrSetWhereAQueryIsExpected) {
  auto wire = Hex(kResponse);
  auto r = DecodeQuery(wire);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kNotAQuery);
  EXPECT_TRUE(DecodeMessage(wire));
}

TEST(DecodeErrorTest, QueryWithoutExactlyOneQuestion) {
  auto none = Hex("0000 0100 0000 0000 0000 0000");
  EXPECT_EQ(DecodeQuery(none).error().code(), Errc::kNotAQuery);
  auto two = Hex("0000 0100 0002 0000 0000 0000 00 0001 0001 00 0001 0001");
  EXPECT_EQ(DecodeQuery(two).error().code(), Errc::kNotAQuery);
  EXPECT_TRUE(DecodeMessage(two));
}

TEST(DecodeErrorTest, RdlengthPastTheEnd) {
  auto wire = Hex("0000 8100 0000 0001 0000 0000 00 0010 0001 00000000 0005 01 61");
  auto r = DecodeMessage(wire);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kTruncated);
  EXPECT_NE(r.error().ToString().find("answer"), std::string::npos);
}

TEST(DecodeErrorTest, AddressRdataOfWrongLength) {
  auto wire = Hex("0000 8100 0000 0001 0000 0000 00 0001 0001 00000000 0003 010203");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadRdata);
  wire = Hex("0000 8100 0000 0001 0000 0000 00 001c 0001 00000000 0004 01020304");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadRdata);
}

TEST(DecodeErrorTest, CnameRdataWithTrailingOctets) {
  auto wire = Hex("0000 8100 0000 0001 0000 0000 00 0005 0001 00000000 0004 0161 00 ff");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadRdata);
}

TEST(DecodeErrorTest, RdataNameMayNotSpillIntoNextRecord) {
  // CNAME RDLENGTH 2 but the name "a." needs 3 octets.
  auto wire = Hex("0000 8100 0000 0001 0000 0000 00 0005 0001 00000000 0002 0161 00");
  EXPECT_FALSE(DecodeMessage(wire));
}

TEST(DecodeErrorTest, TwoOptRecords) {
  auto wire =
      Hex("0000 0100 0000 0000 0000 0002 00 0029 1000 00000000 0000 00 0029 1000 00000000 0000");
  auto r = DecodeMessage(wire);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kBadEdns);
}

TEST(DecodeErrorTest, OptOutsideAdditional) {
  auto wire = Hex("0000 8100 0000 0001 0000 0000 00 0029 1000 00000000 0000");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadEdns);
}

TEST(DecodeErrorTest, OptOwnerNotRoot) {
  auto wire = Hex("0000 0100 0000 0000 0000 0001 0161 00 0029 1000 00000000 0000");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadEdns);
}

TEST(DecodeErrorTest, EdnsOptionOverrun) {
  auto wire = Hex("0000 0100 0000 0000 0000 0001 00 0029 1000 00000000 0006 000f 0009 0000");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadEdns);
  wire = Hex("0000 0100 0000 0000 0000 0001 00 0029 1000 00000000 0002 000f");
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kBadEdns);
}

TEST(DecodeErrorTest, TooManyEdnsOptions) {
  auto wire = Hex("0000 0100 0000 0000 0000 0001 00 0029 1000 00000000 0008 000c0000 000c0000");
  Limits limits;
  limits.max_edns_options = 1;
  EXPECT_EQ(DecodeMessage(wire, limits).error().code(), Errc::kBadEdns);
  EXPECT_TRUE(DecodeMessage(wire));
}

TEST(DecodeErrorTest, TrailingData) {
  auto wire = Hex(kQuery);
  wire.push_back(std::byte{0});
  EXPECT_EQ(DecodeMessage(wire).error().code(), Errc::kTrailingData);
}

TEST(DecodeErrorTest, MessageTooLarge) {
  auto wire = Hex(kQuery);
  Limits limits;
  limits.max_message_size = 40;
  EXPECT_EQ(DecodeMessage(wire, limits).error().code(), Errc::kMessageTooLarge);
}

TEST(EdnsTest, FlagsVersionAndExtendedRcode) {
  // DO set, version 1, extended rcode 1 (BADVERS = 16 with header rcode 0).
  auto wire = Hex("0000 8100 0000 0000 0000 0001 00 0029 0200 01018000 0000");
  auto m = DecodeMessage(wire);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->edns->udp_size, 512);
  EXPECT_EQ(m->edns->version, 1);
  EXPECT_TRUE(m->edns->dnssec_ok);
  EXPECT_EQ(m->FullRcode(), rcode::kBadVers);
}

TEST(EdnsTest, ExtendedDnsErrorBlocked) {
  // RFC 8914 option: info code 15 "Blocked" with extra text.
  auto wire =
      Hex("0000 8103 0000 0000 0000 0001 00 0029 04d0 00000000 000b 000f 0007 000f 626c6f636b");
  auto m = DecodeMessage(wire);
  ASSERT_TRUE(m) << m.error().ToString();
  auto ede = m->edns->FindExtendedError();
  ASSERT_TRUE(ede);
  EXPECT_EQ(ede->info_code, ede::kBlocked);
  EXPECT_EQ(ede->extra_text, "block");
  EXPECT_EQ(m->FullRcode(), rcode::kNxDomain);
}

TEST(RdataTest, SoaAndMx) {
  Soa soa{N("ns.example."), N("hostmaster.example."), 7, 1, 2, 3, 300};
  auto rr = MakeSoa(N("example."), 60, soa);
  auto back = ParseSoa(rr);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, soa);
  EXPECT_FALSE(ParseMx(rr));
  ResourceRecord mx{N("example."), rr_type::kMx, rr_class::kIn, 60, Hex("000a 046d61696c 00")};
  auto m = ParseMx(mx);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->preference, 10);
  EXPECT_EQ(m->exchange, N("mail."));
  mx.rdata.pop_back();
  EXPECT_EQ(ParseMx(mx).error().code(), Errc::kBadRdata);
  auto truncated_soa = rr;
  truncated_soa.rdata.resize(truncated_soa.rdata.size() - 1);
  EXPECT_EQ(ParseSoa(truncated_soa).error().code(), Errc::kBadRdata);
  EXPECT_EQ(RdataName(rr).error().code(), Errc::kBadRdata);
}

}  // namespace
}  // namespace vigie::dns
