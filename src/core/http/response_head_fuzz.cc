// Fuzz target: what a server sends an HTTP/1 client. The input goes through
// FindHeadEnd, ParseResponseHead (whose status line must agree with
// ParseStatusLine), the response framing and connection reuse, and the
// chunked scanner in one piece and split at a point taken from the first
// byte (both must agree). Under g++ the corpus is replayed by ctest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "core/http/framing.h"
#include "core/http/http_error.h"
#include "core/http/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::http;  // NOLINT(google-build-using-namespace)
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto end = FindHeadEnd(text)) {
    VIGIE_CHECK(*end <= text.size(), "head end past the input");
    if (auto head = ParseResponseHead(text.substr(0, *end))) {
      VIGIE_CHECK(head->status >= 100 && head->status <= 599, "status out of range");
      std::string_view line = text.substr(0, text.find('\n'));
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      auto status_line = ParseStatusLine(line);
      VIGIE_CHECK(
          status_line && status_line->status == head->status && status_line->reason == head->reason,
          "status line parsed two ways");
      for (std::string_view method : {"GET", "HEAD"}) {
        if (auto framing = DetermineResponseFraming(*head, method)) {
          bool keeps = ResponseKeepsAlive(*head, *framing);
          VIGIE_CHECK(!keeps || framing->kind != ResponseFraming::Kind::kUntilClose,
                      "kept alive a body that ends at close");
        } else {
          VIGIE_CHECK(StatusForError(framing.error()) == 502, "framing error without 502");
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
  return 0;
}
