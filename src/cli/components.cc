// The components `vigie serve` knows, in DESIGN.md's order. The only place
// (with main.cc) that knows them all.
#include "cli/commands.h"

namespace vigie::cli {

std::vector<ComponentSpec> AllComponents() {
  std::vector<ComponentSpec> specs;
  AddLbSpec(specs);
  AddEgressSpec(specs);
  AddDnsSpec(specs);
  AddEventsSpec(specs);
  return specs;
}

}  // namespace vigie::cli
