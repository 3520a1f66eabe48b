// One request as the HTTP proxy's access log sees it (Squid's
// "transaction"), and its access-log line.
//
// Thread rules: a Transaction belongs to the coroutine serving its request;
// AccessLogLine is a pure function.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "egress/http/proxy_target.h"

namespace vigie::egress::proxy {

// What the access log line says about one request. Only what every request
// needs is computed eagerly; the URL and the server address are formatted
// when a line is written (most deployments have no access log). The views
// and the target point into the request's coroutine frame, which outlives
// the transaction.
struct Transaction {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string_view method;
  std::string_view raw_url;                   // the request target as received
  const http::ProxyTarget* target = nullptr;  // once parsed: its LogUrl()
  std::string_view squid_status = "NONE_NONE";
  int status = 0;
  uint64_t reply_bytes = 0;
  std::string_view hierarchy = "HIER_NONE";
  std::optional<IpAddress> server_address;
  std::string content_type;  // filled only when there is an access log

  std::string Url() const { return target ? target->LogUrl() : std::string(raw_url); }
};

// The Squid-format line (http::FormatSquidAccessLog) for `t`, from
// `client_address`, ending at `now` (`steady_now` on the clock of t.start).
std::string AccessLogLine(const Transaction& t, std::string_view client_address,
                          std::chrono::system_clock::time_point now,
                          std::chrono::steady_clock::time_point steady_now);

}  // namespace vigie::egress::proxy
