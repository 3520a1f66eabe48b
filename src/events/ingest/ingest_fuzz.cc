// Fuzz target: arbitrary bytes as carbon plaintext lines and as a statsd
// datagram; accepted carbon points must convert to events and back to lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "events/ingest/carbon.h"
#include "events/ingest/statsd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    auto point = vigie::events::ParseCarbonLine(line, 1'700'000'000'000'000);
    if (point && *point) {
      vigie::events::Event e = vigie::events::CarbonPointToEvent(**point);
      std::string out;
      VIGIE_CHECK(vigie::events::AppendCarbonLine(vigie::events::GraphitePath(e), e, out),
                  "a carbon event always has a metric");
      (void)vigie::events::GraphitePathPercentiles(e);
    }
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  auto packet = vigie::events::ParseStatsdPacket(text);
  for (const auto& s : packet.samples) {
    VIGIE_CHECK(s.sample_rate > 0, "sample rate must be positive");
  }
  return 0;
}
