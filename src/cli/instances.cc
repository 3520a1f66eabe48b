#include "cli/instances.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace vigie::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kServeAdmin = "127.0.0.1:9901";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool Running(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

struct Found {
  std::string command;
  pid_t pid = 0;
  std::string admin;
};

// "<command>-<pid>.admin" -> command, pid.
bool ParseName(const std::string& name, Found& out) {
  constexpr std::string_view kSuffix = ".admin";
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) {
    return false;
  }
  std::string stem = name.substr(0, name.size() - kSuffix.size());
  auto dash = stem.rfind('-');
  if (dash == std::string::npos || dash == 0) {
    return false;
  }
  char* end = nullptr;
  long pid = std::strtol(stem.c_str() + dash + 1, &end, 10);
  if (end == nullptr || *end != '\0' || pid <= 0) {
    return false;
  }
  out.command = stem.substr(0, dash);
  out.pid = static_cast<pid_t>(pid);
  return true;
}

}  // namespace

std::string InstanceDir() {
  std::string dir = Env("VIGIE_RUNTIME_DIR");
  if (dir.empty()) {
    dir = Env("RUNTIME_DIRECTORY");
  }
  if (dir.empty() && !Env("XDG_RUNTIME_DIR").empty()) {
    dir = Env("XDG_RUNTIME_DIR") + "/vigie";
  }
  if (dir.empty()) {
    dir = ::geteuid() == 0 ? "/run/vigie" : "/tmp/vigie-" + std::to_string(::geteuid());
  }
  return dir;
}

InstanceRecord::InstanceRecord(std::string_view command, const Address& admin) {
  std::string dir = InstanceDir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  // Only this user lists and reads the records (a shared /tmp).
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || st.st_uid != ::geteuid()) {
    std::fprintf(stderr, "vigie: %s is not this user's: instance not recorded\n", dir.c_str());
    return;
  }
  ::chmod(dir.c_str(), 0700);
  std::string path = dir + "/" + std::string(command) + "-" + std::to_string(::getpid()) + ".admin";
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << admin.ToString() << "\n";
    if (!f) {
      std::fprintf(stderr, "vigie: cannot write %s: instance not recorded\n", tmp.c_str());
      return;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "vigie: cannot write %s: instance not recorded\n", path.c_str());
    return;
  }
  path_ = path;
}

InstanceRecord::~InstanceRecord() {
  if (!path_.empty()) {
    ::unlink(path_.c_str());
  }
}

Result<std::string> FindAdmin(std::string_view command) {
  std::vector<Found> live;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(InstanceDir(), ec)) {
    Found f;
    if (!ParseName(entry.path().filename().string(), f)) {
      continue;
    }
    if (!command.empty() && f.command != command) {
      continue;
    }
    if (!Running(f.pid)) {
      fs::remove(entry.path(), ec);  // its process is gone
      continue;
    }
    std::ifstream in(entry.path());
    std::getline(in, f.admin);
    if (!f.admin.empty()) {
      live.push_back(std::move(f));
    }
  }
  if (live.empty()) {
    return std::string(kServeAdmin);
  }
  if (live.size() == 1) {
    return live[0].admin;
  }
  std::string list;
  for (const Found& f : live) {
    list += "\n  --admin " + f.admin + "   (vigie " + f.command + ", pid " + std::to_string(f.pid) +
            ")";
  }
  return Error(Errc::kInvalidArgument,
               std::to_string(live.size()) + " vigie " +
                   (command.empty() ? std::string("instances") : std::string(command)) +
                   " instances run here; say which:" + list);
}

std::optional<std::string> AdminOrFind(const std::string& given, std::string_view command,
                                       std::string_view who) {
  if (!given.empty()) {
    return given;
  }
  auto found = FindAdmin(command);
  if (!found) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(who.size()), who.data(),
                 found.error().ToString().c_str());
    return std::nullopt;
  }
  return *found;
}

}  // namespace vigie::cli
