// The runtime API over a snapshot built from a config: `show stat` rows,
// `show servers state`, the state changes the stats socket makes, and the
// /lb/status text.
#include "lb/server/runtime_api.h"

#include <string>

#include <gtest/gtest.h>

#include "lb/server/snapshot.h"

namespace vigie::lb {
namespace {

constexpr const char* kCfg = R"(global
  maxconn 100
defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend api
  bind 127.0.0.1:6443
  maxconn 50
  default_backend masters
backend masters
  balance leastconn
  server m1 10.0.0.1:6443 check weight 10
  server m2 10.0.0.2:6443 weight 20 disabled
  server m3 [2001:db8::3]:6443 backup
)";

class RuntimeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = haproxy_cfg::ParseHaproxyCfg(kCfg, "haproxy.cfg");
    ASSERT_FALSE(parsed.HasErrors());
    LbConfig cfg;
    cfg.model = parsed.config;
    ServerAddresses addresses(1);
    for (const auto& s : cfg.model.backends[0].servers) {
      addresses[0].push_back(*IpAddress::Parse(s.host));
    }
    auto snap = BuildSnapshot(cfg, addresses, nullptr, metrics_, 1);
    ASSERT_TRUE(snap);
    shared_ = std::make_shared<Shared>();
    shared_->logger = log::Get("lb");
    shared_->global_gate.store(std::make_shared<ConnGate>(cfg.model.global.maxconn));
    state_ = std::make_shared<ControlState>();
    state_->snapshot = *snap;
    state_->version = "9.9.9";
    state_->release_date = "2030/01/02";
    state_->workers = 3;
    state_->listeners = 1;
    state_->shared = shared_;
    runtime_ = MakeRuntimeApi(state_);
  }

  const stats::StatRow& Row(const std::vector<stats::StatRow>& rows, const std::string& sv) {
    for (const auto& r : rows) {
      if (r.svname == sv) {
        return r;
      }
    }
    ADD_FAILURE() << "no row " << sv;
    return rows.front();
  }

  BackendRt& Backend() { return *state_->snapshot->backends[0]; }

  metrics::Registry metrics_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ControlState> state_;
  std::unique_ptr<stats::Runtime> runtime_;
};

TEST_F(RuntimeApiTest, InfoReportsTheProcess) {
  auto info = runtime_->Info();
  EXPECT_EQ(info.version, "9.9.9");
  EXPECT_EQ(info.release_date, "2030/01/02");
  EXPECT_EQ(info.nbthread, 3u);
  EXPECT_EQ(info.maxconn, 100u);  // global maxconn
  EXPECT_EQ(info.listeners, 1u);
  EXPECT_EQ(info.jobs, 1u);  // no connection, one listener
}

TEST_F(RuntimeApiTest, StatsListFrontendServersThenBackend) {
  auto rows = runtime_->Stats();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].svname, "FRONTEND");
  EXPECT_EQ(rows[0].pxname, "api");
  EXPECT_EQ(rows[0].slim, 50u);
  EXPECT_EQ(rows[0].status, "OPEN");
  EXPECT_EQ(rows[1].svname, "m1");
  EXPECT_EQ(rows[2].svname, "m2");
  EXPECT_EQ(rows[3].svname, "m3");
  EXPECT_EQ(rows[4].svname, "BACKEND");
  EXPECT_EQ(rows[4].pxname, "masters");
  EXPECT_EQ(rows[4].algo, "leastconn");
  EXPECT_TRUE(rows[1].checked);
  EXPECT_EQ(rows[2].status, "MAINT");     // disabled
  EXPECT_EQ(rows[3].status, "no check");  // unchecked
  EXPECT_EQ(rows[4].status, "UP");
  // The backend counts m1 active (weight 10) and m3 backup; m2 is in maint.
  EXPECT_EQ(rows[4].act, 1u);
  EXPECT_EQ(rows[4].bck, 1u);
  EXPECT_EQ(rows[4].weight, 10u);
}

TEST_F(RuntimeApiTest, SetAdminPutsAServerInMaintenanceAndBack) {
  using stats::ServerAdmin;
  EXPECT_EQ(runtime_->FindServer("masters", "m1"), stats::Runtime::Lookup::kOk);
  EXPECT_EQ(runtime_->FindServer("masters", "m9"), stats::Runtime::Lookup::kNoServer);
  EXPECT_EQ(runtime_->FindServer("nope", "m1"), stats::Runtime::Lookup::kNoBackend);
  EXPECT_TRUE(runtime_->HasBackend("masters"));
  EXPECT_FALSE(runtime_->HasBackend("nope"));

  runtime_->SetAdmin("masters", "m1", ServerAdmin::kMaint);
  EXPECT_EQ(Backend().pool.admin(0), balance::AdminState::kMaint);
  auto state = runtime_->ServersState();
  ASSERT_EQ(state.size(), 3u);
  EXPECT_EQ(state[0].srv_name, "m1");
  EXPECT_EQ(state[0].admin_state, 0x01);
  EXPECT_EQ(state[0].srv_addr, "10.0.0.1");
  EXPECT_EQ(state[0].port, 6443u);
  auto rows = runtime_->Stats();
  EXPECT_EQ(Row(rows, "m1").status, "MAINT");
  EXPECT_EQ(Row(rows, "BACKEND").act, 0u);

  runtime_->SetAdmin("masters", "m1", ServerAdmin::kDrain);
  EXPECT_EQ(runtime_->ServersState()[0].admin_state, 0x08);
  runtime_->SetAdmin("masters", "m1", ServerAdmin::kReady);
  EXPECT_EQ(Backend().pool.admin(0), balance::AdminState::kReady);
}

TEST_F(RuntimeApiTest, SetWeightChangesTheUserWeight) {
  ASSERT_TRUE(runtime_->SetWeight("masters", "m3", 5));
  EXPECT_EQ(runtime_->GetWeight("masters", "m3"), (std::pair<int, int>{5, 1}));
  auto missing = runtime_->SetWeight("masters", "m9", 5);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().context(), "No such server.\n");
  missing = runtime_->SetWeight("nope", "m1", 5);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().context(), "No such backend.\n");
  EXPECT_EQ(runtime_->GetWeight("nope", "m1"), (std::pair<int, int>{0, 0}));
}

TEST_F(RuntimeApiTest, SetHealthForcesTheCheckState) {
  runtime_->SetHealth("masters", "m1", false);
  EXPECT_FALSE(Backend().pool.healthy(0));
  EXPECT_EQ(Backend().servers[0]->m.server_up.value(), 0);
  EXPECT_EQ(Row(runtime_->Stats(), "m1").status, "DOWN");
  runtime_->SetHealth("masters", "m1", true);
  EXPECT_TRUE(Backend().pool.healthy(0));
  EXPECT_EQ(Row(runtime_->Stats(), "m1").status, "UP");
}

TEST_F(RuntimeApiTest, ClearCountersResetsPeaksAndWithAllCounters) {
  auto& m1 = *Backend().servers[0];
  m1.smax.store(7);
  m1.m.server_connections_total.Inc();
  state_->snapshot->frontends[0]->smax.store(9);
  runtime_->ClearCounters(false);
  EXPECT_EQ(m1.smax.load(), 0u);
  EXPECT_EQ(state_->snapshot->frontends[0]->smax.load(), 0u);
  EXPECT_EQ(m1.m.server_connections_total.value(), 1u);
  runtime_->ClearCounters(true);
  EXPECT_EQ(m1.m.server_connections_total.value(), 0u);
}

TEST_F(RuntimeApiTest, StatusTextSaysWhyEachServerIsOut) {
  std::string text = StatusText(*state_);
  EXPECT_NE(text.find("backend masters (leastconn): 2/3 servers usable, 0 queued\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  m1 10.0.0.1:6443: UP"), std::string::npos) << text;
  EXPECT_NE(text.find("    last check: none yet\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  m2 10.0.0.2:6443: MAINT for "), std::string::npos) << text;
  EXPECT_NE(text.find("    why: in maintenance (disabled by the operator or the config)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  m3 (backup) [2001:db8::3]:6443: no check for "), std::string::npos)
      << text;
  EXPECT_NE(text.find("    no health check configured\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigie::lb
