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

std::vector<ComponentSpec> OnlySpecs(const std::string& name) {
  std::vector<ComponentSpec> specs = AllComponents();
  for (auto& s : specs) {
    if (s.name != name) {
      s.parse = [](const config::Field&) -> std::shared_ptr<const ComponentConfig> {
        return nullptr;
      };
    }
  }
  return specs;
}

}  // namespace vigie::cli
