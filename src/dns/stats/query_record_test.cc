// The query log line: fields, escaping, time format.
#include "dns/stats/query_record.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

TEST(QueryRecordTest, BlockedLine) {
  QueryRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764185020123));
  r.client = *IpAddress::Parse("192.0.2.7");
  r.name = "ads.example.com";
  r.type = 28;
  r.result = "blocked";
  r.rule_list = "stevenblack";
  r.rule_line = 12;
  r.rcode = 3;
  r.latency_ms = 0.0421;
  std::string line;
  AppendJsonLine(r, &line);
  EXPECT_EQ(line, R"({"time":"2025-11-26T19:23:40.123Z","client":"192.0.2.7","proto":"udp",)"
                  R"("name":"ads.example.com","type":"AAAA","result":"blocked",)"
                  R"("rule":{"list":"stevenblack","line":12,"action":"block"},"rcode":"NXDOMAIN",)"
                  R"("latency_ms":0.042})"
                  "\n");
}

TEST(QueryRecordTest, ForwardedLineHasUpstreamAndNoRule) {
  QueryRecord r;
  r.client = *IpAddress::Parse("::1");
  r.name = "www.example.com";
  r.type = 1;
  r.result = "forwarded";
  r.rcode = 0;
  r.latency_ms = 12.5;
  r.upstream = "192.0.2.53:53";
  r.tcp = true;
  std::string line;
  AppendJsonLine(r, &line);
  EXPECT_NE(line.find(R"("client":"::1","proto":"tcp")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("rcode":"NOERROR","latency_ms":12.500,"upstream":"192.0.2.53:53"})"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find("rule"), std::string::npos);
}

TEST(QueryRecordTest, EscapesNamesAndDroppedHasNullRcode) {
  QueryRecord r;
  r.name = std::string("a\"b\\c\x01\xff", 7);
  r.result = "ratelimited";
  std::string line;
  AppendJsonLine(r, &line);
  EXPECT_NE(line.find(R"("name":"a\"b\\c\u0001\u00ff")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("rcode":null)"), std::string::npos) << line;
}

TEST(QueryRecordTest, TypeAndRcodeText) {
  EXPECT_EQ(TypeText(65), "HTTPS");
  EXPECT_EQ(TypeText(999), "TYPE999");
  EXPECT_EQ(RcodeText(5), "REFUSED");
  EXPECT_EQ(RcodeText(9), "RCODE9");
  EXPECT_EQ(Rfc3339Millis(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace vigie::dns
