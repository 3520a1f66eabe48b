// Fuzz target: arbitrary text through the query parser; whatever parses is
// printed and evaluated against a few events.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "events/query/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = vigie::events::ParseQuery(text);
  if (!q) {
    VIGIE_CHECK(!q.error().ToString().empty(), "error without a message");
    return 0;
  }
  VIGIE_CHECK(!q->ToString().empty(), "empty AST");
  vigie::events::Event full;
  full.set_host("web1\n\xe2\x80\xa8");
  full.set_service("cpu user");
  full.set_state("ok");
  full.set_metric_d(0.5);
  full.set_ttl(60);
  full.set_time_micros(1'500'000);
  full.add_tag("prod");
  full.add_attribute("x-client", "riemann-c-client");
  (void)q->Matches(full);
  (void)q->Matches(vigie::events::Event());
  (void)q->ExactHostService();
  (void)q->IsTrue();
  return 0;
}
