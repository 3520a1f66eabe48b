// VIGIE_CHECK: program invariants. A failed check logs the place and aborts.
// Never use it for what input or peers can cause; return a Result instead.
#pragma once

namespace vigie::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const char* message);
}  // namespace vigie::internal

#define VIGIE_CHECK(cond, message)                                        \
  do {                                                                    \
    if (!(cond)) [[unlikely]] {                                           \
      ::vigie::internal::CheckFailed(__FILE__, __LINE__, #cond, message); \
    }                                                                     \
  } while (false)
