// The access-log line of one HTTP proxy transaction.
#include "egress/proxy/transaction.h"

#include "egress/http/access_log.h"

namespace vigie::egress::proxy {

std::string AccessLogLine(const Transaction& t, std::string_view client_address,
                          std::chrono::system_clock::time_point now,
                          std::chrono::steady_clock::time_point steady_now) {
  std::string url = t.Url();
  std::string server = t.server_address ? t.server_address->ToString() : std::string();
  http::AccessLogEntry e;
  e.time = now;
  e.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady_now - t.start);
  e.client_address = client_address;
  e.squid_status = t.squid_status;
  e.http_status = t.status;
  e.reply_bytes = t.reply_bytes;
  e.method = t.method;
  e.url = url;
  e.hierarchy = t.hierarchy;
  e.server_address = server;
  e.content_type = t.content_type;
  return http::FormatSquidAccessLog(e);
}

}  // namespace vigie::egress::proxy
