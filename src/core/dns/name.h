// vigie::dns::Name: a domain name held in uncompressed wire form, its text
// form, case-insensitive comparison (RFC 4343, ASCII only) and the bounded
// reader for possibly compressed names inside a message (RFC 1035 §4.1.4,
// RFC 9267).
//
// Thread rules: Name is a value type; ReadName is a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/dns/types.h"
#include "core/error.h"

namespace vigie::dns {

// ASCII-only lowercase of one octet: DNS compares names case-insensitively
// for A-Z only (RFC 4343 §3).
constexpr uint8_t AsciiLower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

// A domain name. Always valid: labels 1..63 octets, total wire length <= 255
// octets including the root label. Case is preserved; comparison ignores it.
class Name {
 public:
  // The root name ".".
  Name() : wire_(1, '\0') {}

  // Parses presentation form: "www.example.com" or "www.example.com." (both
  // absolute), "." for the root, `\.` and `\DDD` escapes. Errors:
  // Errc::kBadName (empty label, bad escape) or kNameTooLong / kBadLabel.
  static Result<Name> FromText(std::string_view text);

  // Validates an uncompressed wire-form name that fills `wire` exactly.
  static Result<Name> FromWire(std::span<const std::byte> wire);

  // Uncompressed wire form, terminating zero octet included.
  std::string_view wire() const { return wire_; }
  size_t wire_size() const { return wire_.size(); }
  bool IsRoot() const { return wire_.size() == 1; }
  // Number of labels, the root not counted ("a.b." has 2).
  int LabelCount() const;
  // The i-th label from the left (0 = leftmost), without its length octet.
  std::string_view Label(int i) const;

  // "www.example.com." (the root is "."); non-printable octets, '.' and '\\'
  // inside labels are escaped as \DDD / \c so FromText(ToText()) round-trips.
  std::string ToText() const;
  // Like ToText() without the trailing dot, lowercased: the form block lists
  // use ("www.example.com"; the root gives "").
  std::string ToKey() const;
  // Appends ToKey()'s text to *out (the hot path reuses one buffer: no
  // allocation once its capacity suffices).
  void AppendKey(std::string* out) const;

  Name Lowercased() const;
  // The name with its leftmost label removed; the root's parent is the root.
  Name Parent() const;
  // True when *this equals `zone` or lies below it (case-insensitive).
  bool IsSubdomainOf(const Name& zone) const;

  // Case-insensitive equality.
  friend bool operator==(const Name& a, const Name& b);

 private:
  explicit Name(std::string wire) : wire_(std::move(wire)) {}
  friend Result<size_t> ReadName(std::span<const std::byte>, size_t, const Limits&, Name*);
  std::string wire_;
};

// Case-insensitive hash, consistent with operator==.
struct NameHash {
  size_t operator()(const Name& n) const;
};

// Reads the possibly compressed name that starts at `offset` in `message`
// into *out and returns the offset just past the name's encoding (past the
// first pointer, if any). Pointers must point strictly backwards: before the
// start of the label run that contains them, and not into the header.
// Errors (context names the offset): kTruncated, kBadLabel, kNameTooLong,
// kBadPointer, kTooManyHops.
Result<size_t> ReadName(std::span<const std::byte> message, size_t offset, const Limits& limits,
                        Name* out);

}  // namespace vigie::dns

template <>
struct std::hash<vigie::dns::Name> : vigie::dns::NameHash {};
