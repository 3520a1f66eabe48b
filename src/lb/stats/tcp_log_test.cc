// The tcplog line against one captured from haproxy 2.6.12.
#include "lb/stats/tcp_log.h"

#include <gtest/gtest.h>

namespace vigie::lb::stats {
namespace {

TcpLogFields Captured() {
  TcpLogFields f;
  f.client_ip = "127.0.0.1";
  f.client_port = 37048;
  f.accepted.tm_year = 2026 - 1900;
  f.accepted.tm_mon = 10;  // November
  f.accepted.tm_mday = 26;
  f.accepted.tm_hour = 15;
  f.accepted.tm_min = 31;
  f.accepted.tm_sec = 59;
  f.accepted_ms = 163;
  f.frontend = "kubernetes-apiserver-https";
  f.backend = "kubernetes-apiserver-https";
  f.server = "master2";
  f.queue_ms = 1;
  f.connect_ms = 0;
  f.total_ms = 0;
  f.bytes_to_client = 17;
  f.process_conns = 2;
  f.frontend_conns = 2;
  return f;
}

TEST(TcpLogTest, MatchesHaproxysLine) {
  EXPECT_EQ(FormatTcpLog(Captured()),
            "127.0.0.1:37048 [26/Nov/2026:15:31:59.163] kubernetes-apiserver-https "
            "kubernetes-apiserver-https/master2 1/0/0 17 -- 2/2/0/0/0 0/0");
}

TEST(TcpLogTest, NoServerRetriesAndQueues) {
  TcpLogFields f = Captured();
  f.client_ip = "::1";
  f.server = "<NOSRV>";
  f.queue_ms = 10000;
  f.connect_ms = -1;
  f.total_ms = 10002;
  f.bytes_to_client = 0;
  f.termination[0] = 's';
  f.termination[1] = 'Q';
  f.retries = 3;
  f.redispatched = true;
  f.server_queue = 1;
  f.backend_queue = 4;
  EXPECT_EQ(FormatTcpLog(f),
            "::1:37048 [26/Nov/2026:15:31:59.163] kubernetes-apiserver-https "
            "kubernetes-apiserver-https/<NOSRV> 10000/-1/10002 0 sQ 2/2/0/0/+3 1/4");
}

}  // namespace
}  // namespace vigie::lb::stats
