// vigie::dns::DomainSet: the compact, immutable set of listed names built
// once per list refresh, answering "which rule covers this name?" with the
// most specific match (exact rule on the name itself, else the closest
// subtree rule on an ancestor), and enough provenance to explain it.
//
// Layout: one string arena holding every name (lowercase, no trailing dot)
// and a flat open-addressing hash table of 12-octet slots (arena offset,
// length, list index, line number, scope/format/answer bits). About 45
// octets per name at 1 M names; see docs/dns.md for measurements.
//
// Thread rules: a built DomainSet is immutable; any number of threads may
// call Match concurrently. The Builder is single-threaded.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/name.h"
#include "dns/blocklist/list_parser.h"

namespace vigie::dns {

// Where a rule came from and what it says.
struct RuleRef {
  std::string_view name;  // the rule's domain, pointing into the set's arena
  RuleScope scope = RuleScope::kExact;
  ListFormat format = ListFormat::kDomains;
  BlockAnswer answer = BlockAnswer::kDefault;
  uint16_t list = 0;  // index of the list, as given to the builder
  uint32_t line = 0;  // 1-based line in that list
};

class DomainSet {
 public:
  class Builder;

  DomainSet() = default;

  // The rule covering `name` (any case, trailing dot optional): an entry for
  // the name itself (exact or subtree), else the subtree entry of the
  // closest ancestor. nullopt when none. The RuleRef's name is valid while
  // the set lives.
  std::optional<RuleRef> Match(std::string_view name) const;
  std::optional<RuleRef> Match(const Name& name) const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Heap octets held (arena and table capacity) plus the object itself.
  size_t MemoryBytes() const;

 private:
  struct Slot {
    uint32_t offset = 0;  // into arena_
    uint32_t line = 0;
    uint16_t list = 0;
    uint8_t length = 0;  // 0 marks an empty slot (names are never empty)
    uint8_t meta = 0;    // bit 0 subtree, bits 1-3 format, bits 4-6 answer
  };
  static_assert(sizeof(Slot) == 12);

  static uint64_t Hash(std::string_view key);
  const Slot* Find(std::string_view key) const;
  RuleRef ToRef(const Slot& s) const;

  bool HasSubtreeAt(size_t labels) const {
    return labels < 128 && ((subtree_depths_[labels / 64] >> (labels % 64)) & 1) != 0;
  }

  std::string arena_;
  std::vector<Slot> slots_;  // size is a power of two, or zero
  size_t size_ = 0;
  // Bit n: some subtree rule has n labels. Match() looks up only the
  // ancestors at those depths (none for a hosts list, whose rules are exact).
  std::array<uint64_t, 2> subtree_depths_{};
};

// Collects names, then Build() produces the set. Adding the same name twice
// keeps one entry: a subtree rule replaces an exact one (it covers more),
// otherwise the first one added is kept.
class DomainSet::Builder {
 public:
  Builder() = default;
  // Reserves room for about `names` names of `avg_length` characters.
  void Reserve(size_t names, size_t avg_length = 24);
  // `name` must be normalized (NormalizeDomain, or a ParsedRule's name):
  // lowercase, no trailing dot, 1..253 characters (checked).
  void Add(std::string_view name, RuleScope scope, ListFormat format, BlockAnswer answer,
           uint16_t list, uint32_t line);
  // Adds a parsed rule (its action is the caller's business: one set per action).
  void Add(const ParsedRule& rule, uint16_t list) {
    Add(rule.name, rule.scope, rule.format, rule.answer, list, rule.line);
  }
  size_t size() const { return set_.size_; }
  // Names added more than once (the later copies were merged).
  size_t duplicates() const { return duplicates_; }
  // The finished set; the builder is left empty.
  DomainSet Build() &&;

 private:
  void Grow();
  void Rehash(size_t slot_count);
  DomainSet set_;
  size_t duplicates_ = 0;
};

}  // namespace vigie::dns
