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
  // haproxy's nbthread, user and group, read once: fixed at start.
  LbConfig probe;
  (void)LoadHaproxyFile(path, probe);
  const haproxy_cfg::Global& g = probe.model.global;
  if (!workers_given && g.nbthread > 0) {
    o.Set("runtime.workers", std::to_string(g.nbthread), "nbthread in " + path);
  }
  if (!g.user.empty()) {
    o.Set("runtime.user", g.user, "user in " + path);
  }
  if (!g.group.empty()) {
    o.Set("runtime.group", g.group, "group in " + path);
  }
  return o;
}

}  // namespace vigie::lb
