// haproxy's `option tcplog` line, the log format of TCP mode:
//
//   %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
//
// e.g. (haproxy 2.6, verified) "127.0.0.1:37048 [26/Nov/2026:15:31:59.163]
// kubernetes-apiserver-https kubernetes-apiserver-https/master2 1/0/0 17 --
// 2/2/0/0/0 0/0". Pure: the caller measures, this only formats.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace vigie::lb::stats {

struct TcpLogFields {
  std::string client_ip;  // %ci, IPv6 without brackets ("::1"), as haproxy
  std::uint16_t client_port = 0;
  std::tm accepted{};  // %t, local time of the accept
  int accepted_ms = 0;
  std::string frontend;               // %ft
  std::string backend;                // %b
  std::string server = "<NOSRV>";     // %s: none chosen or reached
  std::int64_t queue_ms = -1;         // %Tw: time in queues; -1 = never got that far
  std::int64_t connect_ms = -1;       // %Tc: -1 = no connection to a server
  std::int64_t total_ms = 0;          // %Tt: accept to close
  std::uint64_t bytes_to_client = 0;  // %B: bytes sent to the client
  char termination[2] = {'-', '-'};   // %ts: "--", "CD", "SD", "cD", "sQ", "SC", ...
  std::uint64_t process_conns = 0;    // %ac
  std::uint64_t frontend_conns = 0;   // %fc
  std::uint64_t backend_conns = 0;    // %bc
  std::uint64_t server_conns = 0;     // %sc
  int retries = 0;                    // %rc
  bool redispatched = false;          // %rc printed "+N" as haproxy does
  std::uint64_t server_queue = 0;     // %sq
  std::uint64_t backend_queue = 0;    // %bq
};

std::string FormatTcpLog(const TcpLogFields& f);

}  // namespace vigie::lb::stats
