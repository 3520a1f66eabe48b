// Tests for the encoder: round trips, compression, budgets and truncation.
#include "core/dns/writer.h"

#include <gtest/gtest.h>

#include "core/dns/test_util.h"

namespace vigie::dns {
namespace {

using testing::Hex;
using testing::N;
using testing::Raw;

Message RichResponse() {
  Message m;
  m.header.id = 0x4242;
  m.header.qr = true;
  m.header.rd = true;
  m.header.ra = true;
  m.header.ad = true;
  m.questions.push_back({N("www.Example.com"), rr_type::kA, rr_class::kIn});
  m.answers.push_back(MakeCname(N("www.example.com"), 300, N("edge.cdn.example.net")));
  m.answers.push_back(MakeA(N("edge.cdn.example.net"), 60, {192, 0, 2, 1}));
  m.answers.push_back(MakeA(N("edge.cdn.example.net"), 60, {192, 0, 2, 2}));
  m.authorities.push_back(MakeSoa(
      N("example.net"), 900,
      Soa{N("ns1.example.net"), N("hostmaster.example.net"), 2024010101, 7200, 900, 1209600, 300}));
  m.authorities.push_back({N("example.net"), rr_type::kNs, rr_class::kIn, 900, {}});
  auto ns_target = N("ns1.example.net");
  m.authorities.back().rdata.assign(
      reinterpret_cast<const std::byte*>(ns_target.wire().data()),
      reinterpret_cast<const std::byte*>(ns_target.wire().data()) + ns_target.wire_size());
  m.additionals.push_back(MakeAaaa(N("ns1.example.net"), 900,
                                   {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  m.additionals.push_back(
      {N("example.net"), rr_type::kTxt, rr_class::kIn, 60, Hex("05 68656c6c6f")});
  m.edns = Edns{};
  m.edns->dnssec_ok = true;
  m.edns->AddExtendedError({ede::kBlocked, "listed"});
  return m;
}

TEST(EncodeTest, RoundTrip) {
  Message m = RichResponse();
  std::vector<std::byte> out;
  auto r = Encode(m, &out);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.size, out.size());
  auto back = DecodeMessage(out);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->header.id, m.header.id);
  EXPECT_TRUE(back->header.ad);
  EXPECT_EQ(back->header.ancount, 3);
  EXPECT_EQ(back->header.nscount, 2);
  EXPECT_EQ(back->header.arcount, 3);  // two records plus OPT
  EXPECT_EQ(back->questions, m.questions);
  EXPECT_EQ(back->answers, m.answers);
  EXPECT_EQ(back->authorities, m.authorities);
  EXPECT_EQ(back->additionals, m.additionals);
  EXPECT_EQ(back->edns, m.edns);
  // Case is preserved in the question.
  EXPECT_EQ(back->questions[0].name.wire(), m.questions[0].name.wire());
}

TEST(EncodeTest, CompressesOwnersAndRdataNames) {
  Message m = RichResponse();
  size_t uncompressed = kHeaderSize;
  for (const auto& q : m.questions) {
    uncompressed += q.name.wire_size() + 4;
  }
  for (auto s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
    for (const auto& rr : m.SectionRecords(s)) {
      uncompressed += rr.name.wire_size() + 10 + rr.rdata.size();
    }
  }
  std::vector<std::byte> out;
  Encode(m, &out);
  const size_t opt = 11 + 4 + 2 + 6;
  EXPECT_LT(out.size(), uncompressed + opt - 60);
}

TEST(EncodeTest, AnOwnerSpelledLikeTheQuestionPointsAtIt) {
  Message m = RichResponse();
  m.answers[0].name = m.questions[0].name;  // "www.Example.com", same case
  std::vector<std::byte> out;
  Encode(m, &out);
  // The answer owner is a pointer to the question name (offset 12).
  EXPECT_EQ(out[12 + m.questions[0].name.wire_size() + 4], std::byte{0xC0});
  EXPECT_EQ(out[12 + m.questions[0].name.wire_size() + 5], std::byte{12});
}

// RFC 4343 §4: a server preserves the case of the names it passes on, so a
// suffix is shared only when it is spelled alike to the byte. (Found by
// dns_wire_message_fuzz: an SOA RNAME "blocked.vigie.invalid." came back as
// "blocked.vigie.iNvalid." after its MNAME "vigie.iNvalid.".)
TEST(EncodeTest, CompressionKeepsEachNamesCase) {
  Message m = RichResponse();  // question "www.Example.com", answer "www.example.com"
  m.authorities[0] = MakeSoa(N("example.net"), 900,
                             Soa{N("vigie.iNvalid"), N("blocked.vigie.invalid"), 1, 2, 3, 4, 5});
  std::vector<std::byte> out;
  Encode(m, &out);
  auto back = DecodeMessage(out);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->answers[0].name.wire(), N("www.example.com").wire());
  auto soa = ParseSoa(back->authorities[0]);
  ASSERT_TRUE(soa);
  EXPECT_EQ(soa->mname.wire(), N("vigie.iNvalid").wire());
  EXPECT_EQ(soa->rname.wire(), N("blocked.vigie.invalid").wire());
  // Same-case suffixes are still shared: the answer owner is "www",
  // "example", then a pointer to the question's "com".
  const size_t owner = 12 + m.questions[0].name.wire_size() + 4;
  EXPECT_EQ(out[owner + 1 + 3 + 1 + 7], std::byte{0xC0});
}

TEST(EncodeTest, AppendsToCallersBuffer) {
  std::vector<std::byte> out = Raw({0xAA, 0xBB});
  Message m = RichResponse();
  auto r = Encode(m, &out);
  ASSERT_EQ(out.size(), r.size + 2);
  EXPECT_EQ(out[0], std::byte{0xAA});
  // Pointers are relative to the message start, not the buffer start.
  auto back = DecodeMessage(std::span(out).subspan(2));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->answers, m.answers);
}

TEST(EncodeTest, TruncatesWithTcWhenAnswersDoNotFit) {
  Message m = testing::MakeQuery("many.example", rr_type::kA);
  m.header.qr = true;
  for (int i = 0; i < 60; ++i) {
    m.answers.push_back(MakeA(N("many.example"), 60, {10, 0, 0, static_cast<uint8_t>(i)}));
  }
  std::vector<std::byte> out;
  auto r = Encode(m, &out, 512);
  EXPECT_TRUE(r.truncated);
  EXPECT_LE(out.size(), 512u);
  auto back = DecodeMessage(out);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_TRUE(back->header.tc);
  EXPECT_TRUE(back->answers.empty());
  EXPECT_EQ(back->questions, m.questions);
  EXPECT_TRUE(back->edns);  // OPT kept
  // With room, no truncation.
  out.clear();
  r = Encode(m, &out, 4096);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(DecodeMessage(out)->answers.size(), 60u);
}

TEST(EncodeTest, DropsAdditionalWithoutTc) {
  Message m = RichResponse();
  std::vector<std::byte> full;
  Encode(m, &full);
  // A budget that holds everything but the last additional record.
  std::vector<std::byte> out;
  auto r = Encode(m, &out, full.size() - 5);
  EXPECT_FALSE(r.truncated);
  auto back = DecodeMessage(out);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->header.tc);
  EXPECT_EQ(back->answers.size(), 3u);
  EXPECT_EQ(back->additionals.size(), 1u);
  EXPECT_TRUE(back->edns);
}

TEST(EncodeTest, EverySizeBudgetGivesAValidMessage) {
  Message m = RichResponse();
  std::vector<std::byte> full;
  Encode(m, &full);
  for (size_t budget = 0; budget <= full.size(); ++budget) {
    std::vector<std::byte> out;
    auto r = Encode(m, &out, budget);
    auto back = DecodeMessage(out);
    ASSERT_TRUE(back) << "budget " << budget << ": " << back.error().ToString();
    EXPECT_EQ(back->header.tc, r.truncated);
    if (!r.truncated) {
      EXPECT_EQ(back->answers.size(), 3u);
    }
    // Only the unconditional header+question+OPT may exceed the budget.
    EXPECT_TRUE(out.size() <= std::max<size_t>(budget, 12 + 21 + 4 + 23)) << budget;
  }
}

TEST(EncodeTest, WriterRefusesOverBudgetAndLeavesBufferUnchanged) {
  std::vector<std::byte> out;
  MessageWriter w(&out, 45);  // 27 after the question; A needs 16 more, AAAA 28
  ASSERT_TRUE(w.AddQuestion({N("a.example"), rr_type::kA, rr_class::kIn}));
  size_t before = out.size();
  EXPECT_FALSE(w.AddRecord(Section::kAnswer, MakeAaaa(N("a.example"), 1, {})));
  EXPECT_EQ(out.size(), before);
  EXPECT_TRUE(w.AddRecord(Section::kAnswer, MakeA(N("a.example"), 1, {1, 2, 3, 4})));
  Header h;
  h.qr = true;
  w.Finish(h);
  auto back = DecodeMessage(out);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->answers.size(), 1u);
}

TEST(EncodeTest, MaxUdpResponseSize) {
  Message q = testing::MakeQuery("a.example", rr_type::kA, /*edns=*/false);
  EXPECT_EQ(MaxUdpResponseSize(q), 512u);
  q.edns = Edns{};
  q.edns->udp_size = 4096;
  EXPECT_EQ(MaxUdpResponseSize(q), 1232u);
  q.edns->udp_size = 100;
  EXPECT_EQ(MaxUdpResponseSize(q), 512u);
  q.edns->udp_size = 800;
  EXPECT_EQ(MaxUdpResponseSize(q), 800u);
}

TEST(EncodeTest, ExtendedRcodeRoundTrips) {
  Message m = testing::MakeQuery("a.example", rr_type::kA);
  m.header.qr = true;
  m.SetFullRcode(rcode::kBadVers);
  std::vector<std::byte> out;
  Encode(m, &out);
  auto back = DecodeMessage(out);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->FullRcode(), rcode::kBadVers);
  EXPECT_EQ(back->header.rcode, 0);
}

}  // namespace
}  // namespace vigie::dns
