// Tests for the vigie.yaml exporter: the output parses as YAML (yaml-cpp),
// carries every resolved value, and lists what was not carried over.
#include "lb/haproxy_cfg/yaml_export.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace vigie::lb::haproxy_cfg {
namespace {

using ::testing::HasSubstr;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(VIGIE_LB_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(YamlExportTest, SeedConfigRoundTripsThroughYamlCpp) {
  ParseOutput parsed = ParseHaproxyCfg(ReadTestdata("seed_kubespray_article.cfg"), "haproxy.cfg");
  std::string yaml = ExportVigieYaml(parsed);
  YAML::Node root = YAML::Load(yaml);
  YAML::Node lb = root["lb"];
  ASSERT_TRUE(lb.IsMap());
  EXPECT_EQ(lb["stats_sockets"][0]["path"].as<std::string>(), "/run/haproxy/admin.sock");
  EXPECT_EQ(lb["stats_sockets"][0]["mode"].as<std::string>(), "0660");
  EXPECT_EQ(lb["stats_sockets"][0]["level"].as<std::string>(), "admin");
  EXPECT_TRUE(lb["stats_sockets"][0]["expose_fd_listeners"].as<bool>());
  EXPECT_EQ(lb["stats_timeout"].as<std::string>(), "30s");
  YAML::Node fe = lb["frontends"][0];
  EXPECT_EQ(fe["name"].as<std::string>(), "kubernetes-apiserver-https");
  EXPECT_EQ(fe["binds"][0]["address"].as<std::string>(), "0.0.0.0:6443");
  EXPECT_FALSE(fe["binds"][0]["accept_proxy"].as<bool>());
  EXPECT_EQ(fe["backend"].as<std::string>(), "kubernetes-apiserver-https");
  EXPECT_EQ(fe["timeouts"]["client"].as<std::string>(), "50s");
  YAML::Node be = lb["backends"][0];
  EXPECT_EQ(be["balance"].as<std::string>(), "roundrobin");
  EXPECT_TRUE(be["log_health_checks"].as<bool>());
  EXPECT_EQ(be["timeouts"]["connect"].as<std::string>(), "5s");
  EXPECT_EQ(be["timeouts"]["server"].as<std::string>(), "50s");
  ASSERT_EQ(be["servers"].size(), 3u);
  YAML::Node m2 = be["servers"][1];
  EXPECT_EQ(m2["name"].as<std::string>(), "master2");
  EXPECT_EQ(m2["address"].as<std::string>(), "10.42.253.11:6443");
  EXPECT_EQ(m2["weight"].as<int>(), 1);
  EXPECT_TRUE(m2["check"]["enabled"].as<bool>());
  EXPECT_TRUE(m2["check"]["tls"].as<bool>());
  EXPECT_EQ(m2["check"]["verify"].as<std::string>(), "none");
  EXPECT_EQ(m2["check"]["inter"].as<std::string>(), "10s");
  EXPECT_EQ(m2["check"]["fastinter"].as<std::string>(), "10s");
  EXPECT_EQ(m2["check"]["rise"].as<int>(), 2);
  EXPECT_EQ(m2["check"]["fall"].as<int>(), 3);
  // Everything not carried over is listed as a comment with file:line.
  EXPECT_THAT(yaml, HasSubstr("#   haproxy.cfg:4: ignored: 'chroot' does not apply to vigie\n"));
  EXPECT_THAT(yaml,
              HasSubstr("#   haproxy.cfg:21: ignored: 'errorfile' does not apply to vigie\n"));
  std::size_t listed = 0;
  for (std::size_t pos = 0; (pos = yaml.find("\n#   haproxy.cfg:", pos)) != std::string::npos;
       ++pos) {
    ++listed;
  }
  EXPECT_EQ(listed, parsed.diagnostics.size());
}

TEST(YamlExportTest, KubesprayHttpCheckAndServerDefaults) {
  ParseOutput parsed = ParseHaproxyCfg(ReadTestdata("kubespray_node_lb.cfg"), "lb.cfg");
  YAML::Node lb = YAML::Load(ExportVigieYaml(parsed))["lb"];
  EXPECT_EQ(lb["maxconn"].as<int>(), 4000);
  YAML::Node be = lb["backends"][0];
  EXPECT_EQ(be["balance"].as<std::string>(), "leastconn");
  EXPECT_EQ(be["http_check"]["method"].as<std::string>(), "GET");
  EXPECT_EQ(be["http_check"]["uri"].as<std::string>(), "/healthz");
  EXPECT_EQ(be["http_check"]["expect_status"].as<std::string>(), "200");
  EXPECT_EQ(be["timeouts"]["queue"].as<std::string>(), "5m");
  YAML::Node s = be["servers"][0];
  EXPECT_EQ(s["slowstart"].as<std::string>(), "1m");
  EXPECT_EQ(s["maxconn"].as<int>(), 1000);
  EXPECT_EQ(s["maxqueue"].as<int>(), 256);
  EXPECT_EQ(s["weight"].as<int>(), 100);
  EXPECT_EQ(s["check"]["downinter"].as<std::string>(), "15s");
  EXPECT_EQ(lb["frontends"][0]["binds"][0]["address"].as<std::string>(), "*:8081");
}

TEST(YamlExportTest, AwkwardNamesAreQuoted) {
  ParseOutput parsed = ParseHaproxyCfg(
      "listen yes\n bind [::1]:443\n server true 10.0.0.1:1 send-proxy-v2\n"
      " server n6 [2001:db8::1]:6443\n option httpchk GET \"/a \\\"b\"\n"
      " timeout client 1s\n timeout connect 1s\n timeout server 1s\n",
      "q.cfg");
  ASSERT_FALSE(parsed.HasErrors());
  std::string yaml = ExportVigieYaml(parsed);
  YAML::Node lb = YAML::Load(yaml)["lb"];
  EXPECT_EQ(lb["frontends"][0]["name"].as<std::string>(), "yes");
  EXPECT_EQ(lb["frontends"][0]["binds"][0]["address"].as<std::string>(), "[::1]:443");
  EXPECT_EQ(lb["backends"][0]["servers"][0]["name"].as<std::string>(), "true");
  EXPECT_EQ(lb["backends"][0]["servers"][0]["send_proxy"].as<std::string>(), "v2");
  EXPECT_EQ(lb["backends"][0]["servers"][1]["address"].as<std::string>(), "[2001:db8::1]:6443");
  EXPECT_EQ(lb["backends"][0]["http_check"]["uri"].as<std::string>(), "/a \"b");
  EXPECT_THAT(yaml, HasSubstr("# every directive was carried over.\n"));
}

TEST(YamlExportTest, MultiQueueOffIsCarriedOver) {
  YAML::Node lb = YAML::Load(
      ExportVigieYaml(ParseHaproxyCfg("global\n tune.listener.multi-queue off\n", "m.cfg")))["lb"];
  EXPECT_FALSE(lb["multi_queue"].as<bool>());
  // On is the default and is not written.
  EXPECT_FALSE(
      YAML::Load(ExportVigieYaml(ParseHaproxyCfg("global\n", "m.cfg")))["lb"]["multi_queue"]);
}

TEST(YamlExportTest, MaxAcceptIsCarriedOverWhenNotTheDefault) {
  YAML::Node lb =
      YAML::Load(ExportVigieYaml(ParseHaproxyCfg("global\n tune.maxaccept -1\n", "m.cfg")))["lb"];
  EXPECT_EQ(lb["max_accept"].as<int>(), -1);
  EXPECT_FALSE(YAML::Load(ExportVigieYaml(
      ParseHaproxyCfg("global\n tune.maxaccept 4\n", "m.cfg")))["lb"]["max_accept"]);
}

TEST(YamlExportTest, EmptyConfig) {
  ParseOutput parsed = ParseHaproxyCfg("", "e.cfg");
  YAML::Node lb = YAML::Load(ExportVigieYaml(parsed))["lb"];
  EXPECT_EQ(lb["frontends"].size(), 0u);
  EXPECT_EQ(lb["backends"].size(), 0u);
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg
