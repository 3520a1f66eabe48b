// Tests for Name and the compressed-name reader, including the RFC 1035
// §4.1.4 compression example and every pointer error path (RFC 9267).
#include "core/dns/name.h"

#include <gtest/gtest.h>

#include "core/dns/test_util.h"

namespace vigie::dns {
namespace {

using testing::Raw;

TEST(NameTest, FromTextAndBack) {
  auto n = Name::FromText("www.Example.COM");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ToText(), "www.Example.COM.");
  EXPECT_EQ(n->ToKey(), "www.example.com");
  EXPECT_EQ(n->LabelCount(), 3);
  EXPECT_EQ(n->Label(1), "Example");
  EXPECT_EQ(n->wire_size(), 17u);
  EXPECT_EQ(n->wire(), std::string_view("\x03www\x07"
                                        "Example\x03"
                                        "COM\x00",
                                        17));
}

TEST(NameTest, TrailingDotIsTheSameName) {
  EXPECT_EQ(*Name::FromText("a.b."), *Name::FromText("a.b"));
}

TEST(NameTest, RootForms) {
  auto root = Name::FromText(".");
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->IsRoot());
  EXPECT_EQ(root->ToText(), ".");
  EXPECT_EQ(root->LabelCount(), 0);
  EXPECT_TRUE(Name().IsRoot());
}

TEST(NameTest, EscapesRoundTrip) {
  auto n = Name::FromText("a\\.b.c\\032d.e\\\\f");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->LabelCount(), 3);
  EXPECT_EQ(n->Label(0), "a.b");
  EXPECT_EQ(n->Label(1), "c d");
  EXPECT_EQ(n->Label(2), "e\\f");
  auto again = Name::FromText(n->ToText());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->wire(), n->wire());
}

TEST(NameTest, FromTextErrors) {
  EXPECT_EQ(Name::FromText("").error().code(), Errc::kBadName);
  EXPECT_EQ(Name::FromText("a..b").error().code(), Errc::kBadName);
  EXPECT_EQ(Name::FromText(".a").error().code(), Errc::kBadName);
  EXPECT_EQ(Name::FromText("a\\").error().code(), Errc::kBadName);
  EXPECT_EQ(Name::FromText("a\\25").error().code(), Errc::kBadName);
  EXPECT_EQ(Name::FromText("a\\256").error().code(), Errc::kBadName);
  EXPECT_EQ(Name::FromText(std::string(64, 'a')).error().code(), Errc::kBadLabel);
  EXPECT_TRUE(Name::FromText(std::string(63, 'a')));
  // 4 labels of 63 = 4*64 + 1 = 257 octets.
  std::string four = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                     std::string(63, 'c') + "." + std::string(63, 'd');
  EXPECT_EQ(Name::FromText(four).error().code(), Errc::kNameTooLong);
  // 255 exactly: 3*64 + 62 + 1.
  std::string max = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                    "." + std::string(61, 'd');
  auto m = Name::FromText(max);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->wire_size(), 255u);
}

TEST(NameTest, CaseInsensitiveCompareAndHash) {
  Name a = *Name::FromText("WWW.example.Com");
  Name b = *Name::FromText("www.EXAMPLE.com.");
  EXPECT_EQ(a, b);
  EXPECT_EQ(NameHash{}(a), NameHash{}(b));
  EXPECT_FALSE(a == *Name::FromText("www.example.co"));
  EXPECT_EQ(a.Lowercased().wire(), b.Lowercased().wire());
  EXPECT_NE(a.wire(), b.wire());  // case preserved
}

TEST(NameTest, SubdomainAndParent) {
  Name n = *Name::FromText("a.b.Example.com");
  EXPECT_TRUE(n.IsSubdomainOf(*Name::FromText("example.COM")));
  EXPECT_TRUE(n.IsSubdomainOf(n));
  EXPECT_TRUE(n.IsSubdomainOf(Name()));
  EXPECT_FALSE(n.IsSubdomainOf(*Name::FromText("xample.com")));
  EXPECT_FALSE(n.IsSubdomainOf(*Name::FromText("c.a.b.example.com")));
  EXPECT_EQ(n.Parent(), *Name::FromText("b.example.com"));
  EXPECT_TRUE(Name().Parent().IsRoot());
}

TEST(NameTest, FromWireRejectsPointersAndTrailing) {
  EXPECT_TRUE(Name::FromWire(Raw({1, 'a', 0})));
  EXPECT_EQ(Name::FromWire(Raw({1, 'a', 0, 0})).error().code(), Errc::kTrailingData);
  EXPECT_EQ(Name::FromWire(Raw({0xC0, 0x0C})).error().code(), Errc::kTooManyHops);
  EXPECT_EQ(Name::FromWire(Raw({2, 'a'})).error().code(), Errc::kTruncated);
}

// RFC 1035 §4.1.4: F.ISI.ARPA at 20, FOO.F.ISI.ARPA at 40 (pointer to 20),
// ARPA at 64 (pointer to 26), the root at 92.
std::vector<std::byte> Rfc1035Example() {
  std::vector<std::byte> m(100, std::byte{0xEE});
  auto put = [&](size_t at, std::initializer_list<int> v) {
    for (int b : v) {
      m[at++] = static_cast<std::byte>(b);
    }
  };
  put(20, {1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0});
  put(40, {3, 'F', 'O', 'O', 0xC0, 20});
  put(64, {0xC0, 26});
  put(92, {0});
  return m;
}

TEST(ReadNameTest, Rfc1035CompressionExample) {
  auto m = Rfc1035Example();
  Limits limits;
  Name n;
  auto end = ReadName(m, 20, limits, &n);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 32u);
  EXPECT_EQ(n.ToText(), "F.ISI.ARPA.");
  end = ReadName(m, 40, limits, &n);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 46u);
  EXPECT_EQ(n.ToText(), "FOO.F.ISI.ARPA.");
  end = ReadName(m, 64, limits, &n);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 66u);
  EXPECT_EQ(n.ToText(), "ARPA.");
  end = ReadName(m, 92, limits, &n);
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 93u);
  EXPECT_TRUE(n.IsRoot());
}

std::vector<std::byte> WithHeader(std::initializer_list<int> body) {
  std::vector<std::byte> m(12, std::byte{0});
  for (int b : body) {
    m.push_back(static_cast<std::byte>(b));
  }
  return m;
}

TEST(ReadNameTest, SelfPointerIsALoop) {
  auto m = WithHeader({0xC0, 12});
  Name n;
  auto r = ReadName(m, 12, {}, &n);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kBadPointer);
  EXPECT_NE(r.error().ToString().find("offset 12"), std::string::npos);
}

TEST(ReadNameTest, PointerBackIntoItsOwnRunIsALoop) {
  // 12: label "a", then at 14 a pointer back to 12: backwards from the
  // pointer, but into the run being read, so it would loop forever.
  auto m = WithHeader({1, 'a', 0xC0, 12});
  Name n;
  auto r = ReadName(m, 12, {}, &n);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kBadPointer);
}

TEST(ReadNameTest, TwoPointerLoopIsRejected) {
  // 12: pointer to 14; 14: pointer to 12.
  auto m = WithHeader({0xC0, 14, 0xC0, 12});
  Name n;
  EXPECT_EQ(ReadName(m, 12, {}, &n).error().code(), Errc::kBadPointer);
  EXPECT_EQ(ReadName(m, 14, {}, &n).error().code(), Errc::kBadPointer);
}

TEST(ReadNameTest, ForwardPointerIsRejected) {
  auto m = WithHeader({0xC0, 14, 1, 'a', 0});
  Name n;
  auto r = ReadName(m, 12, {}, &n);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kBadPointer);
}

TEST(ReadNameTest, PointerIntoHeaderIsRejected) {
  auto m = WithHeader({0xC0, 2});
  Name n;
  EXPECT_EQ(ReadName(m, 12, {}, &n).error().code(), Errc::kBadPointer);
}

TEST(ReadNameTest, HopCap) {
  // 12: "a" root; 15: ptr 12; 17: ptr 15; 19: ptr 17.
  auto m = WithHeader({1, 'a', 0, 0xC0, 12, 0xC0, 15, 0xC0, 17});
  Name n;
  Limits limits;
  limits.max_pointer_hops = 3;
  ASSERT_TRUE(ReadName(m, 19, limits, &n));
  EXPECT_EQ(n.ToText(), "a.");
  limits.max_pointer_hops = 2;
  EXPECT_EQ(ReadName(m, 19, limits, &n).error().code(), Errc::kTooManyHops);
}

TEST(ReadNameTest, ReservedLabelTypes) {
  Name n;
  EXPECT_EQ(ReadName(WithHeader({0x40, 0}), 12, {}, &n).error().code(), Errc::kBadLabel);
  EXPECT_EQ(ReadName(WithHeader({0x80, 0}), 12, {}, &n).error().code(), Errc::kBadLabel);
}

TEST(ReadNameTest, LabelPastTheEnd) {
  Name n;
  EXPECT_EQ(ReadName(WithHeader({5, 'a', 'b'}), 12, {}, &n).error().code(), Errc::kTruncated);
  EXPECT_EQ(ReadName(WithHeader({1, 'a'}), 12, {}, &n).error().code(), Errc::kTruncated);
  EXPECT_EQ(ReadName(WithHeader({0xC0}), 12, {}, &n).error().code(), Errc::kTruncated);
  EXPECT_EQ(ReadName(WithHeader({}), 12, {}, &n).error().code(), Errc::kTruncated);
}

TEST(ReadNameTest, NameOver255ViaPointers) {
  // Four 63-octet labels spread with pointers: each run ends in a pointer to
  // the previous run, so the total exceeds 255 only after decompression.
  std::vector<std::byte> m(12, std::byte{0});
  size_t prev = 0;
  for (int i = 0; i < 4; ++i) {
    size_t here = m.size();
    m.push_back(std::byte{63});
    for (int k = 0; k < 63; ++k) {
      m.push_back(static_cast<std::byte>('a' + i));
    }
    if (i == 0) {
      m.push_back(std::byte{0});
    } else {
      m.push_back(std::byte{0xC0});
      m.push_back(static_cast<std::byte>(prev));
    }
    prev = here;
    (void)here;
  }
  // prev offsets must fit a one-octet pointer for this construction.
  ASSERT_LT(prev, 256u);
  Name n;
  auto r = ReadName(m, prev, {}, &n);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kNameTooLong);
}

// ToKey (and AppendKey, which the query path uses with a reused buffer)
// equal the lowercased presentation form without the trailing dot, escapes
// included; AppendKey appends.
TEST(NameTest, KeyIsLowercasedTextWithEscapes) {
  auto n = Name::FromText(R"(A\.B\032C.Ex\@mple.COM)");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->ToKey(), R"(a\.b\032c.ex\@mple.com)");
  const std::string text = n->Lowercased().ToText();
  EXPECT_EQ(n->ToKey(), text.substr(0, text.size() - 1));
  std::string buf = "x|";
  n->AppendKey(&buf);
  EXPECT_EQ(buf, R"(x|a\.b\032c.ex\@mple.com)");
  buf.clear();
  Name().AppendKey(&buf);
  EXPECT_EQ(buf, "");
  EXPECT_EQ(Name().ToKey(), "");
  auto high = Name::FromWire(Raw({2, 0xC3, 0xA9, 1, 0x5A, 0}));
  ASSERT_TRUE(high);
  EXPECT_EQ(high->ToKey(), R"(\195\169.z)");
}

}  // namespace
}  // namespace vigie::dns
