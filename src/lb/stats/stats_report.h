// Renders the runtime API's read commands exactly as haproxy 2.6 prints
// them, from a plain data snapshot: `show stat` CSV (the 2.6.12 column order
// and header; FRONTEND / BACKEND / server rows with haproxy's empty fields),
// `show info` ("Key: value" lines) and `show servers state`. Golden-tested
// against captures of a real haproxy 2.6.12.
//
// Pure: the caller fills the snapshot. Thread rules: functions of values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigie::lb::stats {

// The `show stat` header line ("# pxname,svname,...,\n"), 2.6.12 order.
const std::string& ShowStatHeader();
// Column names in order (the header without "# " and trailing commas).
const std::vector<std::string>& ShowStatColumns();

enum class RowType { kFrontend = 0, kBackend = 1, kServer = 2 };

// One `show stat` row. Counters are plain numbers; fields that do not apply
// to the row type are printed empty as haproxy does, whatever they hold.
struct StatRow {
  RowType type = RowType::kServer;
  std::string pxname;
  std::string svname;  // "FRONTEND", "BACKEND" or the server name
  std::uint64_t qcur = 0, qmax = 0, scur = 0, smax = 0;
  std::uint64_t slim = 0;  // frontend maxconn, backend fullconn, server maxconn (0 = empty)
  std::uint64_t stot = 0, bin = 0, bout = 0, dreq = 0, dresp = 0, ereq = 0;
  std::uint64_t econ = 0, eresp = 0, wretr = 0, wredis = 0;
  std::string status;        // OPEN, UP, DOWN, "UP 1/3", MAINT, DRAIN, "no check", ...
  std::uint64_t weight = 0;  // backend: sum of active server weights
  std::uint64_t act = 0, bck = 0;
  std::uint64_t chkfail = 0, chkdown = 0;
  std::uint64_t lastchg = 0;   // seconds since the last state change
  std::uint64_t downtime = 0;  // seconds spent down
  std::uint64_t qlimit = 0;    // server maxqueue (0 = empty)
  std::uint64_t pid = 1, iid = 0, sid = 0;
  std::optional<std::uint64_t> throttle;  // slowstart percentage while ramping
  std::uint64_t lbtot = 0;
  std::uint64_t rate = 0, rate_lim = 0, rate_max = 0;
  bool checked = false;                         // the server has `check`
  std::string check_status;                     // "L4OK", "INI", ...
  std::optional<int> check_code;                // L7 status code
  std::optional<std::uint64_t> check_duration;  // ms; empty before the first check
  std::string last_chk;                         // check info ("Connection refused")
  std::string check_desc;                       // "Layer4 check passed"
  int check_rise = 0, check_fall = 0, check_health = 0;
  std::string addr;  // server "ip:port"
  std::string mode = "tcp";
  std::string algo;            // backend balance algorithm
  std::int64_t lastsess = -1;  // seconds since last session, -1 = never
  std::uint64_t cli_abrt = 0, srv_abrt = 0;
  std::uint64_t qtime = 0, ctime = 0, rtime = 0, ttime = 0;
  std::uint64_t qtime_max = 0, ctime_max = 0, rtime_max = 0, ttime_max = 0;
  std::uint64_t conn_rate = 0, conn_rate_max = 0, conn_tot = 0;
  std::uint64_t connect = 0, reuse = 0, eint = 0;
  std::uint64_t uweight = 0;  // server user weight; backend: sum of user weights
  std::uint64_t req_tot = 0;
  // HTTP/1 mux counters (haproxy counts HTTP health checks here on backends).
  std::uint64_t h1_total_connections = 0, h1_total_streams = 0, h1_bytes_in = 0, h1_bytes_out = 0;
};

// Row selection of `show stat <iid> <type> <sid>`: iid -1 = all proxies,
// type is a bit field (1 frontends, 2 backends, 4 servers; -1 = all),
// sid -1 = all servers.
struct StatFilter {
  std::int64_t iid = -1;
  std::int64_t type_mask = -1;
  std::int64_t sid = -1;
};

// The whole `show stat` reply: header, matching rows, and the empty line
// that ends every CLI reply is NOT included (the session adds it).
std::string RenderShowStat(const std::vector<StatRow>& rows, const StatFilter& filter = {});
std::string RenderStatRow(const StatRow& row);

// `show info`: the process fields haproxy 2.6 prints, in its order.
struct ProcessInfo {
  std::string name = "HAProxy";
  std::string version;
  std::string release_date;
  std::uint64_t nbthread = 1;
  std::uint64_t pid = 0;
  std::uint64_t uptime_sec = 0;
  std::uint64_t maxconn = 0, hard_maxconn = 0;
  std::uint64_t ulimit_n = 0, maxsock = 0;
  std::uint64_t curr_conns = 0, cum_conns = 0, cum_req = 0;
  std::uint64_t conn_rate = 0, conn_rate_limit = 0, max_conn_rate = 0;
  std::uint64_t sess_rate = 0, sess_rate_limit = 0, max_sess_rate = 0;
  std::uint64_t tasks = 0, run_queue = 0;
  std::uint64_t idle_pct = 100;
  std::string node;
  bool stopping = false;
  std::uint64_t jobs = 0, unstoppable_jobs = 0, listeners = 0;
  std::uint64_t dropped_logs = 0;
  std::uint64_t total_bytes_out = 0, bytes_out_rate = 0;
  std::string build_info;
  std::uint64_t pool_alloc_bytes = 0, pool_used_bytes = 0;
  std::uint64_t start_time_sec = 0;
};
// "Uptime: 0d 0h00m18s" is derived from uptime_sec.
std::string RenderShowInfo(const ProcessInfo& info);

// `show servers state` (format version 1): one line per server.
struct ServerStateRow {
  std::uint64_t be_id = 0;
  std::string be_name;
  std::uint64_t srv_id = 0;
  std::string srv_name;
  std::string srv_addr;
  int op_state = 2;     // 0 stopped, 1 starting, 2 running, 3 stopping
  int admin_state = 0;  // bit field: 0x01 forced maint, 0x08 forced drain, ...
  std::uint64_t uweight = 1, iweight = 1;
  std::uint64_t time_since_last_change = 0;
  int check_status = 0;  // health::CheckStatus number
  int check_result = 0;  // 0 unknown, 1 neutral, 2 failed, 3 passed, 4 cond. passed
  int check_health = 0;
  int check_state =
      0;  // 0x02 enabled, 0x04 paused, 0x01 running ...: 6 = configured+enabled, 0 = none
  int agent_state = 0;
  std::uint16_t port = 0;
  bool use_ssl = false;
  std::uint16_t check_port = 0;
};
std::string RenderShowServersState(const std::vector<ServerStateRow>& rows);

}  // namespace vigie::lb::stats
