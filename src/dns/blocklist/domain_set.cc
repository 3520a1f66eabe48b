// DomainSet: string arena + open-addressing table, linear probing.
#include "dns/blocklist/domain_set.h"

#include <cstring>

#include "core/check.h"

namespace vigie::dns {
namespace {

constexpr size_t kMinSlots = 16;

uint64_t Mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

}  // namespace

uint64_t DomainSet::Hash(std::string_view key) {
  // 8 octets at a time, multiply-xorshift; plenty for names, and fast.
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ key.size();
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = Mix(h ^ w) * 0x9E3779B97F4A7C15ULL;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, key.data() + i, key.size() - i);
  return Mix(h ^ tail ^ (static_cast<uint64_t>(key.size()) << 56));
}

const DomainSet::Slot* DomainSet::Find(std::string_view key) const {
  if (slots_.empty()) {
    return nullptr;
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.length == 0) {
      return nullptr;
    }
    if (s.length == key.size() &&
        std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
      return &s;
    }
  }
}

RuleRef DomainSet::ToRef(const Slot& s) const {
  RuleRef r;
  r.name = std::string_view(arena_).substr(s.offset, s.length);
  r.scope = (s.meta & 1) != 0 ? RuleScope::kSubtree : RuleScope::kExact;
  r.format = static_cast<ListFormat>((s.meta >> 1) & 7);
  r.answer = static_cast<BlockAnswer>((s.meta >> 4) & 7);
  r.list = s.list;
  r.line = s.line;
  return r;
}

std::optional<RuleRef> DomainSet::Match(std::string_view name) const {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  if (name.empty() || name.size() > 253 || size_ == 0) {
    return std::nullopt;
  }
  char buf[256];
  size_t labels = 1;
  for (size_t i = 0; i < name.size(); ++i) {
    buf[i] = static_cast<char>(AsciiLower(static_cast<uint8_t>(name[i])));
    labels += buf[i] == '.' ? 1 : 0;
  }
  std::string_view key(buf, name.size());
  if (const Slot* s = Find(key)) {
    return ToRef(*s);
  }
  if ((subtree_depths_[0] | subtree_depths_[1]) == 0) {
    return std::nullopt;  // exact rules only: no ancestor can cover the name
  }
  // Ancestors, closest first: only subtree rules cover names below them,
  // and only depths that have some are looked up.
  for (size_t dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.')) {
    key.remove_prefix(dot + 1);
    --labels;
    if (!HasSubtreeAt(labels)) {
      continue;
    }
    if (const Slot* s = Find(key); s != nullptr && (s->meta & 1) != 0) {
      return ToRef(*s);
    }
  }
  return std::nullopt;
}

std::optional<RuleRef> DomainSet::Match(const Name& name) const {
  if (name.IsRoot()) {
    return std::nullopt;
  }
  // Text without escapes: names with '.' or odd octets inside a label can
  // never be in a list (the parser rejects them), so a plain join is exact
  // for every name that could match.
  char buf[256];
  size_t n = 0;
  std::string_view w = name.wire();
  for (size_t i = 0; static_cast<uint8_t>(w[i]) != 0;) {
    size_t len = static_cast<uint8_t>(w[i]);
    if (n != 0) {
      buf[n++] = '.';
    }
    for (size_t k = 1; k <= len; ++k) {
      char c = w[i + k];
      if (c == '.' || c == '\0') {
        return std::nullopt;
      }
      buf[n++] = c;
    }
    i += 1 + len;
  }
  return Match(std::string_view(buf, n));
}

size_t DomainSet::MemoryBytes() const {
  return sizeof(*this) + arena_.capacity() + slots_.capacity() * sizeof(Slot);
}

void DomainSet::Builder::Reserve(size_t names, size_t avg_length) {
  if (avg_length != 0) {
    set_.arena_.reserve(names * avg_length);
  }
  size_t want = kMinSlots;
  while (want * 3 / 4 < names) {
    want *= 2;
  }
  if (want > set_.slots_.size()) {
    Rehash(want);
  }
}

void DomainSet::Builder::Rehash(size_t slot_count) {
  std::vector<Slot> old = std::move(set_.slots_);
  set_.slots_.assign(slot_count, Slot{});
  const size_t mask = slot_count - 1;
  for (const Slot& s : old) {
    if (s.length != 0) {
      size_t i = Hash(std::string_view(set_.arena_).substr(s.offset, s.length)) & mask;
      while (set_.slots_[i].length != 0) {
        i = (i + 1) & mask;
      }
      set_.slots_[i] = s;
    }
  }
}

// Doubling keeps the load between 3/8 and 3/4.
void DomainSet::Builder::Grow() {
  Rehash(set_.slots_.empty() ? kMinSlots : set_.slots_.size() * 2);
}

void DomainSet::Builder::Add(std::string_view name, RuleScope scope, ListFormat format,
                             BlockAnswer answer, uint16_t list, uint32_t line) {
  VIGIE_CHECK(!name.empty() && name.size() <= 253, "DomainSet name must be 1..253 characters");
  if (set_.slots_.empty() || (set_.size_ + 1) * 4 > set_.slots_.size() * 3) {
    Grow();
  }
  if (scope == RuleScope::kSubtree) {
    size_t labels = 1;
    for (char c : name) {
      labels += c == '.' ? 1 : 0;
    }
    set_.subtree_depths_[labels / 64] |= uint64_t{1} << (labels % 64);
  }
  const uint8_t meta = static_cast<uint8_t>((scope == RuleScope::kSubtree ? 1 : 0) |
                                            (static_cast<unsigned>(format) & 7) << 1 |
                                            (static_cast<unsigned>(answer) & 7) << 4);
  const size_t mask = set_.slots_.size() - 1;
  for (size_t i = Hash(name) & mask;; i = (i + 1) & mask) {
    Slot& s = set_.slots_[i];
    if (s.length == 0) {
      VIGIE_CHECK(set_.arena_.size() + name.size() <= UINT32_MAX, "DomainSet arena over 4 GiB");
      s.offset = static_cast<uint32_t>(set_.arena_.size());
      s.length = static_cast<uint8_t>(name.size());
      s.line = line;
      s.list = list;
      s.meta = meta;
      set_.arena_.append(name);
      ++set_.size_;
      return;
    }
    if (s.length == name.size() &&
        std::memcmp(set_.arena_.data() + s.offset, name.data(), name.size()) == 0) {
      ++duplicates_;
      if ((s.meta & 1) == 0 && scope == RuleScope::kSubtree) {
        s.line = line;
        s.list = list;
        s.meta = meta;
      }
      return;
    }
  }
}

DomainSet DomainSet::Builder::Build() && {
  set_.arena_.shrink_to_fit();
  DomainSet out = std::move(set_);
  set_ = DomainSet();
  duplicates_ = 0;
  return out;
}

}  // namespace vigie::dns
