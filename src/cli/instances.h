// Standalone subcommands side by side. `vigie lb`, `vigie dns`, `vigie
// egress` and `vigie events` bind their admin endpoint on a free loopback
// port unless told otherwise (so any number of them start on one host), and
// record it in <runtime dir>/<command>-<pid>.admin while they run; the
// commands that talk to a running instance (`vigie lb status`, `vigie dns
// top`, `vigie reload`) find it there when --admin is not given. `vigie
// serve` keeps its fixed 127.0.0.1:9901. docs/operations.md says the same.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ip.h"

namespace vigie::cli {

// Where the records live: $VIGIE_RUNTIME_DIR, else $RUNTIME_DIRECTORY
// (systemd's RuntimeDirectory=), else $XDG_RUNTIME_DIR/vigie, else /run/vigie
// for root, else /tmp/vigie-<uid>. Created 0700 when missing.
std::string InstanceDir();

// This process's record, written on construction (best effort: a failure is
// reported on stderr and the instance still serves), removed on destruction.
class InstanceRecord {
 public:
  InstanceRecord(std::string_view command, const Address& admin);
  ~InstanceRecord();
  InstanceRecord(const InstanceRecord&) = delete;
  InstanceRecord& operator=(const InstanceRecord&) = delete;

 private:
  std::string path_;
};

// The admin endpoint to ask: the one running standalone `command` ("" for
// any command) when there is exactly one, else 127.0.0.1:9901 (`vigie
// serve`) when there is none. Several: an error listing each one's --admin.
// Records of processes that no longer run are removed.
Result<std::string> FindAdmin(std::string_view command);

// `given` (an --admin flag) when not empty, else FindAdmin(command); on
// error prints it prefixed by `who` and returns nullopt (exit code 2).
std::optional<std::string> AdminOrFind(const std::string& given, std::string_view command,
                                       std::string_view who);

}  // namespace vigie::cli
