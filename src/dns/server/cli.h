// What `vigie dns` prints besides serving: the /dns/top reply as a table.
//
// Thread rules: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace vigie::dns {

// The admin endpoint's /dns/top reply ({"total":N,"names":[{"name":…,
// "count":…,"error":…},…]}) as `vigie dns top` prints it: a header with the
// total, then one line per name. Errors: a reply of another shape.
Result<std::string> FormatTop(std::string_view json_reply);

}  // namespace vigie::dns
