// The keyword tables of the haproxy.cfg reader: which directives and options
// haproxy 2.6 knows per section (configuration.txt §3, §4.1, §5), and which
// of them vigie ignores or does not implement.
//
// A keyword haproxy knows that vigie does not implement is reported
// kUnsupported; one haproxy does not know is kError, as haproxy refuses it
// too. Keywords vigie carries over are handled before these tables are read.
#pragma once

#include <span>
#include <string_view>

namespace vigie::lb::haproxy_cfg::internal {

enum class KeywordTable {
  kSections,           // words that open a section (global, defaults, ..., crt-store)
  kGlobalIgnored,      // global directives that do not apply to vigie
  kGlobalKnown,        // global directives haproxy knows and vigie does not implement
  kProxyIgnored,       // proxy directives that change nothing for a TCP balancer
  kProxyUnsupported,   // proxy directives vigie does not implement
  kOptionIgnored,      // `option` names that do not apply to vigie
  kOptionUnsupported,  // `option` names vigie does not implement
  kServerFlags,        // server keywords without an argument
  kServerWithArg,      // server keywords taking one argument
  kServerIgnored,      // server keywords (of the two above) that only tune TLS or pooling
  kBindFlags,          // bind keywords without an argument
  kBindWithArg,        // bind keywords taking one argument
  kBindIgnored,        // bind keywords (of the two above) that do not apply to vigie
};

// The words of `table`, in the order the manual lists them.
std::span<const char* const> KeywordsOf(KeywordTable table);

// Whether `word` is in `table` (exact, case-sensitive, as haproxy compares).
bool InTable(KeywordTable table, std::string_view word);

}  // namespace vigie::lb::haproxy_cfg::internal
