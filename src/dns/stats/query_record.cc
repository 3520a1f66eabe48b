// JSON line encoding of a query record (see query_record.h).
#include "dns/stats/query_record.h"

#include <cstdio>
#include <ctime>

#include "core/text.h"

namespace vigie::dns {

namespace {

void AppendString(std::string_view s, std::string* out) {
  // Names are octets, not UTF-8: every byte outside printable ASCII is
  // escaped, so every line is valid JSON.
  AppendJsonString(s, *out, JsonBytes::kOctets);
}

void AppendKey(std::string_view key, std::string* out) {
  out->push_back(',');
  AppendString(key, out);
  out->push_back(':');
}

}  // namespace

std::string TypeText(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 13:
      return "HINFO";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 48:
      return "DNSKEY";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 255:
      return "ANY";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::string RcodeText(int rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 3:
      return "NXDOMAIN";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    case 16:
      return "BADVERS";
    default:
      return "RCODE" + std::to_string(rcode);
  }
}

std::string Rfc3339Millis(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

void AppendJsonLine(const QueryRecord& r, std::string* out) {
  out->append("{\"time\":");
  AppendString(Rfc3339Millis(r.time), out);
  AppendKey("client", out);
  AppendString(r.client.ToString(), out);
  AppendKey("proto", out);
  AppendString(r.tcp ? "tcp" : "udp", out);
  AppendKey("name", out);
  AppendString(r.name, out);
  AppendKey("type", out);
  AppendString(TypeText(r.type), out);
  AppendKey("result", out);
  AppendString(r.result, out);
  if (!r.rule_list.empty()) {
    AppendKey("rule", out);
    out->append("{\"list\":");
    AppendString(r.rule_list, out);
    out->append(",\"line\":" + std::to_string(r.rule_line) + ",\"action\":");
    AppendString(r.rule_allows ? "allow" : "block", out);
    out->push_back('}');
  }
  AppendKey("rcode", out);
  if (r.rcode < 0) {
    out->append("null");
  } else {
    AppendString(RcodeText(r.rcode), out);
  }
  char latency[32];
  std::snprintf(latency, sizeof latency, "%.3f", r.latency_ms);
  AppendKey("latency_ms", out);
  out->append(latency);
  if (!r.upstream.empty()) {
    AppendKey("upstream", out);
    AppendString(r.upstream, out);
  }
  out->append("}\n");
}

}  // namespace vigie::dns
