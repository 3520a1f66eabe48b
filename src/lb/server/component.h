// The lb component `vigie serve` drives (and `vigie lb -f` runs alone): the
// ComponentSpec (the `lb:` section, parsed by config.h) and the Component:
// listeners per bind on every worker, health checks and the stats socket on
// the control thread, reload keeping the listening sockets, /lb/status on the
// admin endpoint.
//
// Thread rules: as Component: every method on the control thread.
#pragma once

#include <memory>
#include <string>

#include "core/component.h"

namespace vigie::lb {

// The `lb:` section `vigie serve` reads, for cli/'s component table.
// `version` and `release_date` ("YYYY/MM/DD") are what `show info` reports.
ComponentSpec LbComponentSpec(std::string version, std::string release_date);

// The Component alone (what LbComponentSpec creates).
std::unique_ptr<Component> MakeLbComponent(ServeContext& ctx, std::string version,
                                           std::string release_date);

}  // namespace vigie::lb
