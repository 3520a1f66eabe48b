// vigie::dns::Policy: the filtering data model the server applies. Local
// records beat the allowlist, which beats the blocklist: Decide(name) says
// which applies and with what provenance, so `vigie dns why NAME` can print
// the list, the line number and the rule.
//
// Thread rules: a built Policy is immutable and shared between workers as
// std::shared_ptr<const Policy>; Decide is safe from any thread. The
// PolicyBuilder is single-threaded (it runs on a list refresh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dns/message.h"
#include "dns/blocklist/domain_set.h"
#include "dns/blocklist/list_parser.h"

namespace vigie::dns {

// A list the policy was built from.
struct ListInfo {
  std::string id;      // the operator's name for it ("anudeep", "my-allow")
  std::string source;  // URL or path, for messages
};

// An answer the operator defines for a name (exact name only). The server
// answers queries of `type` with these records and NODATA for other types.
struct LocalRecord {
  uint16_t type = rr_type::kA;
  uint32_t ttl = 300;
  std::vector<std::byte> rdata;  // uncompressed, as ResourceRecord::rdata
};

enum class Verdict : uint8_t {
  kNone,     // no rule: forward upstream
  kLocal,    // answer from local records
  kAllowed,  // an allow rule matched: forward upstream, skip block checks
  kBlocked,  // a block rule matched: answer per rule.answer / server mode
};
std::string_view VerdictName(Verdict v);

struct Decision {
  Verdict verdict = Verdict::kNone;
  std::optional<RuleRef> rule;                      // for kAllowed and kBlocked
  const ListInfo* list = nullptr;                   // the rule's list
  const std::vector<LocalRecord>* local = nullptr;  // for kLocal
};

class Policy {
 public:
  Policy() = default;

  // Local records for the name itself, else the allow set, else the block
  // set (each with subtree semantics per rule). `name` in any case, trailing
  // dot optional.
  Decision Decide(std::string_view name) const;
  Decision Decide(const Name& name) const;

  // One line for humans: `blocked by list "anudeep" (adservers.txt) line 12:
  // exact hosts rule for "ads.example.com"`.
  std::string Explain(std::string_view name, const Decision& d) const;

  const std::vector<ListInfo>& lists() const { return lists_; }
  const DomainSet& blocked() const { return blocked_; }
  const DomainSet& allowed() const { return allowed_; }
  size_t local_names() const { return local_.size(); }
  size_t MemoryBytes() const { return blocked_.MemoryBytes() + allowed_.MemoryBytes(); }

 private:
  friend class PolicyBuilder;
  std::vector<ListInfo> lists_;
  DomainSet blocked_;
  DomainSet allowed_;
  std::unordered_map<std::string, std::vector<LocalRecord>> local_;
};

class PolicyBuilder {
 public:
  // Registers a list; its index is the RuleRef::list of its rules. At most
  // 65535 lists (checked).
  uint16_t AddList(ListInfo info);
  // Parses `text` as list `list` and adds its rules: block rules to the
  // block set, allow rules (`@@||d^`, `server=/d/#`, transparent zones) to
  // the allow set. `force_action`, when set, makes every rule of this list
  // that action (an operator's allowlist written as a hosts or domain list).
  ParseReport AddListText(uint16_t list, std::string_view text, const ParseOptions& options = {},
                          std::optional<RuleAction> force_action = std::nullopt);
  // Adds one rule directly (already normalized name).
  void AddRule(uint16_t list, const ParsedRule& rule);
  // Adds a local record for exactly `name` (normalized by NormalizeDomain).
  Result<void> AddLocalRecord(std::string_view name, LocalRecord record);
  Policy Build() &&;

 private:
  Policy policy_;
  DomainSet::Builder blocked_;
  DomainSet::Builder allowed_;
};

}  // namespace vigie::dns
