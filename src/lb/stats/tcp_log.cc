#include "lb/stats/tcp_log.h"

#include <array>

#include <fmt/format.h>

namespace vigie::lb::stats {

std::string FormatTcpLog(const TcpLogFields& f) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::tm& t = f.accepted;
  const char* month = t.tm_mon >= 0 && t.tm_mon < 12 ? kMonths[t.tm_mon] : "???";
  return fmt::format(
      "{}:{} [{:02}/{}/{:04}:{:02}:{:02}:{:02}.{:03}] {} {}/{} {}/{}/{} {} {}{} {}/{}/{}/{}/{}{} "
      "{}/{}",
      f.client_ip, f.client_port, t.tm_mday, month, t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec,
      f.accepted_ms, f.frontend, f.backend, f.server, f.queue_ms, f.connect_ms, f.total_ms,
      f.bytes_to_client, f.termination[0], f.termination[1], f.process_conns, f.frontend_conns,
      f.backend_conns, f.server_conns, f.redispatched ? "+" : "", f.retries, f.server_queue,
      f.backend_queue);
}

}  // namespace vigie::lb::stats
