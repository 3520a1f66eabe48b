// Golden tests: snapshots rebuilt from the state of a real haproxy 2.6.12
// must render byte for byte what it printed (testdata/haproxy26_*.txt, each
// captured with its terminating empty line).
#include "lb/stats/stats_report.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::stats {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(VIGIE_LB_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StatRow Frontend(std::string px, std::uint64_t iid, std::uint64_t slim) {
  StatRow r;
  r.type = RowType::kFrontend;
  r.pxname = std::move(px);
  r.svname = "FRONTEND";
  r.slim = slim;
  r.status = "OPEN";
  r.iid = iid;
  return r;
}

StatRow Server(std::string px, std::string name, std::uint64_t sid, std::string status) {
  StatRow r;
  r.type = RowType::kServer;
  r.pxname = std::move(px);
  r.svname = std::move(name);
  r.iid = 2;
  r.sid = sid;
  r.status = std::move(status);
  r.weight = 1;
  r.uweight = 1;
  r.act = 1;
  return r;
}

void Checked(StatRow& r, const char* status, const char* desc, const char* info,
             std::uint64_t duration, int rise, int fall, int health) {
  r.checked = true;
  r.check_status = status;
  r.check_desc = desc;
  r.last_chk = info;
  r.check_duration = duration;
  r.check_rise = rise;
  r.check_fall = fall;
  r.check_health = health;
}

StatRow Backend(std::string px, std::uint64_t iid, std::uint64_t slim, std::string status,
                std::string algo) {
  StatRow r;
  r.type = RowType::kBackend;
  r.pxname = std::move(px);
  r.svname = "BACKEND";
  r.iid = iid;
  r.slim = slim;
  r.status = std::move(status);
  r.algo = std::move(algo);
  return r;
}

TEST(ShowStatTest, HeaderIsHaproxy26) {
  std::string golden = ReadTestdata("haproxy26_show_stat_seed.txt");
  EXPECT_EQ(ShowStatHeader(), golden.substr(0, golden.find('\n') + 1));
  EXPECT_EQ(ShowStatColumns().size(), 128u);
  EXPECT_EQ(ShowStatColumns()[17], "status");
  EXPECT_EQ(ShowStatColumns()[36], "check_status");
}

// listen kubernetes-apiserver-https after drain/maint/ready commands with
// every master refusing connections.
TEST(ShowStatTest, SeedListenGolden) {
  const std::string px = "kubernetes-apiserver-https";
  std::vector<StatRow> rows;
  rows.push_back(Frontend(px, 2, 9984));
  StatRow m1 = Server(px, "master1", 1, "DOWN");
  Checked(m1, "L4CON", "Layer4 connection problem", "Connection refused", 0, 2, 3, 0);
  m1.weight = 0;
  m1.uweight = 0;
  m1.chkfail = 4;
  m1.chkdown = 2;
  m1.lastchg = 4;
  m1.downtime = 6;
  m1.addr = "127.0.0.1:16501";
  rows.push_back(m1);
  StatRow m2 = Server(px, "master2", 2, "DOWN");
  Checked(m2, "L4CON", "Layer4 connection problem", "Connection refused", 0, 2, 3, 0);
  m2.chkfail = 2;
  m2.chkdown = 2;
  m2.lastchg = 7;
  m2.downtime = 7;
  m2.addr = "127.0.0.1:16502";
  rows.push_back(m2);
  StatRow m3 = Server(px, "master3", 3, "DOWN");
  Checked(m3, "L4CON", "Layer4 connection problem", "Connection refused", 0, 2, 3, 0);
  m3.act = 0;
  m3.bck = 1;
  m3.chkfail = 1;
  m3.chkdown = 1;
  m3.lastchg = 36;
  m3.downtime = 36;
  m3.addr = "127.0.0.1:16503";
  rows.push_back(m3);
  StatRow be = Backend(px, 2, 999, "DOWN", "roundrobin");
  be.act = 0;
  be.chkdown = 3;
  be.lastchg = 7;
  be.downtime = 8;
  rows.push_back(be);
  EXPECT_EQ(RenderShowStat(rows) + "\n", ReadTestdata("haproxy26_show_stat_seed.txt"));
}

// backend with option httpchk: L7OK, L7STS, L4CON, L7RSP rows.
TEST(ShowStatTest, HttpCheckBackendGolden) {
  std::vector<StatRow> rows;
  StatRow ok = Server("be", "ok", 1, "UP");
  Checked(ok, "L7OK", "Layer7 check passed", "", 1, 2, 2, 3);
  ok.check_code = 200;
  ok.lastchg = 6;
  ok.addr = "127.0.0.1:16601";
  rows.push_back(ok);
  const char* names[] = {"bad", "refused", "notcp"};
  for (int k = 0; k < 3; ++k) {
    StatRow s = Server("be", names[k], static_cast<std::uint64_t>(k + 2), "DOWN");
    s.chkfail = 1;
    s.chkdown = 1;
    s.lastchg = 6;
    s.downtime = 6;
    s.addr = "127.0.0.1:1660" + std::to_string(k + 2);
    if (k == 0) {
      Checked(s, "L7STS", "Layer7 wrong status", "Service Unavailable", 0, 2, 2, 0);
      s.check_code = 503;
    } else if (k == 1) {
      Checked(s, "L4CON", "Layer4 connection problem", "Connection refused", 0, 2, 2, 0);
    } else {
      Checked(s, "L7RSP", "Layer7 invalid response", "", 0, 2, 2, 0);
    }
    rows.push_back(s);
  }
  StatRow be = Backend("be", 2, 999, "UP", "leastconn");
  be.weight = 1;
  be.act = 1;
  be.lastchg = 6;
  be.uweight = 1;
  be.h1_total_connections = 13;
  be.h1_total_streams = 13;
  be.h1_bytes_in = 1055;
  be.h1_bytes_out = 275;
  rows.push_back(be);
  rows.push_back(Frontend("fe", 3, 9984));
  EXPECT_EQ(RenderShowStat(rows) + "\n", ReadTestdata("haproxy26_show_stat_httpchk.txt"));
}

// A server without `check`, with maxconn and maxqueue.
TEST(ShowStatTest, UncheckedServerGolden) {
  std::vector<StatRow> rows;
  rows.push_back(Frontend("l", 2, 500));
  StatRow n = Server("l", "nochk", 1, "no check");
  n.slim = 10;
  n.qlimit = 20;
  n.lastchg = 1;
  n.addr = "127.0.0.1:16941";
  rows.push_back(n);
  StatRow c = Server("l", "chk", 2, "DOWN");
  Checked(c, "L4CON", "Layer4 connection problem", "Connection refused", 0, 2, 3, 0);
  c.weight = 3;
  c.uweight = 3;
  c.chkfail = 1;
  c.chkdown = 1;
  c.lastchg = 1;
  c.downtime = 1;
  c.addr = "127.0.0.1:16942";
  rows.push_back(c);
  StatRow be = Backend("l", 2, 50, "UP", "roundrobin");
  be.weight = 1;
  be.act = 1;
  be.lastchg = 1;
  be.uweight = 1;
  rows.push_back(be);
  EXPECT_EQ(RenderShowStat(rows) + "\n", ReadTestdata("haproxy26_show_stat_nocheck.txt"));
}

TEST(ShowStatTest, FilterByProxyTypeAndServer) {
  std::vector<StatRow> rows = {Frontend("a", 2, 1), Server("a", "s1", 1, "UP"),
                               Server("a", "s2", 2, "UP"), Backend("a", 2, 1, "UP", "first"),
                               Frontend("b", 3, 1)};
  auto count = [&](StatFilter f) {
    std::string out = RenderShowStat(rows, f);
    return std::count(out.begin(), out.end(), '\n') - 1;  // minus header
  };
  EXPECT_EQ(count({}), 5);
  EXPECT_EQ(count({2, -1, -1}), 4);
  EXPECT_EQ(count({-1, 1, -1}), 2);  // frontends
  EXPECT_EQ(count({-1, 2, -1}), 1);  // backends
  EXPECT_EQ(count({-1, 4, -1}), 2);  // servers
  EXPECT_EQ(count({-1, 4, 2}), 1);   // one server
  EXPECT_EQ(count({-1, 7, 2}), 4);   // sid filters servers only
  EXPECT_EQ(count({3, -1, -1}), 1);
}

TEST(ShowStatTest, CsvEscaping) {
  StatRow r = Server("a", "s", 1, "DOWN");
  r.checked = true;
  r.last_chk = "a,b \"c\"";
  std::string row = RenderStatRow(r);
  EXPECT_THAT(row, ::testing::HasSubstr(",\"a,b \"\"c\"\"\","));
}

TEST(ShowInfoTest, Golden) {
  ProcessInfo i;
  i.version = "2.6.12-1+deb12u4";
  i.release_date = "2026/10/17";
  i.nbthread = 2;
  i.pid = 6459;
  i.uptime_sec = 37;
  i.pool_alloc_bytes = 140296;
  i.pool_used_bytes = 140296;
  i.ulimit_n = 19999;
  i.maxsock = 19999;
  i.maxconn = 9984;
  i.hard_maxconn = 9984;
  i.cum_conns = 143;
  i.cum_req = 33;
  i.tasks = 15;
  i.node = "vm";
  i.jobs = 3;
  i.listeners = 2;
  i.total_bytes_out = 42597;
  i.bytes_out_rate = 4512;
  i.build_info = "2.6.12-1+deb12u4";
  i.start_time_sec = 1795709924;
  EXPECT_EQ(RenderShowInfo(i) + "\n", ReadTestdata("haproxy26_show_info.txt"));
}

TEST(ShowInfoTest, UptimeFormat) {
  ProcessInfo i;
  i.uptime_sec = 2 * 86400 + 3 * 3600 + 4 * 60 + 5;
  EXPECT_THAT(RenderShowInfo(i), ::testing::HasSubstr("\nUptime: 2d 3h04m05s\n"));
}

TEST(ShowServersStateTest, Golden) {
  // Captured from the nocheck listen: "nochk" (no check) and "chk" (L4CON).
  ServerStateRow a{.be_id = 2,
                   .be_name = "l",
                   .srv_id = 1,
                   .srv_name = "nochk",
                   .srv_addr = "127.0.0.1",
                   .op_state = 2,
                   .admin_state = 0,
                   .uweight = 1,
                   .iweight = 1,
                   .time_since_last_change = 1,
                   .check_status = 1,
                   .check_result = 0,
                   .check_health = 2,
                   .check_state = 0,
                   .agent_state = 0,
                   .port = 16941};
  ServerStateRow b{.be_id = 2,
                   .be_name = "l",
                   .srv_id = 2,
                   .srv_name = "chk",
                   .srv_addr = "127.0.0.1",
                   .op_state = 0,
                   .admin_state = 0,
                   .uweight = 3,
                   .iweight = 3,
                   .time_since_last_change = 1,
                   .check_status = 8,
                   .check_result = 2,
                   .check_health = 0,
                   .check_state = 6,
                   .agent_state = 0,
                   .port = 16942};
  EXPECT_EQ(RenderShowServersState({a, b}) + "\n",
            ReadTestdata("haproxy26_show_servers_state.txt"));
}

}  // namespace
}  // namespace vigie::lb::stats
