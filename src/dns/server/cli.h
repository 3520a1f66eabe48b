// What `vigie dns` does besides serving: the decision for a name from the
// lists alone (`vigie dns why`), the /dns/top reply as a table (`vigie dns
// top`).
//
// Thread rules: ExplainOffline reads (and downloads) the lists on the
// calling thread; FormatTop is pure.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "dns/server/config.h"

namespace vigie::dns {

// Loads the lists of `config` (files, URLs, last good copies) and explains
// the decision for `name`: blocked/allowed/local/none, with list, line and
// rule. Returns the text and whether the name is blocked.
struct WhyAnswer {
  std::string text;
  bool blocked = false;
};
WhyAnswer ExplainOffline(const DnsConfig& config, std::string_view name);

// The admin endpoint's /dns/top reply ({"total":N,"names":[{"name":…,
// "count":…,"error":…},…]}) as `vigie dns top` prints it: a header with the
// total, then one line per name. Errors: a reply of another shape.
Result<std::string> FormatTop(std::string_view json_reply);

}  // namespace vigie::dns
