// `vigie lb`'s one-shot jobs and the overlay that serves a haproxy.cfg.
#include "lb/server/cli.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lb/haproxy_cfg/yaml_export.h"
#include "lb/server/config.h"

namespace vigie::lb {

bool PrintHaproxyDiagnostics(const std::string& path, bool verbose) {
  LbConfig cfg;
  auto errors = LoadHaproxyFile(path, cfg);
  for (const auto& d : cfg.diagnostics) {
    if (verbose || d.severity != haproxy_cfg::Severity::kError) {
      std::fprintf(stderr, "%s\n", d.ToString().c_str());
    }
  }
  for (const auto& e : errors) {
    std::fprintf(stderr, "%s\n", e.c_str());
  }
  return errors.empty();
}

int CheckHaproxyFile(const std::string& path) {
  if (!PrintHaproxyDiagnostics(path, true)) {
    return 1;
  }
  std::printf("Configuration file is valid\n");
  return 0;
}

int ImportHaproxyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = haproxy_cfg::ParseHaproxyCfg(text.str(), path);
  std::fputs(haproxy_cfg::ExportVigieYaml(parsed).c_str(), stdout);
  return parsed.HasErrors() ? 1 : 0;
}

config::Overlay HaproxyFileOverlay(const std::string& path, bool splice, bool workers_given) {
  config::Overlay o;
  // Absolute, so a reload finds it whatever the working directory is then.
  o.Set("lb.haproxy_cfg", std::filesystem::absolute(path).string(), "-f");
  o.Set("lb.splice", splice ? "true" : "false", "--splice");
  if (!workers_given) {
    // haproxy's nbthread, read once: the worker count is fixed at start.
    LbConfig probe;
    (void)LoadHaproxyFile(path, probe);
    if (probe.model.global.nbthread > 0) {
      o.Set("runtime.workers", std::to_string(probe.model.global.nbthread), "nbthread in " + path);
    }
  }
  return o;
}

}  // namespace vigie::lb
