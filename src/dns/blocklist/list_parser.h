// Parsing of block/allow lists in the formats users already have: hosts
// files, plain domain lists, `*.d` wildcards, adblock basic rules (`||d^`,
// `@@||d^`), Unbound `local-zone:` lines and dnsmasq `address=/d/` and
// `server=/d/` lines. Good lines become ParsedRules; each bad line is
// reported with its number and reason; nothing a list holds can crash it.
// Format reference and matching semantics: docs/dns.md.
//
// Thread rules: pure functions; the sink is called on the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vigie::dns {

// The syntax a rule came from. kAuto (parser option only): detect per line.
enum class ListFormat : uint8_t {
  kAuto = 0,
  kHosts,     // "0.0.0.0 name [name...]"          exact names
  kDomains,   // "name"                            exact name
  kWildcard,  // "*.name"                          name and its whole subtree
  kAdblock,   // "||name^", "@@||name^"            name and its whole subtree
  kUnbound,   // local-zone: "name" type           name and its whole subtree
  kDnsmasq,   // address=/name/..., server=/name/  name and its whole subtree
};
std::string_view FormatName(ListFormat f);

enum class RuleAction : uint8_t { kBlock, kAllow };
enum class RuleScope : uint8_t { kExact, kSubtree };

// How a rule asks to be answered, when its syntax says (Unbound local-zone
// types, dnsmasq `address=/d/#` vs `/d/`). kDefault: the server's configured
// block mode.
enum class BlockAnswer : uint8_t { kDefault = 0, kNxdomain, kNull, kRefused, kNodata, kDrop };
std::string_view BlockAnswerName(BlockAnswer a);

struct ParsedRule {
  std::string_view name;  // normalized: lowercase A-labels, no trailing dot
  RuleAction action = RuleAction::kBlock;
  RuleScope scope = RuleScope::kExact;
  ListFormat format = ListFormat::kDomains;
  BlockAnswer answer = BlockAnswer::kDefault;
  uint32_t line = 0;        // 1-based line number in the list
  std::string_view target;  // hosts: the address column ("0.0.0.0"); else empty
};

struct ParseOptions {
  // kAuto detects the syntax of each line on its own (a list may mix them).
  // Any other value accepts only that syntax (plus comments and blank
  // lines); lines in another syntax are reported as errors. kWildcard and
  // kDomains accept each other.
  ListFormat format = ListFormat::kAuto;
  // Issues kept in ParseReport::issues; later ones are only counted.
  size_t max_reported_issues = 100;
  // Lines longer than this are reported, not parsed.
  size_t max_line_length = 4096;
};

struct LineIssue {
  uint32_t line = 0;
  std::string reason;
  std::string excerpt;  // the line, cut to 120 octets
};

struct ParseReport {
  uint32_t lines = 0;             // lines read
  uint32_t rules = 0;             // rules handed to the sink (a hosts line may give several)
  uint32_t skipped = 0;           // names deliberately not blocked (localhost, broadcasthost, ...)
  uint32_t errors = 0;            // bad lines or names, all counted
  std::vector<LineIssue> issues;  // the first max_reported_issues of them
};

using RuleSink = std::function<void(const ParsedRule&)>;

// Parses a whole list. A UTF-8 BOM, CRLF line ends, tabs and runs of spaces
// are accepted; `#` starts a comment (also after an entry), `!` and `[...]`
// start adblock comments and headers.
ParseReport ParseList(std::string_view text, const ParseOptions& options, const RuleSink& sink);

// Normalizes a domain as lists write it: lowercase, one trailing dot
// dropped, UTF-8 IDN converted to A-labels (punycode, IDNA2008 via
// libidn2). Accepts letters, digits, '-' and '_' in labels of 1-63 octets,
// at most 253 characters. Errors (kBadName) say why: an IP address, a
// wildcard in the middle, a bad character, a bad IDN.
Result<std::string> NormalizeDomain(std::string_view text);

// The text of line `line` (1-based) of `text`, without its line end; empty
// when out of range. For explaining a match from a list kept in memory or
// re-read from disk.
std::string_view LineAt(std::string_view text, uint32_t line);

}  // namespace vigie::dns
