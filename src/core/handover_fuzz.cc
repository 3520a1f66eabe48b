// Fuzz target: the successor's side of a binary upgrade (ReceiveListeners)
// reading whatever the -x socket sends: a predecessor's descriptors and
// markers, an error message, or anything else listening at that path, cut
// anywhere, with descriptors attached to any byte. The contract checked,
// not only "no crash": it ends; every descriptor it returns is open; no
// descriptor received is leaked (each is returned or closed), which the
// count of this process's open descriptors shows.
//
// Input: records of [k][n][n bytes]; the record is sent in one sendmsg(2)
// with k % 8 descriptors attached (duplicates of a pipe's read end).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/check.h"
#include "core/handover.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

// Sends `bytes` with `fds` attached; false when the socket would block.
bool SendRecord(int fd, const uint8_t* bytes, size_t n, const std::vector<int>& fds) {
  iovec iov{const_cast<uint8_t*>(bytes), n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const size_t before = OpenDescriptors();
  int pair[2];
  VIGIE_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
  int pipe_fds[2];
  VIGIE_CHECK(pipe2(pipe_fds, O_CLOEXEC) == 0, "pipe");
  size_t i = 0;
  while (i + 2 <= size) {
    size_t k = data[i] % 8;
    size_t n = std::min<size_t>(data[i + 1], size - i - 2);
    const uint8_t* bytes = data + i + 2;
    i += 2 + n;
    if (n == 0) {
      continue;  // descriptors ride on at least one byte of a stream socket
    }
    std::vector<int> fds(k, pipe_fds[0]);
    if (!SendRecord(pair[1], bytes, n, fds)) {
      break;
    }
  }
  close(pair[1]);  // the other side is done: the reader must end
  auto got = vigie::net::ReceiveListeners(
      pair[0], std::chrono::steady_clock::now() + std::chrono::seconds(5));
  if (got) {
    for (int fd : *got) {
      VIGIE_CHECK(fcntl(fd, F_GETFD) >= 0, "a returned descriptor is not open");
      close(fd);
    }
  }
  close(pair[0]);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  VIGIE_CHECK(OpenDescriptors() == before, "a received descriptor leaked");
  return 0;
}
