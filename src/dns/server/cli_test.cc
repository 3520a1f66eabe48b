// Tests for `vigie dns why` offline and `vigie dns top`'s table.
#include "dns/server/cli.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

// A file under the test's temporary directory holding `text`.
std::string WriteList(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/dns_cli_test_" + name;
  std::ofstream(path) << text;
  return path;
}

ListSourceConfig Source(std::string id, std::string source) {
  ListSourceConfig s;
  s.id = std::move(id);
  s.source = std::move(source);
  return s;
}

TEST(DnsCliTest, WhyNamesTheListAndLineThatBlock) {
  DnsConfig config;
  config.block = {Source("ads", WriteList("hosts", "# ads\n0.0.0.0 ads.example.com\n"))};
  const WhyAnswer blocked = ExplainOffline(config, "ads.example.com");
  EXPECT_TRUE(blocked.blocked);
  EXPECT_NE(blocked.text.find("blocked by list \"ads\""), std::string::npos) << blocked.text;
  EXPECT_NE(blocked.text.find("line 2"), std::string::npos) << blocked.text;
  EXPECT_EQ(blocked.text.find("warning"), std::string::npos) << blocked.text;

  const WhyAnswer other = ExplainOffline(config, "www.example.com");
  EXPECT_FALSE(other.blocked);
  EXPECT_NE(other.text.find("no rule matches"), std::string::npos) << other.text;
}

TEST(DnsCliTest, WhyWarnsAboutAListItCannotRead) {
  DnsConfig config;
  const std::string missing = ::testing::TempDir() + "/dns_cli_test_missing/hosts";
  std::filesystem::remove_all(::testing::TempDir() + "/dns_cli_test_missing");
  config.block = {Source("gone", missing)};
  const WhyAnswer a = ExplainOffline(config, "ads.example.com");
  EXPECT_FALSE(a.blocked);
  EXPECT_EQ(a.text.rfind("warning: list gone: ", 0), 0u) << a.text;
}

TEST(DnsCliTest, TopTableHasTheTotalAndOneLinePerName) {
  auto table = FormatTop(R"({"total":42,"names":[{"name":"ads.example","count":30,"error":2},)"
                         R"({"name":"tracker.example","count":12,"error":0}]})");
  ASSERT_TRUE(table) << table.error().ToString();
  EXPECT_EQ(*table,
            "     count    ±error  name   (42 blocked queries since start)\n"
            "        30          2  ads.example\n"
            "        12          0  tracker.example\n");
}

TEST(DnsCliTest, TopRefusesAnotherShape) {
  EXPECT_FALSE(FormatTop("not json"));
  EXPECT_FALSE(FormatTop(R"({"names":[]})"));
  EXPECT_FALSE(FormatTop(R"({"total":1,"names":[{"name":7,"count":1,"error":0}]})"));
  EXPECT_TRUE(FormatTop(R"({"total":0,"names":[]})"));
}

}  // namespace
}  // namespace vigie::dns
