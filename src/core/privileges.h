// Dropping root after binding, as haproxy's `user`/`group` and unbound's
// `username:` do: `runtime.user` / `runtime.group` in vigie.yaml (and
// haproxy.cfg's global user/uid/group/gid under `vigie lb -f`). Every
// listener is bound first, then the whole process (all threads: glibc
// applies set*id to each) switches to the user and group and keeps only the
// capabilities asked for (vigie serve keeps CAP_NET_BIND_SERVICE, so a
// reload may still bind a port below 1024, as haproxy's root master can); a
// reload cannot read files only root may.
//
// Thread rules: LookUpCredentials is safe anywhere; DropPrivileges is called
// once, from the control thread, after the listeners are bound.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "core/error.h"

namespace vigie {

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string text;  // "nobody:nogroup" for messages
};

// `user` and `group` are names or decimal ids; either may be empty: an
// empty group is the user's primary group, an empty user keeps the current
// one. Errc::kNotFound names what does not exist.
Result<Credentials> LookUpCredentials(std::string_view user, std::string_view group);

// Switches the process to `to` (supplementary groups cleared), keeping of
// its capabilities only those in `keep` (CAP_* numbers) that it has: a
// no-op when it already runs as them; Errc::kPermissionDenied when it is
// not root; a failure of any step (or a process that could still regain
// root) is an error, never a half-dropped process.
Result<void> DropPrivileges(const Credentials& to, std::span<const int> keep = {});

}  // namespace vigie
