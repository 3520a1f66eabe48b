// The `lb:` section: what `vigie lb import` prints reads back into the same
// model, and the checks the server needs.
#include "lb/server/config.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "lb/haproxy_cfg/yaml_export.h"

namespace vigie::lb {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(VIGIE_LB_TESTDATA) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<LbConfig> ParseYamlSection(const std::string& text, config::Diagnostics& diag) {
  auto doc = config::LoadText("vigie.yaml", text, diag);
  if (!doc) {
    return std::nullopt;
  }
  const config::Value* lb = doc->root.Find("lb");
  if (lb == nullptr) {
    return std::nullopt;
  }
  LbConfig out;
  if (!ParseValue(config::Field(*lb, "lb", diag), out)) {
    return std::nullopt;
  }
  return out;
}

std::string Rewritten(std::string text) {
  for (const char* from : {"10.42.253.10", "10.42.253.11", "10.42.253.12"}) {
    auto pos = text.find(from);
    text.replace(pos, std::string(from).size(), "127.0.0.1");
  }
  return text;
}

TEST(LbConfig, ImportedYamlReadsBackToTheSameModel) {
  auto parsed =
      haproxy_cfg::ParseHaproxyCfg(ReadTestdata("seed_kubespray_article.cfg"), "haproxy.cfg");
  ASSERT_FALSE(parsed.HasErrors());
  std::string yaml = haproxy_cfg::ExportVigieYaml(parsed);
  config::Diagnostics diag("vigie.yaml");
  auto cfg = ParseYamlSection(yaml, diag);
  ASSERT_TRUE(cfg) << diag.ToString();
  const auto& m = cfg->model;
  ASSERT_EQ(m.frontends.size(), 1u);
  ASSERT_EQ(m.backends.size(), 1u);
  EXPECT_EQ(m.frontends[0].backend, "kubernetes-apiserver-https");
  EXPECT_EQ(m.frontends[0].binds[0].port_first, 6443);
  EXPECT_EQ(m.frontends[0].timeouts.client, std::chrono::milliseconds(50000));
  const auto& be = m.backends[0];
  EXPECT_TRUE(be.from_listen);
  EXPECT_TRUE(be.log_health_checks);
  EXPECT_EQ(be.timeouts.connect, std::chrono::milliseconds(5000));
  ASSERT_EQ(be.servers.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& want = parsed.config.backends[0].servers[i];
    const auto& got = be.servers[i];
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.host, want.host);
    EXPECT_EQ(got.port, want.port);
    EXPECT_EQ(got.check.enabled, want.check.enabled);
    EXPECT_EQ(got.check.ssl, want.check.ssl);
    EXPECT_EQ(got.check.verify_none, want.check.verify_none);
    EXPECT_EQ(got.check.inter, want.check.inter);
    EXPECT_EQ(got.check.rise, want.check.rise);
    EXPECT_EQ(got.check.fall, want.check.fall);
  }
  ASSERT_EQ(m.global.stats_sockets.size(), 1u);
  EXPECT_EQ(m.global.stats_sockets[0].mode, 0660u);
  EXPECT_EQ(m.global.stats_sockets[0].level, "admin");
  EXPECT_EQ(m.global.stats_timeout, std::chrono::milliseconds(30000));
}

TEST(LbConfig, MultiQueueAndSpliceReadBackFromTheImport) {
  auto parsed = haproxy_cfg::ParseHaproxyCfg(
      "global\n tune.listener.multi-queue off\n nosplice\n tune.maxaccept 1\n"
      "frontend api\n bind 127.0.0.1:6443\n"
      " option splice-request\n default_backend m\nbackend m\n option splice-response\n"
      " server m1 127.0.0.1:6444\n",
      "haproxy.cfg");
  ASSERT_FALSE(parsed.HasErrors());
  config::Diagnostics diag("vigie.yaml");
  auto cfg = ParseYamlSection(haproxy_cfg::ExportVigieYaml(parsed), diag);
  ASSERT_TRUE(cfg) << diag.ToString();
  EXPECT_FALSE(cfg->model.global.multi_queue);
  EXPECT_TRUE(cfg->model.global.nosplice);
  EXPECT_EQ(cfg->model.global.maxaccept, 1);
  EXPECT_TRUE(cfg->model.frontends[0].splice_request);
  EXPECT_FALSE(cfg->model.frontends[0].splice_response);
  EXPECT_FALSE(cfg->model.backends[0].splice_request);
  EXPECT_TRUE(cfg->model.backends[0].splice_response);

  config::Diagnostics bad_diag("vigie.yaml");
  EXPECT_FALSE(ParseYamlSection("lb:\n  multi_queue: sometimes\n", bad_diag));
  EXPECT_NE(bad_diag.ToString().find("lb.multi_queue"), std::string::npos) << bad_diag.ToString();
  config::Diagnostics zero_diag("vigie.yaml");
  EXPECT_FALSE(ParseYamlSection("lb:\n  max_accept: 0\n", zero_diag));
  EXPECT_NE(zero_diag.ToString().find("lb.max_accept"), std::string::npos) << zero_diag.ToString();
}

TEST(LbConfig, ErrorsNameTheField) {
  config::Diagnostics diag("vigie.yaml");
  auto cfg = ParseYamlSection(
      "lb:\n"
      "  frontends:\n"
      "    - name: api\n"
      "      binds: [\"127.0.0.1:6443\"]\n"
      "      backend: nowhere\n"
      "  backends:\n"
      "    - name: masters\n"
      "      balance: random\n"
      "      servers:\n"
      "        - {name: m1, address: \"10.0.0.1:6443\", weight: 300}\n",
      diag);
  EXPECT_FALSE(cfg);
  std::string text = diag.ToString();
  EXPECT_NE(text.find("vigie.yaml:8:16: lb.backends[0].balance: unknown value \"random\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lb.backends[0].servers[0].weight: 300 is out of range"), std::string::npos)
      << text;
}

TEST(LbConfig, UnknownBackendIsRefused) {
  config::Diagnostics diag("vigie.yaml");
  auto cfg = ParseYamlSection(
      "lb:\n"
      "  frontends:\n"
      "    - {name: api, binds: [\"127.0.0.1:6443\"], backend: nowhere}\n"
      "  backends:\n"
      "    - {name: masters, servers: [{name: m1, address: \"10.0.0.1:6443\"}]}\n",
      diag);
  EXPECT_FALSE(cfg);
  EXPECT_NE(diag.ToString().find("frontend 'api': no backend named 'nowhere'"), std::string::npos)
      << diag.ToString();
}

TEST(LbConfig, HaproxyCfgFileIsReadWithItsDiagnostics) {
  std::string path = ::testing::TempDir() + "/config_test_haproxy.cfg";
  {
    std::ofstream out(path);
    out << Rewritten(ReadTestdata("seed_kubespray_article.cfg"));
  }
  LbConfig cfg;
  auto errors = LoadHaproxyFile(path, cfg);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(cfg.model.backends[0].servers[2].host, "127.0.0.1");
  bool saw_ignored = false;
  for (const auto& d : cfg.diagnostics) {
    saw_ignored = saw_ignored || (d.severity == haproxy_cfg::Severity::kIgnored &&
                                  d.where.line > 0 && d.text.find("chroot") != std::string::npos);
  }
  EXPECT_TRUE(saw_ignored);
}

TEST(LbConfig, ServerNamesAreResolvedWhenAppliedNotRefused) {
  // As haproxy's default init-addr libc: the name is looked up when the
  // config is applied (tests/integration/test_lb.py uses "localhost").
  auto parsed = haproxy_cfg::ParseHaproxyCfg(
      "listen api\n  bind 127.0.0.1:6443\n  mode tcp\n  server m1 master1.example:6443\n",
      "haproxy.cfg");
  EXPECT_TRUE(ValidateForServing(parsed.config).empty());
}

}  // namespace
}  // namespace vigie::lb
