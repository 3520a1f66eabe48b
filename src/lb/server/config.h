// The `lb:` section of vigie.yaml, and `vigie lb -f haproxy.cfg`: both end in
// the same resolved model (haproxy_cfg::Config), checked for what the server
// needs (IP literals, known backends). The YAML shape is the one
// `vigie lb import` prints (docs/lb.md §2); `haproxy_cfg: PATH` reads a
// haproxy.cfg instead, again on every reload.
//
// Thread rules: an LbConfig is immutable once parsed and shared by workers.
#pragma once

#include <string>
#include <vector>

#include "core/component.h"
#include "core/config.h"
#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb {

struct LbConfig : ComponentConfig {
  haproxy_cfg::Config model;
  // Where the model came from: "vigie.yaml" or the haproxy.cfg path.
  std::string source;
  // Diagnostics of the haproxy.cfg reader (ignored, warning, unsupported).
  std::vector<haproxy_cfg::Diagnostic> diagnostics;
  // Zero-copy forwarding (splice(2)) in the relay.
  bool splice = false;
};

bool ParseValue(const config::Field& f, LbConfig& out);

// Checks what the server needs beyond haproxy's own rules: server and bind
// hosts are IP literals, each frontend's backend exists, ports are set.
// Returns one message per problem ("backend 'x' server 'y': ...").
std::vector<std::string> ValidateForServing(const haproxy_cfg::Config& model);

// Reads a haproxy.cfg file into `out` (model, diagnostics). Errors (I/O,
// kError diagnostics, ValidateForServing) are returned as text lines.
std::vector<std::string> LoadHaproxyFile(const std::string& path, LbConfig& out);

}  // namespace vigie::lb
