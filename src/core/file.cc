// Atomic file replacement: temp file, fsync, rename, fsync of the directory.
#include "core/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vigie {
namespace {

Error IoError(const std::string& what, int err) {
  return Error(Errc::kIo, what + ": " + std::strerror(err));
}

std::string RandomSuffix() {
  unsigned char bytes[6] = {};
  // getrandom never fails for a few bytes once the pool is initialised;
  // the name only needs to be unlikely, O_EXCL makes it safe.
  (void)getrandom(bytes, sizeof bytes, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<AtomicFile> AtomicFile::Create(std::string path, mode_t mode) {
  for (int attempt = 0;; ++attempt) {
    std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + RandomSuffix();
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) {
      // The umask may have narrowed `mode`; a secret's 0600 must not widen,
      // and a 0644 state file should be what was asked.
      if (::fchmod(fd, mode) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return IoError(temp, err);
      }
      return AtomicFile(std::move(path), std::move(temp), fd);
    }
    if (errno != EEXIST || attempt == 3) {
      return IoError(temp, errno);
    }
  }
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), temp_(std::move(other.temp_)), fd_(other.fd_) {
  other.fd_ = -1;
  other.temp_.clear();
}

AtomicFile::~AtomicFile() {
  Abandon();
}

void AtomicFile::Abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_.empty()) {
    ::unlink(temp_.c_str());
    temp_.clear();
  }
}

Result<void> AtomicFile::Append(std::string_view bytes) {
  if (fd_ < 0) {
    return Error(Errc::kIo, path_ + ": already committed or abandoned");
  }
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      std::string temp = temp_;
      Abandon();
      return IoError(temp, err);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> AtomicFile::Commit() {
  if (fd_ < 0) {
    return Error(Errc::kIo, path_ + ": already committed or abandoned");
  }
  // The data must be on disk before the rename makes it the file's, or a
  // crash could leave the new name on empty blocks.
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    int err = errno;
    fd_ = -1;
    std::string temp = temp_;
    Abandon();
    return IoError(temp, err);
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    Abandon();
    return IoError(path_, err);
  }
  temp_.clear();
  // The rename itself lives in the directory.
  int dir = ::open(DirectoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    int rc = ::fsync(dir);
    int err = errno;
    ::close(dir);
    if (rc != 0) {
      return IoError(DirectoryOf(path_), err);
    }
  }
  return {};
}

Result<void> WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode) {
  auto file = AtomicFile::Create(path, mode);
  if (!file) {
    return file.error();
  }
  if (auto r = file->Append(bytes); !r) {
    return r;
  }
  return file->Commit();
}

}  // namespace vigie
