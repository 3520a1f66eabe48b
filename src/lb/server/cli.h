// What `vigie lb` does besides serving: read a haproxy.cfg and print its
// diagnostics (`-f FILE --check`), print its vigie.yaml equivalent
// (`import`), and the config overlay that serves a haproxy.cfg (`-f FILE`).
// (The stats socket's runtime commands are lb/stats/cli.h; the component
// `vigie serve` drives is component.h.)
//
// Thread rules: called from the main thread before anything is served.
#pragma once

#include <string>

#include "core/config.h"

namespace vigie::lb {

// Prints the reader's diagnostics of `path` on stderr with file:line, errors
// always, the rest when `verbose`. Returns false when there were errors.
bool PrintHaproxyDiagnostics(const std::string& path, bool verbose);

// `vigie lb -f FILE --check`: every diagnostic, then haproxy's "Configuration
// file is valid". Returns the exit code (0 valid, 1 not).
int CheckHaproxyFile(const std::string& path);

// `vigie lb import FILE`: the lb: section on stdout, each directive not
// carried over as a comment. Returns the exit code (1 when the file has errors).
int ImportHaproxyFile(const std::string& path);

// The config of `vigie lb -f FILE`: the file (as an absolute path, re-read on
// every reload), splice, and the workers from its `nbthread` unless
// `workers_given`.
config::Overlay HaproxyFileOverlay(const std::string& path, bool splice, bool workers_given);

}  // namespace vigie::lb
