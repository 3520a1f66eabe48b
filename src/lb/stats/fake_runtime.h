// A stats-socket Runtime for tests and the CLI fuzz target: backend
// "kubernetes-apiserver-https" with servers master1 and master2, state kept
// in memory. Test-only (linked into lb_stats_test and lb_stats_cli_fuzz).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lb/stats/cli.h"

namespace vigie::lb::stats {

class FakeRuntime : public Runtime {
 public:
  struct Srv {
    int weight = 1;
    int initial = 1;
    ServerAdmin admin = ServerAdmin::kReady;
    bool up = true;
  };
  std::map<std::string, std::map<std::string, Srv>, std::less<>> backends = {
      {"kubernetes-apiserver-https", {{"master1", {}}, {"master2", {}}}}};
  bool static_rr = false;

  ProcessInfo Info() const override {
    ProcessInfo i;
    i.version = "test";
    return i;
  }
  std::vector<StatRow> Stats() const override {
    StatRow f;
    f.type = RowType::kFrontend;
    f.pxname = "kubernetes-apiserver-https";
    f.svname = "FRONTEND";
    f.iid = 2;
    StatRow s;
    s.pxname = "kubernetes-apiserver-https";
    s.svname = "master1";
    s.iid = 2;
    s.sid = 1;
    return {f, s};
  }
  std::vector<ServerStateRow> ServersState() const override {
    ServerStateRow a;
    a.be_id = 2;
    a.be_name = "kubernetes-apiserver-https";
    a.srv_id = 1;
    a.srv_name = "master1";
    ServerStateRow b = a;
    b.be_id = 3;
    b.be_name = "other";
    b.srv_name = "x";
    return {a, b};
  }
  bool HasBackend(std::string_view b) const override { return backends.count(b) != 0; }
  Lookup FindServer(std::string_view b, std::string_view s) const override {
    auto it = backends.find(b);
    if (it == backends.end())
      return Lookup::kNoBackend;
    return it->second.count(std::string(s)) ? Lookup::kOk : Lookup::kNoServer;
  }
  Srv& At(std::string_view b, std::string_view s) {
    return backends.find(b)->second.find(std::string(s))->second;
  }
  void SetAdmin(std::string_view b, std::string_view s, ServerAdmin a) override {
    At(b, s).admin = a;
  }
  Result<void> SetWeight(std::string_view b, std::string_view s, int w) override {
    if (static_rr && w != 0 && w != At(b, s).initial) {
      return Error(Errc::kInvalidArgument,
                   "Backend is using a static LB algorithm and only accepts weights '0%' and "
                   "'100%'.\n");
    }
    At(b, s).weight = w;
    return {};
  }
  std::pair<int, int> GetWeight(std::string_view b, std::string_view s) const override {
    const Srv& v = backends.find(b)->second.find(std::string(s))->second;
    return {v.weight, v.initial};
  }
  void SetHealth(std::string_view b, std::string_view s, bool up) override { At(b, s).up = up; }
  void ClearCounters(bool all) override { cleared.push_back(all); }
  std::vector<bool> cleared;  // one entry per ClearCounters call: its `all`
};

}  // namespace vigie::lb::stats
