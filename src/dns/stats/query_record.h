// One line of the query log: what a query asked, how it was answered and
// how long it took, as a JSON object on one line (format in docs/dns.md,
// "Query log").
//
// Thread rules: plain values and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ip.h"

namespace vigie::dns {

struct QueryRecord {
  std::chrono::system_clock::time_point time;
  IpAddress client;
  std::string name;         // question name, text form without the final dot
  uint16_t type = 0;        // question type
  std::string_view result;  // static text: "forwarded", "blocked", ... (QueryResultName)
  std::string rule_list;    // list id when a block/allow rule decided; empty otherwise
  uint32_t rule_line = 0;
  bool rule_allows = false;
  int rcode = -1;  // -1: no answer sent (dropped)
  double latency_ms = 0;
  std::string upstream;  // the upstream that answered, when forwarded
  bool tcp = false;
};

// "A", "AAAA", ..., else "TYPE123" (RFC 3597).
std::string TypeText(uint16_t type);
// "NOERROR", "NXDOMAIN", ..., else "RCODE12".
std::string RcodeText(int rcode);
// "2026-11-26T19:23:40.123Z".
std::string Rfc3339Millis(std::chrono::system_clock::time_point t);

// Appends the record as one JSON object and a newline to `out`. Strings are
// escaped (names can hold any octet, written as \u00XX).
void AppendJsonLine(const QueryRecord& r, std::string* out);

}  // namespace vigie::dns
