#include "core/privileges.h"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <vector>

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace vigie {
namespace {

bool ParseId(std::string_view text, unsigned* out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size();
}

// The process's effective capability set, as a bit mask of CAP_* numbers.
uint64_t EffectiveCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    return 0;
  }
  return static_cast<uint64_t>(data[1].effective) << 32 | data[0].effective;
}

// Sets permitted and effective to `mask` (inheritable cleared).
bool SetCapabilities(uint64_t mask) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(mask);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(mask >> 32);
  return syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

Result<Credentials> LookUpCredentials(std::string_view user, std::string_view group) {
  Credentials c;
  c.uid = geteuid();
  c.gid = getegid();
  std::vector<char> buf(16384);
  if (!user.empty()) {
    struct passwd pw {};
    struct passwd* found = nullptr;
    unsigned id = 0;
    int rc = ParseId(user, &id)
                 ? getpwuid_r(id, &pw, buf.data(), buf.size(), &found)
                 : getpwnam_r(std::string(user).c_str(), &pw, buf.data(), buf.size(), &found);
    if (found != nullptr) {
      c.uid = pw.pw_uid;
      c.gid = pw.pw_gid;
    } else if (ParseId(user, &id)) {
      c.uid = id;  // a numeric uid need not have a passwd entry (haproxy's `uid`)
    } else {
      return Error(Errc::kNotFound, "no such user \"" + std::string(user) + "\"" +
                                        (rc != 0 ? std::string(": ") + std::strerror(rc) : ""));
    }
  }
  if (!group.empty()) {
    struct group gr {};
    struct group* found = nullptr;
    unsigned id = 0;
    int rc = ParseId(group, &id)
                 ? getgrgid_r(id, &gr, buf.data(), buf.size(), &found)
                 : getgrnam_r(std::string(group).c_str(), &gr, buf.data(), buf.size(), &found);
    if (found != nullptr) {
      c.gid = gr.gr_gid;
    } else if (ParseId(group, &id)) {
      c.gid = id;
    } else {
      return Error(Errc::kNotFound, "no such group \"" + std::string(group) + "\"" +
                                        (rc != 0 ? std::string(": ") + std::strerror(rc) : ""));
    }
  }
  c.text = (user.empty() ? std::to_string(c.uid) : std::string(user)) + ":" +
           (group.empty() ? std::to_string(c.gid) : std::string(group));
  return c;
}

Result<void> DropPrivileges(const Credentials& to, std::span<const int> keep) {
  if (geteuid() == to.uid && getegid() == to.gid && getuid() == to.uid && getgid() == to.gid) {
    return {};
  }
  if (geteuid() != 0) {
    return Error(Errc::kPermissionDenied,
                 "cannot switch to " + to.text + ": running as uid " + std::to_string(geteuid()) +
                     ", not root (start as root, or leave runtime.user and runtime.group unset)");
  }
  auto fail = [&to](const char* step) {
    return Error(Errc::kPermissionDenied,
                 "switching to " + to.text + ": " + step + ": " + std::strerror(errno));
  };
  if (setgroups(1, &to.gid) != 0) {
    return fail("setgroups");
  }
  if (setresgid(to.gid, to.gid, to.gid) != 0) {
    return fail("setresgid");
  }
  uint64_t mask = 0;
  for (int cap : keep) {
    mask |= uint64_t{1} << cap;
  }
  mask &= EffectiveCapabilities();  // only what the process had
  // Kept across the uid change only when asked, then narrowed to `keep`.
  if (mask != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return fail("prctl(PR_SET_KEEPCAPS)");
  }
  if (setresuid(to.uid, to.uid, to.uid) != 0) {
    return fail("setresuid");
  }
  if (mask != 0) {
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (!SetCapabilities(mask)) {
      return fail("capset");
    }
  }
  if (to.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
    return Error(Errc::kPermissionDenied, "switching to " + to.text + ": root could be regained");
  }
#if defined(__SANITIZE_ADDRESS__)
  // ASan builds only: LeakSanitizer stops the world at exit with ptrace,
  // which the kernel refuses for a process that changed uid (no longer
  // dumpable). Release builds stay undumpable, as haproxy's workers are.
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
  return {};
}

}  // namespace vigie
