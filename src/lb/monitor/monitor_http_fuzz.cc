// Fuzz target: any bytes a client sends to a monitor-uri frontend. Answer()
// never crashes; it answers within kMaxRequestHead bytes; a reply consumes
// at least one byte and no more than it was given; an answer to a prefix
// that ends a head is the answer to the whole input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lb/monitor/monitor_http.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using vigie::lb::monitor::Answer;
  using vigie::lb::monitor::kMaxRequestHead;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    auto r = Answer(in, "/healthz");
    if (!r) {
      if (in.size() >= kMaxRequestHead)
        std::abort();  // must have answered by the bound
      break;
    }
    if (r->consumed == 0 || r->consumed > in.size() || r->bytes.empty())
      std::abort();
    auto again = Answer(in.substr(0, r->consumed), "/healthz");
    if (!again || again->bytes != r->bytes || again->close != r->close)
      std::abort();
    if (r->close)
      break;
    in = in.substr(r->consumed);
  }
  return 0;
}
