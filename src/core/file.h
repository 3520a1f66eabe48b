// Files vigie writes (the event index snapshot, the last good copy of a DNS
// list, and every component's state after them), written so that a reader,
// a crash or a power cut sees the old content or the new, never a mix.
//
// Thread rules: an AtomicFile belongs to one thread; different paths may be
// written from different threads at once.
#pragma once

#include <string>
#include <string_view>

#include <sys/types.h>

#include "core/error.h"

namespace vigie {

// A file being replaced: the bytes go to a temporary file beside `path`,
// made with a unique name (pid and random suffix) and opened
// O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, so a planted file or symlink is
// never written through; Commit() fsyncs it, renames it over `path` and
// fsyncs the directory. Destroyed without Commit(), it removes the temporary.
class AtomicFile {
 public:
  // Errors: kIo naming the temporary file and the system's reason.
  [[nodiscard]] static Result<AtomicFile> Create(std::string path, mode_t mode = 0644);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  // Appends bytes. Errors: kIo (disk full...); the file is then abandoned.
  [[nodiscard]] Result<void> Append(std::string_view bytes);
  // Makes the new content the file's. Errors: kIo; `path` then keeps its
  // old content.
  [[nodiscard]] Result<void> Commit();

  const std::string& temp_path() const { return temp_; }

 private:
  AtomicFile(std::string path, std::string temp, int fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}
  void Abandon();

  std::string path_;
  std::string temp_;
  int fd_ = -1;
};

// Create, Append(bytes), Commit.
[[nodiscard]] Result<void> WriteFileAtomically(const std::string& path, std::string_view bytes,
                                               mode_t mode = 0644);

}  // namespace vigie
