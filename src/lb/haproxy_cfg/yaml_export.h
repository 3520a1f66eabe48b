// `vigie import haproxy FILE`: renders a parsed haproxy.cfg as the `lb:`
// section of vigie.yaml (text), followed by YAML comments naming every
// directive that was not carried over. The shape is documented in docs/lb.md.
//
// Thread rules: pure function of its arguments.
#pragma once

#include <string>

#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg {

// Every setting is written explicitly (resolved defaults included), so the
// output does not depend on vigie's own defaults. Durations use FormatDuration
// ("2s", "3h"). Diagnostics of every severity are listed at the end as
// comments "#   file:line: severity: text".
std::string ExportVigieYaml(const ParseOutput& parsed);

}  // namespace vigie::lb::haproxy_cfg
