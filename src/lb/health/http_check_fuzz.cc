// Fuzz target: any bytes a backend answers to an HTTP health check. The
// verdict never crashes, and:
// - it is decided by the status line alone: once a prefix of the answer
//   gets a verdict, every longer prefix gets the same one (the check may
//   stop reading at the first verdict);
// - the check never waits forever: past kMaxStatusLine bytes without a
//   line end there is a verdict;
// - L7OK only for a status in the expected ranges (200-399 by default).
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "lb/health/http_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using vigie::lb::health::CheckOutcome;
using vigie::lb::health::CheckStatus;

bool Same(const CheckOutcome& a, const CheckOutcome& b) {
  return a.status == b.status && a.code == b.code && a.info == b.info;
}

void Check(std::string_view in, const std::vector<std::pair<int, int>>& expect) {
  using vigie::lb::health::EvaluateHttpCheckResponse;
  std::optional<CheckOutcome> first;
  for (std::size_t n = 0; n <= in.size(); ++n) {
    auto v = EvaluateHttpCheckResponse(in.substr(0, n), expect);
    if (first && (!v || !Same(*first, *v)))
      std::abort();
    if (!v && n > vigie::lb::health::kMaxStatusLine)
      std::abort();
    if (v && !first)
      first = v;
    if (first && n > 2 * vigie::lb::health::kMaxStatusLine)
      break;  // enough to show it is stable
  }
  if (first && first->status == CheckStatus::kL7Ok) {
    if (!first->code)
      std::abort();
    int code = *first->code;
    bool in_range = expect.empty() ? code >= 200 && code <= 399 : false;
    for (const auto& [lo, hi] : expect)
      in_range = in_range || (code >= lo && code <= hi);
    if (!in_range)
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in, {});
  Check(in, {{200, 200}});
  Check(in, {{204, 204}, {500, 599}});
  return 0;
}
