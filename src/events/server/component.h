// The events component for `vigie serve` (the `events:` section) and
// `vigie events`: the EventCore thread plus the worker listeners.
//
// Thread rules: as Component (control thread).
#pragma once

#include "core/component.h"

namespace vigie::events {

// The ComponentSpec `vigie serve` drives (name "events").
ComponentSpec EventsComponentSpec();

}  // namespace vigie::events
