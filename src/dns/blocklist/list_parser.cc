// The list parser: per-line syntax detection and normalization.
#include "dns/blocklist/list_parser.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <idn2.h>

#include "core/dns/types.h"

namespace vigie::dns {
namespace {

constexpr size_t kMaxDomainText = 253;
constexpr size_t kExcerpt = 120;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits off the next whitespace-separated token.
std::string_view NextToken(std::string_view* rest) {
  std::string_view s = *rest;
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  size_t end = 0;
  while (end < s.size() && !IsSpace(s[end])) {
    ++end;
  }
  *rest = s.substr(end);
  return s.substr(0, end);
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// True when `s` is an IPv4 or IPv6 literal (an IPv6 zone "%lo0" allowed).
bool IsIpLiteral(std::string_view s) {
  if (s.empty() || s.size() > 63) {
    return false;
  }
  char buf[64];
  size_t n = std::min(s.size(), s.find('%'));
  std::memcpy(buf, s.data(), n);
  buf[n] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

// Addresses of system hosts entries (loopback v6, link-local, multicast,
// broadcast): lines with these targets are never blocks.
bool IsSystemHostsAddress(std::string_view ip) {
  return ip == "::1" || ip == "255.255.255.255" || StartsWith(ip, "fe80:") ||
         StartsWith(ip, "FE80:") || StartsWith(ip, "ff0") || StartsWith(ip, "FF0");
}

// Names a hosts file carries for the system itself; never blocked.
bool IsSystemName(std::string_view name) {
  return name == "localhost" || name == "localhost.localdomain" || name == "local" ||
         name == "broadcasthost" || StartsWith(name, "ip6-") || name == "0.0.0.0";
}

// Lowercases and validates `text` into *out. Returns nullptr or the reason.
const char* NormalizeInto(std::string_view text, std::string* out) {
  if (!text.empty() && text.back() == '.') {
    text.remove_suffix(1);
  }
  if (text.empty()) {
    return "empty name";
  }
  out->clear();
  bool ascii = std::all_of(text.begin(), text.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    if (text.size() > 1024) {
      return "name too long";
    }
    std::string input(text);
    char* result = nullptr;
    int rc = idn2_to_ascii_8z(input.c_str(), &result, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      return "not a valid internationalized name (IDNA2008)";
    }
    out->assign(result);
    idn2_free(result);
    if (!out->empty() && out->back() == '.') {
      out->pop_back();
    }
  } else {
    out->assign(text);
  }
  if (out->size() > kMaxDomainText) {
    return "name longer than 253 characters";
  }
  size_t label = 0;
  bool all_numeric = true;
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c == '.') {
      if (label == 0) {
        return "empty label";
      }
      label = 0;
      continue;
    }
    if (++label > kMaxLabelLength) {
      return "label longer than 63 characters";
    }
    if (c == '*') {
      return "wildcard '*' is only allowed as a leading \"*.\"";
    }
    if (c == ':') {
      return IsIpLiteral(*out) ? "an IP address, not a domain" : "bad character ':' in name";
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) {
      return "bad character in name";
    }
    if (c < '0' || c > '9') {
      all_numeric = false;
    }
  }
  if (label == 0) {
    return "empty label";
  }
  if (all_numeric && IsIpLiteral(*out)) {
    return "an IP address, not a domain";
  }
  return nullptr;
}

class LineParser {
 public:
  LineParser(const ParseOptions& options, const RuleSink& sink, ParseReport* report)
      : options_(options), sink_(sink), report_(report) {}

  void Parse(std::string_view line, uint32_t number) {
    line_ = line;
    number_ = number;
    if (line.size() > options_.max_line_length) {
      Issue("line longer than " + std::to_string(options_.max_line_length) + " characters");
      return;
    }
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!') {
      return;
    }
    if (t[0] == '[' && t.back() == ']') {
      return;  // "[Adblock Plus 2.0]" header
    }
    if (StartsWith(t, "@@") || StartsWith(t, "||")) {
      if (Accept(ListFormat::kAdblock)) {
        Adblock(t);
      }
    } else if (StartsWith(t, "local-zone:")) {
      if (Accept(ListFormat::kUnbound)) {
        Unbound(t.substr(11));
      }
    } else if (t == "server:") {
      // The clause header of an Unbound include file.
    } else if (StartsWith(t, "local-data:") || StartsWith(t, "local-data-ptr:")) {
      Issue("local-data is a local record, not a list rule");
    } else if (StartsWith(t, "address=") || StartsWith(t, "server=") ||
               StartsWith(t, "--address=") || StartsWith(t, "--server=")) {
      if (Accept(ListFormat::kDnsmasq)) {
        Dnsmasq(t[0] == '-' ? t.substr(2) : t);
      }
    } else {
      std::string_view rest = t;
      std::string_view first = NextToken(&rest);
      if (IsIpLiteral(first)) {
        if (Accept(ListFormat::kHosts)) {
          Hosts(first, rest);
        }
      } else if (Accept(StartsWith(first, "*.") ? ListFormat::kWildcard : ListFormat::kDomains)) {
        Domain(first, rest);
      }
    }
  }

 private:
  bool Accept(ListFormat f) {
    ListFormat want = options_.format;
    if (want == ListFormat::kAuto || want == f ||
        (want == ListFormat::kDomains && f == ListFormat::kWildcard) ||
        (want == ListFormat::kWildcard && f == ListFormat::kDomains)) {
      return true;
    }
    Issue("a " + std::string(FormatName(f)) + " line in a list declared " +
          std::string(FormatName(want)));
    return false;
  }

  void Issue(std::string reason) {
    ++report_->errors;
    if (report_->issues.size() < options_.max_reported_issues) {
      std::string excerpt(line_.substr(0, kExcerpt));
      report_->issues.push_back({number_, std::move(reason), std::move(excerpt)});
    }
  }

  // Normalizes `raw` and hands one rule to the sink; reports bad names.
  void Emit(std::string_view raw, RuleAction action, RuleScope scope, ListFormat format,
            BlockAnswer answer, std::string_view target = {}) {
    const char* why = NormalizeInto(raw, &name_);
    if (why != nullptr) {
      Issue(std::string(why) + ": \"" + std::string(raw.substr(0, kExcerpt)) + "\"");
      return;
    }
    if (action == RuleAction::kBlock && IsSystemName(name_)) {
      ++report_->skipped;
      return;
    }
    ParsedRule rule;
    rule.name = name_;
    rule.action = action;
    rule.scope = scope;
    rule.format = format;
    rule.answer = answer;
    rule.line = number_;
    rule.target = target;
    ++report_->rules;
    sink_(rule);
  }

  void Hosts(std::string_view ip, std::string_view rest) {
    bool system = IsSystemHostsAddress(ip);
    int names = 0;
    for (;;) {
      std::string_view name = NextToken(&rest);
      if (name.empty() || name[0] == '#') {
        break;
      }
      ++names;
      if (system || IsIpLiteral(name) || IsSystemName(name)) {
        ++report_->skipped;
        continue;
      }
      Emit(name, RuleAction::kBlock, RuleScope::kExact, ListFormat::kHosts, BlockAnswer::kDefault,
           ip);
    }
    if (names == 0) {
      Issue("hosts line without a name");
    }
  }

  void Domain(std::string_view first, std::string_view rest) {
    std::string_view extra = NextToken(&rest);
    if (!extra.empty() && extra[0] != '#') {
      Issue("expected one domain per line");
      return;
    }
    if (StartsWith(first, "*.")) {
      Emit(first.substr(2), RuleAction::kBlock, RuleScope::kSubtree, ListFormat::kWildcard,
           BlockAnswer::kDefault);
    } else {
      Emit(first, RuleAction::kBlock, RuleScope::kExact, ListFormat::kDomains,
           BlockAnswer::kDefault);
    }
  }

  void Adblock(std::string_view t) {
    RuleAction action = RuleAction::kBlock;
    if (StartsWith(t, "@@")) {
      action = RuleAction::kAllow;
      t.remove_prefix(2);
    }
    if (!StartsWith(t, "||")) {
      Issue("adblock rule without \"||\": only basic ||domain^ rules are supported");
      return;
    }
    t.remove_prefix(2);
    size_t caret = t.find('^');
    if (caret == std::string_view::npos) {
      Issue("adblock rule without \"^\": only basic ||domain^ rules are supported");
      return;
    }
    std::string_view after = t.substr(caret + 1);
    if (!after.empty()) {
      if (after[0] == '$') {
        Issue("adblock modifiers are not supported: \"" + std::string(after.substr(0, 60)) + "\"");
      } else {
        Issue("unexpected text after \"^\"");
      }
      return;
    }
    Emit(t.substr(0, caret), action, RuleScope::kSubtree, ListFormat::kAdblock,
         BlockAnswer::kDefault);
  }

  void Unbound(std::string_view t) {
    t = Trim(t);
    std::string_view name;
    if (!t.empty() && t[0] == '"') {
      size_t close = t.find('"', 1);
      if (close == std::string_view::npos) {
        Issue("local-zone name without its closing quote");
        return;
      }
      name = t.substr(1, close - 1);
      t = t.substr(close + 1);
    } else {
      name = NextToken(&t);
    }
    std::string_view type = NextToken(&t);
    if (type.empty()) {
      Issue("local-zone without a type");
      return;
    }
    struct TypeMap {
      std::string_view type;
      RuleAction action;
      BlockAnswer answer;
    };
    static constexpr TypeMap kTypes[] = {
        {"always_nxdomain", RuleAction::kBlock, BlockAnswer::kNxdomain},
        {"static", RuleAction::kBlock, BlockAnswer::kNxdomain},
        {"always_null", RuleAction::kBlock, BlockAnswer::kNull},
        {"always_nodata", RuleAction::kBlock, BlockAnswer::kNodata},
        {"refuse", RuleAction::kBlock, BlockAnswer::kRefused},
        {"always_refuse", RuleAction::kBlock, BlockAnswer::kRefused},
        {"deny", RuleAction::kBlock, BlockAnswer::kDrop},
        {"always_deny", RuleAction::kBlock, BlockAnswer::kDrop},
        {"inform_deny", RuleAction::kBlock, BlockAnswer::kDrop},
        {"redirect", RuleAction::kBlock, BlockAnswer::kDefault},
        {"inform_redirect", RuleAction::kBlock, BlockAnswer::kDefault},
        {"transparent", RuleAction::kAllow, BlockAnswer::kDefault},
        {"typetransparent", RuleAction::kAllow, BlockAnswer::kDefault},
        {"always_transparent", RuleAction::kAllow, BlockAnswer::kDefault},
        {"nodefault", RuleAction::kAllow, BlockAnswer::kDefault},
        {"inform", RuleAction::kAllow, BlockAnswer::kDefault},
    };
    for (const auto& m : kTypes) {
      if (m.type == type) {
        if (name == "." || name.empty()) {
          Issue("local-zone for the root is not supported");
          return;
        }
        Emit(name, m.action, RuleScope::kSubtree, ListFormat::kUnbound, m.answer);
        return;
      }
    }
    Issue("unknown local-zone type \"" + std::string(type.substr(0, 40)) + "\"");
  }

  void Dnsmasq(std::string_view t) {
    bool is_server = StartsWith(t, "server=");
    t.remove_prefix(is_server ? 7 : 8);
    // "/a/b/VALUE": domains between slashes, then the value.
    if (t.empty() || t[0] != '/') {
      Issue(is_server ? "server= without /domain/ is an upstream, not a list rule"
                      : "address= without /domain/");
      return;
    }
    size_t last = t.rfind('/');
    if (last == 0) {
      Issue("dnsmasq rule without a closing '/'");
      return;
    }
    std::string_view domains = t.substr(1, last - 1);
    std::string_view value = Trim(t.substr(last + 1));
    RuleAction action = RuleAction::kBlock;
    BlockAnswer answer = BlockAnswer::kNxdomain;
    std::string_view target;
    if (is_server) {
      if (value == "#") {
        action = RuleAction::kAllow;  // "use the standard servers": an exception
        answer = BlockAnswer::kDefault;
      } else if (!value.empty()) {
        Issue("server=/domain/address is conditional forwarding, not a list rule");
        return;
      }
    } else if (value == "#" || value == "0.0.0.0" || value == "::") {
      answer = BlockAnswer::kNull;
    } else if (!value.empty()) {
      if (!IsIpLiteral(value)) {
        Issue("address= value is not an IP address");
        return;
      }
      answer = BlockAnswer::kDefault;
      target = value;
    }
    if (domains.empty()) {
      Issue("dnsmasq rule without a domain");
      return;
    }
    while (!domains.empty()) {
      size_t slash = domains.find('/');
      std::string_view d = domains.substr(0, slash);
      domains = slash == std::string_view::npos ? std::string_view() : domains.substr(slash + 1);
      if (d == "#") {
        Issue("'#' (every domain) is not a list rule");
        continue;
      }
      if (!d.empty() && d[0] == '.') {
        d.remove_prefix(1);  // dnsmasq accepts "/.example.com/" as the same subtree
      }
      Emit(d, action, RuleScope::kSubtree, ListFormat::kDnsmasq, answer, target);
    }
  }

  const ParseOptions& options_;
  const RuleSink& sink_;
  ParseReport* report_;
  std::string_view line_;
  uint32_t number_ = 0;
  std::string name_;
};

}  // namespace

std::string_view FormatName(ListFormat f) {
  switch (f) {
    case ListFormat::kAuto:
      return "auto";
    case ListFormat::kHosts:
      return "hosts";
    case ListFormat::kDomains:
      return "domains";
    case ListFormat::kWildcard:
      return "wildcard";
    case ListFormat::kAdblock:
      return "adblock";
    case ListFormat::kUnbound:
      return "unbound";
    case ListFormat::kDnsmasq:
      return "dnsmasq";
  }
  return "unknown";
}

std::string_view BlockAnswerName(BlockAnswer a) {
  switch (a) {
    case BlockAnswer::kDefault:
      return "default";
    case BlockAnswer::kNxdomain:
      return "nxdomain";
    case BlockAnswer::kNull:
      return "null";
    case BlockAnswer::kRefused:
      return "refused";
    case BlockAnswer::kNodata:
      return "nodata";
    case BlockAnswer::kDrop:
      return "drop";
  }
  return "unknown";
}

ParseReport ParseList(std::string_view text, const ParseOptions& options, const RuleSink& sink) {
  ParseReport report;
  if (StartsWith(text, "\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  LineParser parser(options, sink, &report);
  uint32_t number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    ++number;
    parser.Parse(line, number);
  }
  report.lines = number;
  return report;
}

Result<std::string> NormalizeDomain(std::string_view text) {
  std::string out;
  const char* why = NormalizeInto(text, &out);
  if (why != nullptr) {
    return Error(Errc::kBadName,
                 std::string(why) + ": \"" + std::string(text.substr(0, 300)) + "\"");
  }
  return out;
}

std::string_view LineAt(std::string_view text, uint32_t line) {
  if (line == 0) {
    return {};
  }
  if (StartsWith(text, "\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  for (uint32_t i = 1; i < line; ++i) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return {};
    }
    text.remove_prefix(nl + 1);
  }
  std::string_view l = text.substr(0, text.find('\n'));
  if (!l.empty() && l.back() == '\r') {
    l.remove_suffix(1);
  }
  return l;
}

}  // namespace vigie::dns
