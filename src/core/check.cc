// VIGIE_CHECK's failure path.
#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace vigie::internal {

void CheckFailed(const char* file, int line, const char* expr, const char* message) {
  std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", file, line, expr, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace vigie::internal
