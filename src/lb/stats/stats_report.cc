// `show stat` / `show info` / `show servers state` renderers. The column
// applicability table was read off haproxy 2.6.12 output for TCP proxies
// (testdata/haproxy26_*.txt).
#include "lb/stats/stats_report.h"

#include <array>
#include <cstdio>
#include <functional>

namespace vigie::lb::stats {
namespace {

constexpr const char* kColumns[] = {"pxname",
                                    "svname",
                                    "qcur",
                                    "qmax",
                                    "scur",
                                    "smax",
                                    "slim",
                                    "stot",
                                    "bin",
                                    "bout",
                                    "dreq",
                                    "dresp",
                                    "ereq",
                                    "econ",
                                    "eresp",
                                    "wretr",
                                    "wredis",
                                    "status",
                                    "weight",
                                    "act",
                                    "bck",
                                    "chkfail",
                                    "chkdown",
                                    "lastchg",
                                    "downtime",
                                    "qlimit",
                                    "pid",
                                    "iid",
                                    "sid",
                                    "throttle",
                                    "lbtot",
                                    "tracked",
                                    "type",
                                    "rate",
                                    "rate_lim",
                                    "rate_max",
                                    "check_status",
                                    "check_code",
                                    "check_duration",
                                    "hrsp_1xx",
                                    "hrsp_2xx",
                                    "hrsp_3xx",
                                    "hrsp_4xx",
                                    "hrsp_5xx",
                                    "hrsp_other",
                                    "hanafail",
                                    "req_rate",
                                    "req_rate_max",
                                    "req_tot",
                                    "cli_abrt",
                                    "srv_abrt",
                                    "comp_in",
                                    "comp_out",
                                    "comp_byp",
                                    "comp_rsp",
                                    "lastsess",
                                    "last_chk",
                                    "last_agt",
                                    "qtime",
                                    "ctime",
                                    "rtime",
                                    "ttime",
                                    "agent_status",
                                    "agent_code",
                                    "agent_duration",
                                    "check_desc",
                                    "agent_desc",
                                    "check_rise",
                                    "check_fall",
                                    "check_health",
                                    "agent_rise",
                                    "agent_fall",
                                    "agent_health",
                                    "addr",
                                    "cookie",
                                    "mode",
                                    "algo",
                                    "conn_rate",
                                    "conn_rate_max",
                                    "conn_tot",
                                    "intercepted",
                                    "dcon",
                                    "dses",
                                    "wrew",
                                    "connect",
                                    "reuse",
                                    "cache_lookups",
                                    "cache_hits",
                                    "srv_icur",
                                    "src_ilim",
                                    "qtime_max",
                                    "ctime_max",
                                    "rtime_max",
                                    "ttime_max",
                                    "eint",
                                    "idle_conn_cur",
                                    "safe_conn_cur",
                                    "used_conn_cur",
                                    "need_conn_est",
                                    "uweight",
                                    "agg_server_status",
                                    "agg_server_check_status",
                                    "agg_check_status",
                                    "-",
                                    "ssl_sess",
                                    "ssl_reused_sess",
                                    "ssl_failed_handshake",
                                    "h2_headers_rcvd",
                                    "h2_data_rcvd",
                                    "h2_settings_rcvd",
                                    "h2_rst_stream_rcvd",
                                    "h2_goaway_rcvd",
                                    "h2_detected_conn_protocol_errors",
                                    "h2_detected_strm_protocol_errors",
                                    "h2_rst_stream_resp",
                                    "h2_goaway_resp",
                                    "h2_open_connections",
                                    "h2_backend_open_streams",
                                    "h2_total_connections",
                                    "h2_backend_total_streams",
                                    "h1_open_connections",
                                    "h1_open_streams",
                                    "h1_total_connections",
                                    "h1_total_streams",
                                    "h1_bytes_in",
                                    "h1_bytes_out",
                                    "h1_spliced_bytes_in",
                                    "h1_spliced_bytes_out"};
constexpr std::size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

std::string N(std::uint64_t v) {
  return std::to_string(v);
}

// CSV-escapes like haproxy's csv_enc(): quote when the field holds a comma,
// a quote or a line break.
std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

// The text of column `c` for `r`, or "" when haproxy leaves it empty.
std::string Field(const StatRow& r, std::size_t c) {
  const bool fe = r.type == RowType::kFrontend;
  const bool be = r.type == RowType::kBackend;
  const bool sv = r.type == RowType::kServer;
  const bool bs = be || sv;
  const bool fb = fe || be;
  const bool ck = sv && r.checked;
  switch (c) {
    case 0:
      return Csv(r.pxname);
    case 1:
      return Csv(r.svname);
    case 2:
      return bs ? N(r.qcur) : "";
    case 3:
      return bs ? N(r.qmax) : "";
    case 4:
      return N(r.scur);
    case 5:
      return N(r.smax);
    case 6:
      return (fb || r.slim > 0) ? N(r.slim) : "";
    case 7:
      return N(r.stot);
    case 8:
      return N(r.bin);
    case 9:
      return N(r.bout);
    case 10:
      return fb ? N(r.dreq) : "";
    case 11:
      return N(r.dresp);
    case 12:
      return fe ? N(r.ereq) : "";
    case 13:
      return bs ? N(r.econ) : "";
    case 14:
      return bs ? N(r.eresp) : "";
    case 15:
      return bs ? N(r.wretr) : "";
    case 16:
      return bs ? N(r.wredis) : "";
    case 17:
      return Csv(r.status);
    case 18:
      return bs ? N(r.weight) : "";
    case 19:
      return bs ? N(r.act) : "";
    case 20:
      return bs ? N(r.bck) : "";
    case 21:
      return ck ? N(r.chkfail) : "";
    case 22:
      return (be || ck) ? N(r.chkdown) : "";
    case 23:
      return bs ? N(r.lastchg) : "";
    case 24:
      return (be || ck) ? N(r.downtime) : "";
    case 25:
      return (sv && r.qlimit > 0) ? N(r.qlimit) : "";
    case 26:
      return N(r.pid);
    case 27:
      return N(r.iid);
    case 28:
      return N(r.sid);
    case 29:
      return (sv && r.throttle) ? N(*r.throttle) : "";
    case 30:
      return bs ? N(r.lbtot) : "";
    case 32:
      return N(static_cast<std::uint64_t>(r.type));
    case 33:
      return N(r.rate);
    case 34:
      return fe ? N(r.rate_lim) : "";
    case 35:
      return N(r.rate_max);
    case 36:
      return ck ? r.check_status : "";
    case 37:
      return (ck && r.check_code) ? std::to_string(*r.check_code) : "";
    case 38:
      return (ck && r.check_duration) ? N(*r.check_duration) : "";
    case 46:
      return fe ? "0" : "";  // req_rate
    case 47:
      return fe ? "0" : "";  // req_rate_max
    case 48:
      return fe ? N(r.req_tot) : "";
    case 49:
      return bs ? N(r.cli_abrt) : "";
    case 50:
      return bs ? N(r.srv_abrt) : "";
    case 51:
    case 52:
    case 53:
    case 54:
      return fb ? "0" : "";  // compression
    case 55:
      return bs ? std::to_string(r.lastsess) : "";
    case 56:
      return ck ? Csv(r.last_chk) : "";
    case 58:
      return bs ? N(r.qtime) : "";
    case 59:
      return bs ? N(r.ctime) : "";
    case 60:
      return bs ? N(r.rtime) : "";
    case 61:
      return bs ? N(r.ttime) : "";
    case 65:
      return ck ? Csv(r.check_desc) : "";
    case 67:
      return ck ? std::to_string(r.check_rise) : "";
    case 68:
      return ck ? std::to_string(r.check_fall) : "";
    case 69:
      return ck ? std::to_string(r.check_health) : "";
    case 73:
      return sv ? Csv(r.addr) : "";
    case 75:
      return r.mode;
    case 76:
      return be ? r.algo : "";
    case 77:
      return fe ? N(r.conn_rate) : "";
    case 78:
      return fe ? N(r.conn_rate_max) : "";
    case 79:
      return fe ? N(r.conn_tot) : "";
    case 81:
    case 82:
      return fe ? "0" : "";  // dcon, dses
    case 83:
      return "0";  // wrew
    case 84:
      return bs ? N(r.connect) : "";
    case 85:
      return bs ? N(r.reuse) : "";
    case 88:
      return sv ? "0" : "";  // srv_icur
    case 90:
      return bs ? N(r.qtime_max) : "";
    case 91:
      return bs ? N(r.ctime_max) : "";
    case 92:
      return bs ? N(r.rtime_max) : "";
    case 93:
      return bs ? N(r.ttime_max) : "";
    case 94:
      return N(r.eint);
    case 95:
    case 96:
    case 97:
      return sv ? "0" : "";  // idle/safe/used conn
    case 98:
      return ck ? "1" : (sv ? "0" : "");  // need_conn_est: the check's connection
    case 99:
      return bs ? N(r.uweight) : "";
    case 100:
    case 101:
    case 102:
      return be ? "0" : "";  // agg_*
    case 103:
      return "-";
    case 104:
    case 105:
    case 106:
      return "0";  // ssl
    case 122:
      return fb ? N(r.h1_total_connections) : "";
    case 123:
      return fb ? N(r.h1_total_streams) : "";
    case 124:
      return fb ? N(r.h1_bytes_in) : "";
    case 125:
      return fb ? N(r.h1_bytes_out) : "";
    default:
      if (c >= 107 && c < kColumnCount)
        return fb ? "0" : "";  // h2/h1 mux counters
      return "";
  }
}

}  // namespace

const std::vector<std::string>& ShowStatColumns() {
  static const std::vector<std::string> kList(std::begin(kColumns), std::end(kColumns));
  return kList;
}

const std::string& ShowStatHeader() {
  static const std::string kHeader = [] {
    std::string h = "# ";
    for (const char* c : kColumns) {
      h += c;
      h += ',';
    }
    return h + "\n";
  }();
  return kHeader;
}

std::string RenderStatRow(const StatRow& row) {
  std::string line;
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    line += Field(row, c);
    line += ',';
  }
  return line + "\n";
}

std::string RenderShowStat(const std::vector<StatRow>& rows, const StatFilter& f) {
  std::string out = ShowStatHeader();
  for (const StatRow& r : rows) {
    if (f.iid != -1 && static_cast<std::int64_t>(r.iid) != f.iid)
      continue;
    if (f.type_mask != -1 && (f.type_mask & (1 << static_cast<int>(r.type))) == 0)
      continue;
    if (f.sid != -1 && r.type == RowType::kServer && static_cast<std::int64_t>(r.sid) != f.sid) {
      continue;
    }
    out += RenderStatRow(r);
  }
  return out;
}

std::string RenderShowInfo(const ProcessInfo& i) {
  std::string out;
  auto kv = [&](const char* k, const std::string& v) {
    out += k;
    out += ": ";
    out += v;
    out += '\n';
  };
  char uptime[64];
  std::uint64_t s = i.uptime_sec;
  std::snprintf(uptime, sizeof uptime, "%llud %lluh%02llum%02llus",
                static_cast<unsigned long long>(s / 86400),
                static_cast<unsigned long long>((s % 86400) / 3600),
                static_cast<unsigned long long>((s % 3600) / 60),
                static_cast<unsigned long long>(s % 60));
  kv("Name", i.name);
  kv("Version", i.version);
  kv("Release_date", i.release_date);
  kv("Nbthread", N(i.nbthread));
  kv("Nbproc", "1");
  kv("Process_num", "1");
  kv("Pid", N(i.pid));
  kv("Uptime", uptime);
  kv("Uptime_sec", N(i.uptime_sec));
  kv("Memmax_MB", "0");
  kv("PoolAlloc_MB", N(i.pool_alloc_bytes >> 20));
  kv("PoolUsed_MB", N(i.pool_used_bytes >> 20));
  kv("PoolFailed", "0");
  kv("Ulimit-n", N(i.ulimit_n));
  kv("Maxsock", N(i.maxsock));
  kv("Maxconn", N(i.maxconn));
  kv("Hard_maxconn", N(i.hard_maxconn));
  kv("CurrConns", N(i.curr_conns));
  kv("CumConns", N(i.cum_conns));
  kv("CumReq", N(i.cum_req));
  for (const char* k :
       {"MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree"}) {
    kv(k, "0");
  }
  kv("ConnRate", N(i.conn_rate));
  kv("ConnRateLimit", N(i.conn_rate_limit));
  kv("MaxConnRate", N(i.max_conn_rate));
  kv("SessRate", N(i.sess_rate));
  kv("SessRateLimit", N(i.sess_rate_limit));
  kv("MaxSessRate", N(i.max_sess_rate));
  for (const char* k : {"SslRate", "SslRateLimit", "MaxSslRate", "SslFrontendKeyRate",
                        "SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct", "SslBackendKeyRate",
                        "SslBackendMaxKeyRate", "SslCacheLookups", "SslCacheMisses",
                        "CompressBpsIn", "CompressBpsOut", "CompressBpsRateLim"}) {
    kv(k, "0");
  }
  kv("Tasks", N(i.tasks));
  kv("Run_queue", N(i.run_queue));
  kv("Idle_pct", N(i.idle_pct));
  kv("node", i.node);
  kv("Stopping", i.stopping ? "1" : "0");
  kv("Jobs", N(i.jobs));
  kv("Unstoppable Jobs", N(i.unstoppable_jobs));
  kv("Listeners", N(i.listeners));
  kv("ActivePeers", "0");
  kv("ConnectedPeers", "0");
  kv("DroppedLogs", N(i.dropped_logs));
  kv("BusyPolling", "0");
  kv("FailedResolutions", "0");
  kv("TotalBytesOut", N(i.total_bytes_out));
  kv("TotalSplicdedBytesOut", "0");  // sic: haproxy 2.6 spells it so
  kv("BytesOutRate", N(i.bytes_out_rate));
  kv("DebugCommandsIssued", "0");
  kv("CumRecvLogs", "0");
  kv("Build info", i.build_info);
  kv("Memmax_bytes", "0");
  kv("PoolAlloc_bytes", N(i.pool_alloc_bytes));
  kv("PoolUsed_bytes", N(i.pool_used_bytes));
  kv("Start_time_sec", N(i.start_time_sec));
  kv("Tainted", "0");
  return out;
}

std::string RenderShowServersState(const std::vector<ServerStateRow>& rows) {
  std::string out =
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
      "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
      "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
      "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";
  for (const ServerStateRow& r : rows) {
    out += N(r.be_id) + " " + r.be_name + " " + N(r.srv_id) + " " + r.srv_name + " " + r.srv_addr +
           " " + std::to_string(r.op_state) + " " + std::to_string(r.admin_state) + " " +
           N(r.uweight) + " " + N(r.iweight) + " " + N(r.time_since_last_change) + " " +
           std::to_string(r.check_status) + " " + std::to_string(r.check_result) + " " +
           std::to_string(r.check_health) + " " + std::to_string(r.check_state) + " " +
           std::to_string(r.agent_state) + " 0 0 - " + std::to_string(r.port) + " - " +
           (r.use_ssl ? "1" : "0") + " " + std::to_string(r.check_port) + " - - 0\n";
  }
  return out;
}

}  // namespace vigie::lb::stats
