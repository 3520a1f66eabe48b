// Test helpers shared by the proto tests (test-only; not part of any
// library): bytes written as hex.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace vigie::events::codec_testing {

inline std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline std::span<const std::byte> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace vigie::events::codec_testing
