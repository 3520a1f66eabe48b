// Tests for the PROXY protocol codec: the spec's examples, headers captured
// from haproxy 2.6 (send-proxy, send-proxy-v2), round trips, one byte at a
// time, every split offset, and each malformed-header path.
#include "lb/proxy_protocol/proxy_header.h"

#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::proxy_protocol {
namespace {

using ::testing::HasSubstr;

std::vector<std::uint8_t> Bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::vector<std::uint8_t> ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(VIGIE_LB_TESTDATA) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::array<std::uint8_t, 16> V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {a, b, c, d};
}

TEST(V1Test, SpecExample) {
  auto in = Bytes("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n");
  auto r = Decode(in);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_TRUE(r->complete);
  EXPECT_EQ(r->consumed, 47u);
  EXPECT_EQ(r->header.version, 1);
  EXPECT_EQ(r->header.family, Family::kInet);
  EXPECT_EQ(r->header.src_addr, V4(192, 168, 0, 1));
  EXPECT_EQ(r->header.dst_addr, V4(192, 168, 0, 11));
  EXPECT_EQ(r->header.src_port, 56324);
  EXPECT_EQ(r->header.dst_port, 443);
}

TEST(V1Test, SpecWorstCaseLengths) {
  // spec §2.1: 56, 104, 15 and 107 bytes.
  const std::string tcp4 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
  const std::string tcp6 =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  const std::string unknown = "PROXY UNKNOWN\r\n";
  const std::string unknown_full =
      "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  EXPECT_EQ(tcp4.size(), 56u);
  EXPECT_EQ(tcp6.size(), 104u);
  EXPECT_EQ(unknown_full.size(), 107u);
  for (const std::string& s : {tcp4, tcp6, unknown, unknown_full}) {
    auto r = Decode(Bytes(s));
    ASSERT_TRUE(r) << s;
    EXPECT_TRUE(r->complete);
    EXPECT_EQ(r->consumed, s.size());
  }
  EXPECT_EQ(Decode(Bytes(tcp6))->header.src_addr[15], 0xff);
  EXPECT_EQ(Decode(Bytes(unknown_full))->header.family, Family::kUnspec);
}

TEST(V1Test, HaproxySendProxyCapture) {
  auto in = ReadTestdata("haproxy26_send_proxy_v1_tcp4.bin");
  auto r = Decode(in);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.src_port, 49345);
  EXPECT_EQ(r->header.dst_port, 16911);
  EXPECT_EQ(r->header.src_addr, V4(127, 0, 0, 1));
  EXPECT_EQ(std::string(in.begin() + static_cast<std::ptrdiff_t>(r->consumed), in.end()), "hello");
  // Our encoder writes the same bytes.
  std::string out;
  AppendV1(r->header, out);
  EXPECT_EQ(out, std::string(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(r->consumed)));
}

TEST(V1Test, Encode) {
  Header h;
  h.family = Family::kInet6;
  h.src_addr[15] = 1;
  h.dst_addr = {0x20, 0x01, 0x0d, 0xb8};
  h.dst_addr[15] = 2;
  h.src_port = 1;
  h.dst_port = 6443;
  std::string out;
  AppendV1(h, out);
  EXPECT_EQ(out, "PROXY TCP6 ::1 2001:db8::2 1 6443\r\n");
  out.clear();
  h.command = Command::kLocal;
  AppendV1(h, out);
  EXPECT_EQ(out, "PROXY UNKNOWN\r\n");
}

TEST(V1Test, NeedMoreIsNotAnError) {
  for (std::string_view s : {"", "P", "PROX", "PROXY ", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"}) {
    auto r = Decode(Bytes(s));
    ASSERT_TRUE(r) << s;
    EXPECT_FALSE(r->complete) << s;
  }
}

TEST(V1Test, Malformed) {
  const char* bad[] = {
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",        // LF without CR
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",      // protocol
      "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",        // missing port
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",    // extra field
      "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",     // two spaces
      "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",     // leading zero in address
      "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",     // leading zero in port
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",  // port range
      "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",          // family mismatch
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",          // family mismatch
      "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",     // sign
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX\n",     // CR then junk
      "PROXY UNKNOWNX\r\n",                      // not UNKNOWN
      "PROXY \r\n",
      "GET / HTTP/1.1\r\n",  // not a header at all
      "PROXY_TCP4",
  };
  for (const char* s : bad) {
    auto r = Decode(Bytes(s));
    EXPECT_FALSE(r) << s;
    if (!r) {
      EXPECT_EQ(r.error().code(), Errc::kInvalidArgument) << s;
    }
  }
  std::string too_long = "PROXY UNKNOWN " + std::string(100, 'x');
  auto r = Decode(Bytes(too_long));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().ToString(), HasSubstr("longer than 107 bytes"));
}

TEST(V2Test, HaproxySendProxyV2Captures) {
  auto v4 = ReadTestdata("haproxy26_send_proxy_v2_tcp4.bin");
  auto r = Decode(v4);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_TRUE(r->complete);
  EXPECT_EQ(r->consumed, 28u);
  EXPECT_EQ(r->header.version, 2);
  EXPECT_EQ(r->header.command, Command::kProxy);
  EXPECT_EQ(r->header.family, Family::kInet);
  EXPECT_EQ(r->header.transport, Transport::kStream);
  EXPECT_EQ(r->header.src_addr, V4(127, 0, 0, 1));
  EXPECT_EQ(r->header.src_port, 38739);
  EXPECT_EQ(r->header.dst_port, 16912);
  EXPECT_TRUE(r->header.tlvs.empty());
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(AppendV2(r->header, out));
  EXPECT_EQ(out, v4);  // byte-identical to haproxy's

  auto v6 = ReadTestdata("haproxy26_send_proxy_v2_tcp6.bin");
  r = Decode(v6);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->consumed, 52u);
  EXPECT_EQ(r->header.family, Family::kInet6);
  EXPECT_EQ(r->header.src_addr[15], 1);
  EXPECT_EQ(r->header.src_port, 43255);
  EXPECT_EQ(r->header.dst_port, 16913);
  out.clear();
  ASSERT_TRUE(AppendV2(r->header, out));
  EXPECT_EQ(out, std::vector<std::uint8_t>(v6.begin(), v6.begin() + 52));
}

Header SampleV2() {
  Header h;
  h.version = 2;
  h.family = Family::kInet;
  h.src_addr = V4(10, 0, 0, 1);
  h.dst_addr = V4(10, 0, 0, 2);
  h.src_port = 0x1234;
  h.dst_port = 443;
  h.tlvs.push_back({kTlvAlpn, {'h', '2'}});
  h.tlvs.push_back({kTlvAuthority, std::vector<std::uint8_t>(Bytes("example.com"))});
  h.tlvs.push_back({kTlvSsl, {0x05, 0, 0, 0, 0, kTlvSslVersion, 0, 3, 'T', 'L', 'S'}});
  return h;
}

TEST(V2Test, RoundTripWithTlvsAndCrc) {
  Header h = SampleV2();
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(AppendV2(h, out, {.add_crc32c = true}));
  auto r = Decode(out);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->consumed, out.size());
  ASSERT_EQ(r->header.tlvs.size(), 4u);
  EXPECT_EQ(r->header.tlvs[3].type, kTlvCrc32c);
  r->header.tlvs.pop_back();
  EXPECT_EQ(r->header, h);
  // A flipped bit anywhere in the header breaks the checksum.
  out[20] ^= 1;
  auto bad = Decode(out);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().ToString(), HasSubstr("CRC32C mismatch"));
}

TEST(V2Test, LocalUnspecAndUnix) {
  Header local;
  local.version = 2;
  local.command = Command::kLocal;
  local.family = Family::kUnspec;
  local.transport = Transport::kUnspec;
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(AppendV2(local, out));
  EXPECT_EQ(out.size(), 16u);
  EXPECT_EQ(out[12], 0x20);
  EXPECT_EQ(out[13], 0x00);
  EXPECT_EQ(Decode(out)->header, local);

  Header ux;
  ux.version = 2;
  ux.family = Family::kUnix;
  ux.unix_src = "/run/a.sock";
  ux.unix_dst = "/run/b.sock";
  out.clear();
  ASSERT_TRUE(AppendV2(ux, out));
  EXPECT_EQ(out.size(), 16u + 216u);
  EXPECT_EQ(Decode(out)->header, ux);
  ux.unix_src = std::string(109, 'a');
  std::vector<std::uint8_t> keep = {1, 2};
  EXPECT_FALSE(AppendV2(ux, keep));
  EXPECT_EQ(keep.size(), 2u);  // nothing appended on failure
}

TEST(V2Test, OneByteAtATimeAndEverySplit) {
  std::vector<std::uint8_t> wire;
  ASSERT_TRUE(AppendV2(SampleV2(), wire));
  std::vector<std::uint8_t> payload = Bytes("payload");
  std::vector<std::uint8_t> all = wire;
  all.insert(all.end(), payload.begin(), payload.end());
  for (std::size_t i = 0; i < wire.size(); ++i) {
    auto r = Decode(std::span<const std::uint8_t>(all).subspan(0, i));
    ASSERT_TRUE(r) << i;
    EXPECT_FALSE(r->complete) << i;
  }
  for (std::size_t split = 0; split <= all.size(); ++split) {
    Decoder d;
    auto a = d.Feed(std::span<const std::uint8_t>(all).subspan(0, split));
    ASSERT_TRUE(a);
    if (a->complete) {
      EXPECT_EQ(a->consumed, wire.size());
      continue;
    }
    auto b = d.Feed(std::span<const std::uint8_t>(all).subspan(split));
    ASSERT_TRUE(b) << split;
    ASSERT_TRUE(b->complete);
    EXPECT_EQ(b->consumed, wire.size() - split) << split;  // payload not consumed
    EXPECT_EQ(b->header, SampleV2());
    EXPECT_FALSE(d.Feed(payload));  // done
  }
}

TEST(V1Test, DecoderByteByByte) {
  std::string s = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nDATA";
  Decoder d;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto r = d.Feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(&s[i]), 1));
    ASSERT_TRUE(r) << i;
    if (r->complete) {
      EXPECT_EQ(i, 46u);
      EXPECT_EQ(r->consumed, 1u);
      EXPECT_EQ(r->header.dst_port, 443);
      return;
    }
  }
  FAIL() << "never completed";
}

std::vector<std::uint8_t> V2Raw(std::uint8_t ver_cmd, std::uint8_t fam, std::uint16_t len,
                                std::vector<std::uint8_t> body) {
  std::vector<std::uint8_t> v(kV2Signature.begin(), kV2Signature.end());
  v.push_back(ver_cmd);
  v.push_back(fam);
  v.push_back(static_cast<std::uint8_t>(len >> 8));
  v.push_back(static_cast<std::uint8_t>(len));
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

TEST(V2Test, Malformed) {
  struct Case {
    std::vector<std::uint8_t> bytes;
    const char* what;
  };
  const Case cases[] = {
      {V2Raw(0x11, 0x11, 12, std::vector<std::uint8_t>(12)), "version nibble"},
      {V2Raw(0x22, 0x11, 12, std::vector<std::uint8_t>(12)), "command"},
      {V2Raw(0x21, 0x41, 12, std::vector<std::uint8_t>(12)), "address family"},
      {V2Raw(0x21, 0x13, 12, std::vector<std::uint8_t>(12)), "transport"},
      {V2Raw(0x21, 0x11, 8, std::vector<std::uint8_t>(8)), "too short for the address family"},
      {V2Raw(0x21, 0x21, 12, std::vector<std::uint8_t>(12)), "too short for the address family"},
      {V2Raw(0x21, 0x11, 14, std::vector<std::uint8_t>(14)), "truncated TLV header"},
      {V2Raw(0x21, 0x11, 16, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x01, 0x00, 0x05, 'x'}),
       "TLV value runs past"},
      {V2Raw(0x21, 0x11, 19, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x03, 0x00, 0x05, 0, 0, 0, 0}),
       "TLV value runs past"},
      {V2Raw(0x21, 0x11, 17, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x03, 0x00, 0x02, 0, 0}),
       "CRC32C TLV must hold 4 bytes"},
  };
  for (const Case& c : cases) {
    auto r = Decode(c.bytes);
    ASSERT_FALSE(r) << c.what;
    EXPECT_THAT(r.error().ToString(), HasSubstr(c.what));
  }
  // A signature that diverges at byte 5 fails at once.
  std::vector<std::uint8_t> wrong(kV2Signature.begin(), kV2Signature.begin() + 5);
  wrong.push_back(0x00);
  EXPECT_FALSE(Decode(wrong));
}

TEST(V2Test, Limits) {
  Limits limits;
  limits.max_v2_length = 64;
  auto big = V2Raw(0x21, 0x11, 100, {});
  auto r = Decode(big, limits);  // rejected from the fixed part alone
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);

  Header h = SampleV2();
  h.tlvs.assign(5, Tlv{kTlvNoop, {}});
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(AppendV2(h, out));
  limits = Limits{};
  limits.max_tlvs = 4;
  r = Decode(out, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);

  Header huge = SampleV2();
  huge.tlvs = {Tlv{kTlvNoop, std::vector<std::uint8_t>(40000)},
               Tlv{kTlvNoop, std::vector<std::uint8_t>(40000)}};
  out.clear();
  EXPECT_EQ(AppendV2(huge, out).error().code(), Errc::kLimitExceeded);
  EXPECT_TRUE(out.empty());
}

TEST(Crc32cTest, KnownVector) {
  auto b = Bytes("123456789");
  EXPECT_EQ(Crc32c(b), 0xE3069283U);
  // Chaining gives the same result.
  EXPECT_EQ(Crc32c(std::span<const std::uint8_t>(b).subspan(4),
                   Crc32c(std::span<const std::uint8_t>(b).subspan(0, 4))),
            0xE3069283U);
}

}  // namespace
}  // namespace vigie::lb::proxy_protocol
