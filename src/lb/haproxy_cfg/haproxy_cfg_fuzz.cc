// Fuzz target: any text as a haproxy.cfg. The reader never crashes and
// always returns a model and its diagnostics, and:
// - every diagnostic names a line of the text (1..lines) or none (0);
// - a config it accepts (no errors) exports to vigie.yaml that yaml-cpp
//   loads, with an `lb` map, as `vigie import haproxy` promises.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "lb/haproxy_cfg/haproxy_cfg.h"
#include "lb/haproxy_cfg/yaml_export.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigie::lb::haproxy_cfg;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOutput parsed = ParseHaproxyCfg(text, "fuzz.cfg");
  int lines = 1;
  for (char c : text)
    lines += c == '\n';
  for (const Diagnostic& d : parsed.diagnostics) {
    if (d.where.line < 0 || d.where.line > lines)
      std::abort();
  }
  if (parsed.HasErrors())
    return 0;
  std::string yaml = ExportVigieYaml(parsed);
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root["lb"].IsMap())
      std::abort();
  } catch (const YAML::Exception&) {
    std::abort();
  }
  return 0;
}
