// Fuzz target: HTTP/1 request heads from untrusted clients. Feeds the input
// to RequestHeadParser in two pieces (split point from the first byte) and
// checks it agrees with a one-shot parse and one byte at a time, that the
// limits hold, and that body framing decides without failing silently.
// Under g++ the corpus is replayed by ctest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "core/http/framing.h"
#include "core/http/http_error.h"
#include "core/http/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::http;  // NOLINT(google-build-using-namespace)
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = size == 0 ? 0 : static_cast<size_t>(data[0]) % (size + 1);
  HeadLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_request_line_bytes = 1024;
  limits.max_field_line_bytes = 1024;
  limits.max_fields = 32;

  RequestHeadParser whole(limits);
  auto whole_result = whole.Feed(input);

  RequestHeadParser pieces(limits);
  auto first = pieces.Feed(input.substr(0, split));
  size_t consumed = first ? *first : 0;
  bool failed = !first;
  if (!failed && !pieces.done()) {
    auto second = pieces.Feed(input.substr(split));
    failed = !second;
    consumed += second ? *second : 0;
  }
  // Splitting must not change the outcome.
  VIGIE_CHECK(failed == !whole_result, "split parse disagrees with one-shot parse");

  RequestHeadParser bytes(limits);
  bool byte_failed = false;
  size_t byte_consumed = 0;
  for (size_t i = 0; i < input.size() && !bytes.done() && !byte_failed; ++i) {
    auto r = bytes.Feed(input.substr(i, 1));
    byte_failed = !r;
    byte_consumed += r ? *r : 0;
  }
  VIGIE_CHECK(byte_failed == !whole_result, "byte-wise parse disagrees with one-shot parse");

  if (failed) {
    int status = StatusForError(whole_result.error());
    VIGIE_CHECK(status == 400 || status == 414 || status == 431 || status == 505,
                "request head error with an unexpected status");
    return 0;
  }
  VIGIE_CHECK(pieces.done() == whole.done(), "split parse completion differs");
  VIGIE_CHECK(bytes.done() == whole.done(), "byte-wise parse completion differs");
  if (!whole.done()) {
    return 0;
  }
  VIGIE_CHECK(consumed == *whole_result, "split parse consumed a different length");
  VIGIE_CHECK(byte_consumed == *whole_result, "byte-wise parse consumed a different length");
  VIGIE_CHECK(consumed <= limits.max_head_bytes, "head limit not enforced");
  VIGIE_CHECK(whole.head().fields.size() <= limits.max_fields, "field limit not enforced");

  auto framing = DetermineRequestBodyFraming(whole.head());
  if (framing) {
    VIGIE_CHECK(framing->kind != BodyFraming::Kind::kContentLength || framing->length > 0,
                "a zero Content-Length framed as a body");
  } else {
    int status = StatusForError(framing.error());
    VIGIE_CHECK(status == 400 || status == 501, "framing error with an unexpected status");
  }
  return 0;
}
