// Differential tests against ldns (NLnet Labs): for built messages, captured-
// style messages, the fuzz corpus and thousands of deterministic mutations of
// them, whenever both ldns_wire2pkt and our decoder accept a message they
// must agree on every field (header bits and counts, questions, every
// record's owner, type, class, TTL and uncompressed RDATA, EDNS fields and
// option octets). ldns is linked into this test only.
#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/dns/builders.h"
#include "core/dns/message.h"
#include "core/dns/test_util.h"
#include "core/dns/writer.h"

// Last: ldns/common.h may #define bool, which breaks C++ headers after it.
#include <ldns/ldns.h>

namespace vigie::dns {
namespace {

using testing::N;

std::string Bytes(const uint8_t* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}
std::string Bytes(std::span<const std::byte> s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string Hex(const std::string& s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

struct Pkt {
  ldns_pkt* p = nullptr;
  ~Pkt() {
    if (p != nullptr) {
      ldns_pkt_free(p);
    }
  }
};

// Returns "" when equal, else a description of the first difference.
// Types whose RDATA octets are compared on mutants. ldns parses RDATA by its
// own per-type descriptors and silently drops octets when RDLENGTH does not
// fit them (seen on EUI64 with 11 octets); we keep RDATA of types without
// names opaque (RFC 3597). Names-bearing types, A/AAAA, TXT and a private
// type ldns does not know are compared always.
bool RdataCompared(uint16_t type, bool strict) {
  if (strict) {
    return true;
  }
  switch (type) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 12:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
    case 21:
    case 26:
    case 28:
    case 33:
    case 35:
    case 0xFF00:
      return true;
    default:
      return false;
  }
}

std::string CompareRecords(const std::vector<ResourceRecord>& ours, ldns_rr_list* theirs,
                           const char* section, bool strict) {
  size_t n = theirs == nullptr ? 0 : ldns_rr_list_rr_count(theirs);
  if (n != ours.size()) {
    return std::string(section) + " count " + std::to_string(ours.size()) + " vs ldns " +
           std::to_string(n);
  }
  for (size_t i = 0; i < n; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(theirs, i);
    const ResourceRecord& o = ours[i];
    const ldns_rdf* owner = ldns_rr_owner(rr);
    std::string where = std::string(section) + "[" + std::to_string(i) + "] ";
    if (Bytes(ldns_rdf_data(owner), ldns_rdf_size(owner)) != std::string(o.name.wire())) {
      return where + "owner";
    }
    if (ldns_rr_get_type(rr) != o.type) {
      return where + "type";
    }
    if (ldns_rr_get_class(rr) != o.klass) {
      return where + "class";
    }
    if (ldns_rr_ttl(rr) != o.ttl) {
      return where + "ttl";
    }
    ldns_buffer* buf = ldns_buffer_new(512);
    ldns_status st = ldns_rr_rdata2buffer_wire(buf, rr);
    std::string rdata = Bytes(ldns_buffer_begin(buf), ldns_buffer_position(buf));
    ldns_buffer_free(buf);
    if (st != LDNS_STATUS_OK) {
      return where + "ldns could not write rdata";
    }
    if (RdataCompared(o.type, strict) && rdata != Bytes(o.rdata)) {
      return where + "rdata of type " + std::to_string(o.type) + ": ours " + Hex(Bytes(o.rdata)) +
             " ldns " + Hex(rdata);
    }
  }
  return "";
}

// The records of each section (OPT left out of the additional one) as
// RDLENGTH frames them, walking the wire with no knowledge of any type:
// what RFC 1035 §4.1.3 says a record's extent is. nullopt if it runs off.
std::optional<std::array<size_t, 3>> FramedCounts(std::span<const std::byte> wire) {
  auto u16 = [&wire](size_t at) {
    return static_cast<size_t>(std::to_integer<unsigned>(wire[at]) << 8 |
                               std::to_integer<unsigned>(wire[at + 1]));
  };
  auto skip_name = [&wire](size_t at) -> std::optional<size_t> {
    while (at < wire.size()) {
      const unsigned len = std::to_integer<unsigned>(wire[at]);
      if (len == 0) {
        return at + 1;
      }
      if ((len & 0xC0) == 0xC0) {
        return at + 2;
      }
      at += 1 + len;
    }
    return std::nullopt;
  };
  if (wire.size() < 12) {
    return std::nullopt;
  }
  size_t at = 12;
  for (size_t i = 0; i < u16(4); ++i) {
    auto end = skip_name(at);
    if (!end || *end + 4 > wire.size()) {
      return std::nullopt;
    }
    at = *end + 4;
  }
  std::array<size_t, 3> counts{};
  for (size_t section = 0; section < 3; ++section) {
    for (size_t i = 0; i < u16(6 + 2 * section); ++i) {
      auto end = skip_name(at);
      if (!end || *end + 10 > wire.size()) {
        return std::nullopt;
      }
      const size_t type = u16(*end);
      at = *end + 10 + u16(*end + 8);
      if (at > wire.size()) {
        return std::nullopt;
      }
      counts[section] += section == 2 && type == 41 ? 0 : 1;
    }
  }
  return counts;
}

// Decodes with both; returns "" when they agree (or both reject), "skip" when
// only one accepts, else the difference.
std::string Differ(std::span<const std::byte> wire, bool* both_accepted = nullptr,
                   bool strict = true) {
  Pkt pkt;
  ldns_status st =
      ldns_wire2pkt(&pkt.p, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  auto ours = DecodeMessage(wire);
  if (both_accepted != nullptr) {
    *both_accepted = st == LDNS_STATUS_OK && ours.has_value();
  }
  if (st != LDNS_STATUS_OK || !ours) {
    return st == LDNS_STATUS_OK || ours ? "skip" : "";
  }
  const Message& m = *ours;
  ldns_pkt* p = pkt.p;
  if (ldns_pkt_id(p) != m.header.id)
    return "id";
  if (ldns_pkt_qr(p) != m.header.qr)
    return "qr";
  if (ldns_pkt_aa(p) != m.header.aa)
    return "aa";
  if (ldns_pkt_tc(p) != m.header.tc)
    return "tc";
  if (ldns_pkt_rd(p) != m.header.rd)
    return "rd";
  if (ldns_pkt_ra(p) != m.header.ra)
    return "ra";
  if (ldns_pkt_ad(p) != m.header.ad)
    return "ad";
  if (ldns_pkt_cd(p) != m.header.cd)
    return "cd";
  if (static_cast<int>(ldns_pkt_get_opcode(p)) != m.header.opcode)
    return "opcode";
  if (static_cast<int>(ldns_pkt_get_rcode(p)) != m.header.rcode)
    return "rcode";
  // Questions.
  ldns_rr_list* qs = ldns_pkt_question(p);
  if (ldns_rr_list_rr_count(qs) != m.questions.size())
    return "question count";
  for (size_t i = 0; i < m.questions.size(); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(qs, i);
    const ldns_rdf* owner = ldns_rr_owner(rr);
    if (Bytes(ldns_rdf_data(owner), ldns_rdf_size(owner)) !=
        std::string(m.questions[i].name.wire()))
      return "question name";
    if (ldns_rr_get_type(rr) != m.questions[i].type)
      return "question type";
    if (ldns_rr_get_class(rr) != m.questions[i].klass)
      return "question class";
  }
  // ldns reads some types' RDATA field by field (HINFO: two strings) and
  // goes on from where the fields ended, not from where RDLENGTH says the
  // record ends; a mutant whose fields end early is then misframed by ldns
  // (it reads the rest as further records). Where our counts are the
  // RDLENGTH framing and ldns's are not, ldns is the one that is wrong.
  if (!strict) {
    auto framed = FramedCounts(wire);
    const std::array<size_t, 3> ours_counts = {m.answers.size(), m.authorities.size(),
                                               m.additionals.size()};
    const std::array<size_t, 3> ldns_counts = {ldns_rr_list_rr_count(ldns_pkt_answer(p)),
                                               ldns_rr_list_rr_count(ldns_pkt_authority(p)),
                                               ldns_rr_list_rr_count(ldns_pkt_additional(p))};
    if (framed && *framed == ours_counts && ldns_counts != ours_counts) {
      return "skip";
    }
  }
  for (auto d : {CompareRecords(m.answers, ldns_pkt_answer(p), "answer", strict),
                 CompareRecords(m.authorities, ldns_pkt_authority(p), "authority", strict),
                 CompareRecords(m.additionals, ldns_pkt_additional(p), "additional", strict)}) {
    if (!d.empty())
      return d;
  }
  // EDNS: ldns takes the OPT out of the additional section like we do.
  if (static_cast<bool>(ldns_pkt_edns(p)) != m.edns.has_value()) {
    // ldns reports EDNS only when some EDNS field is non-default; compare
    // what it does know.
    if (m.edns && (m.edns->udp_size != 0 || m.edns->dnssec_ok || !m.edns->options.empty())) {
      return "edns presence";
    }
  }
  if (m.edns) {
    if (ldns_pkt_edns_udp_size(p) != m.edns->udp_size)
      return "edns udp size";
    if (ldns_pkt_edns_extended_rcode(p) != m.edns->extended_rcode)
      return "edns ext rcode";
    if (ldns_pkt_edns_version(p) != m.edns->version)
      return "edns version";
    if (ldns_pkt_edns_do(p) != m.edns->dnssec_ok)
      return "edns do";
    std::string opts;
    for (const auto& o : m.edns->options) {
      opts.push_back(static_cast<char>(o.code >> 8));
      opts.push_back(static_cast<char>(o.code & 0xFF));
      opts.push_back(static_cast<char>(o.data.size() >> 8));
      opts.push_back(static_cast<char>(o.data.size() & 0xFF));
      opts += Bytes(o.data);
    }
    const ldns_rdf* data = ldns_pkt_edns_data(p);
    std::string theirs = data == nullptr ? "" : Bytes(ldns_rdf_data(data), ldns_rdf_size(data));
    if (theirs != opts)
      return "edns options";
  }
  return "";
}

std::vector<std::vector<std::byte>> Corpus() {
  std::vector<std::vector<std::byte>> out;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(VIGIE_DNS_CORPUS_DIR)) {
    paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> b(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<std::vector<std::byte>> BuiltMessages() {
  std::vector<Message> ms;
  Message q = testing::MakeQuery("WWW.Example.org", rr_type::kAaaa);
  q.edns->dnssec_ok = true;
  q.edns->options.push_back({edns_option::kClientSubnet, testing::Hex("0001 1800 c00002")});
  ms.push_back(q);
  ResponseOptions opts;
  opts.extended_error = ExtendedError{ede::kBlocked, "list 1 line 7"};
  ms.push_back(BuildNxdomain(q, SyntheticSoa(N("example.org"), 10), opts));
  ms.push_back(BuildNodata(testing::MakeQuery("a.b.example", rr_type::kHttps),
                           SyntheticSoa(N("b.example"), 3600)));
  ms.push_back(BuildAddressAnswer(testing::MakeQuery("ads.example", rr_type::kA), 10,
                                  {{0, 0, 0, 0}}, {{}}, SyntheticSoa(N("ads.example"), 10)));
  ms.push_back(BuildAddressAnswer(testing::MakeQuery("ads.example", rr_type::kAaaa, false), 10,
                                  {{0, 0, 0, 0}}, {{}}, SyntheticSoa(N("ads.example"), 10)));
  Message chain = testing::MakeQuery("a.example.com", rr_type::kA);
  chain.header.qr = true;
  chain.answers.push_back(MakeCname(N("a.example.com"), 300, N("b.example.net")));
  chain.answers.push_back(MakeCname(N("b.example.net"), 300, N("c.cdn.example.net")));
  chain.answers.push_back(MakeA(N("c.cdn.example.net"), 20, {198, 51, 100, 7}));
  chain.authorities.push_back(
      MakeSoa(N("example.net"), 60, Soa{N("ns.example.net"), N("h.example.net"), 1, 2, 3, 4, 5}));
  chain.additionals.push_back({N("x.example"), 0xFF00, rr_class::kIn, 1, testing::Hex("deadbeef")});
  chain.additionals.push_back({N("example.com"), rr_type::kMx, rr_class::kIn, 1,
                               testing::Hex("0005 0461626364 076578616d706c65 03636f6d 00")});
  ms.push_back(chain);
  std::vector<std::vector<std::byte>> out;
  for (const auto& m : ms) {
    std::vector<std::byte> w;
    Encode(m, &w);
    out.push_back(std::move(w));
  }
  return out;
}

TEST(LdnsDiffTest, BuiltMessagesAgree) {
  for (const auto& w : BuiltMessages()) {
    bool both = false;
    EXPECT_EQ(Differ(w, &both), "");
    EXPECT_TRUE(both);
  }
}

TEST(LdnsDiffTest, CorpusAgrees) {
  int both_count = 0;
  for (const auto& w : Corpus()) {
    bool both = false;
    std::string d = Differ(w, &both);
    EXPECT_TRUE(d.empty() || d == "skip") << d;
    both_count += both ? 1 : 0;
  }
  EXPECT_GE(both_count, 12);  // every well-formed seed
}

TEST(LdnsDiffTest, MutationsAgreeWheneverBothAccept) {
  auto inputs = Corpus();
  for (auto& b : BuiltMessages()) {
    inputs.push_back(std::move(b));
  }
  uint64_t seed = 0x9E3779B97F4A7C15ULL;
  auto next = [&seed]() {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int compared = 0;
  for (const auto& base : inputs) {
    if (base.size() < 13) {
      continue;
    }
    for (int round = 0; round < 400; ++round) {
      auto w = base;
      int flips = 1 + static_cast<int>(next() % 3);
      for (int f = 0; f < flips; ++f) {
        // Leave the header's counts alone half of the time so more mutants decode.
        size_t at = 12 + next() % (w.size() - 12);
        w[at] = static_cast<std::byte>(next() & 0xFF);
      }
      bool both = false;
      std::string d = Differ(w, &both, /*strict=*/false);
      ASSERT_TRUE(d.empty() || d == "skip")
          << d << " (mutant " << round << ": " << Hex(Bytes(w)) << ")";
      compared += both ? 1 : 0;
    }
  }
  EXPECT_GT(compared, 500);
}

}  // namespace
}  // namespace vigie::dns
