// Fuzz target: what an origin or a DNS server sends the proxy. The input goes
// through the response-head path (core's FindHeadEnd, ParseResponseHead and
// framing, then the client head rewrite), the chunked scanner in one piece
// and split at a point taken from the first byte (both must agree), and
// core's hosts-file parser (the proxy's hosts_file; DNS answers are
// core/dns's message_fuzz). Under g++ the corpus is replayed by ctest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "core/http/framing.h"
#include "core/http/message.h"
#include "core/resolv_conf.h"
#include "egress/proxy/client_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::egress::proxy;  // NOLINT(google-build-using-namespace)
  using namespace vigie::http;           // NOLINT(google-build-using-namespace)
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto end = FindHeadEnd(text)) {
    VIGIE_CHECK(*end <= text.size(), "*end <= text.size()");
    if (auto head = ParseResponseHead(text.substr(0, *end))) {
      for (std::string_view method : {"GET", "HEAD"}) {
        if (auto framing = DetermineResponseFraming(*head, method)) {
          (void)ResponseKeepsAlive(*head, *framing);
          (void)BuildClientResponseHead(*head, *framing, {});
        }
      }
    }
  }
  ChunkedScanner whole;
  auto all = whole.Feed(text);
  size_t split = size == 0 ? 0 : data[0] % (size + 1);
  ChunkedScanner parts;
  auto first = parts.Feed(text.substr(0, split));
  if (all && first) {
    VIGIE_CHECK(*first <= split, "*first <= split");
    if (*first == split && !parts.done()) {
      auto second = parts.Feed(text.substr(split));
      VIGIE_CHECK(second.has_value(), "second.has_value()");
      VIGIE_CHECK(split + *second == *all, "split + *second == *all");
      VIGIE_CHECK(parts.done() == whole.done(), "parts.done() == whole.done()");
    } else {
      VIGIE_CHECK(*first == *all, "*first == *all");
    }
  }
  std::vector<std::string> problems;
  auto hosts = vigie::HostsTable::Parse(text, &problems);
  VIGIE_CHECK(hosts.size() <= size, "hosts.size() <= size");
  return 0;
}
