// Squid native access-log formatting.
#include "egress/http/access_log.h"

#include <cstdio>

namespace vigie::egress::http {
namespace {

void AppendField(std::string& out, std::string_view value) {
  if (value.empty()) {
    out += '-';
    return;
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string FormatSquidAccessLog(const AccessLogEntry& entry, bool strip_query) {
  auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(entry.time.time_since_epoch());
  long long ms = since_epoch.count();
  if (ms < 0)
    ms = 0;
  char head[64];
  std::snprintf(head, sizeof head, "%lld.%03lld %6lld ", ms / 1000, ms % 1000,
                static_cast<long long>(entry.elapsed.count()));
  std::string out = head;
  AppendField(out, entry.client_address);
  out += ' ';
  AppendField(out, entry.squid_status.empty() ? std::string_view("NONE_NONE") : entry.squid_status);
  char status[16];
  int http_status = entry.http_status < 0 || entry.http_status > 999 ? 0 : entry.http_status;
  std::snprintf(status, sizeof status, "/%03d ", http_status);
  out += status;
  out += std::to_string(entry.reply_bytes);
  out += ' ';
  AppendField(out, entry.method);
  out += ' ';
  std::string_view url = entry.url;
  if (strip_query)
    url = url.substr(0, url.find('?'));
  AppendField(out, url);
  out += ' ';
  AppendField(out, entry.user);
  out += ' ';
  AppendField(out, entry.hierarchy);
  out += '/';
  AppendField(out, entry.server_address);
  out += ' ';
  AppendField(out, entry.content_type);
  return out;
}

}  // namespace vigie::egress::http
