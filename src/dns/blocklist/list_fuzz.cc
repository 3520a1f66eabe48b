// Fuzz target for the list parser and DomainSet: any octets parse without a
// crash; every rule handed out is a valid normalized name that the built set
// then matches.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dns/blocklist/domain_set.h"
#include "dns/blocklist/list_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigie::dns::DomainSet;
  using vigie::dns::ParsedRule;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  DomainSet::Builder builder;
  std::vector<std::string> names;
  vigie::dns::ParseOptions options;
  auto report = vigie::dns::ParseList(text, options, [&](const ParsedRule& r) {
    auto again = vigie::dns::NormalizeDomain(r.name);
    if (!again || *again != r.name) {
      std::abort();  // rules are normalized and stable
    }
    builder.Add(r, 0);
    names.emplace_back(r.name);
  });
  if (report.issues.size() > options.max_reported_issues) {
    std::abort();
  }
  DomainSet set = std::move(builder).Build();
  for (const auto& n : names) {
    if (!set.Match(n)) {
      std::abort();
    }
  }
  return 0;
}
