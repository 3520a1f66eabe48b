// Test helpers for the wire codec: hex to bytes, and small message makers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/message.h"

namespace vigie::dns::testing {

// "00 01 ab" -> bytes; spaces and newlines ignored.
inline std::vector<std::byte> Hex(std::string_view hex) {
  std::vector<std::byte> out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::byte>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline std::vector<std::byte> Raw(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) {
    out.push_back(static_cast<std::byte>(v));
  }
  return out;
}

inline void Append(std::vector<std::byte>& out, std::string_view s) {
  for (char c : s) {
    out.push_back(static_cast<std::byte>(c));
  }
}

inline Name N(std::string_view text) {
  return *Name::FromText(text);
}

inline Message MakeQuery(std::string_view name, uint16_t type, bool edns = true) {
  Message q;
  q.header.id = 0xBEEF;
  q.header.rd = true;
  q.questions.push_back({N(name), type, rr_class::kIn});
  if (edns) {
    q.edns = Edns{};
  }
  return q;
}

}  // namespace vigie::dns::testing
