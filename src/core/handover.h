// Binary upgrade without closing a listening socket, as haproxy's
// `expose-fd listeners` + `haproxy -x SOCKET -sf PID`: the running process
// hands its listening TCP sockets (the file descriptors themselves, over a
// unix socket with SCM_RIGHTS) to its successor, which adopts them instead
// of binding; the old process is then told to stop accepting and drain.
// Connections waiting in a listen queue are never lost: the queue belongs
// to the socket, which both processes hold until the old one closes it.
//
//   old process: every ListenTcp() registers its socket here; a control
//     channel (lb's stats socket with expose-fd listeners) answers
//     `_getsocks` with SendListeners(OpenListeners()).
//   new process: FetchListeners(path) then AdoptInherited(fds) before the
//     components start; ListenTcp() takes an inherited socket bound to the
//     requested address when there is one, else binds.
//
// Thread rules: every function is thread-safe (one process-wide mutex).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core/error.h"
#include "core/units.h"

namespace vigie::net {

// Records a listening socket this process opened (ListenTcp calls it).
void RegisterListener(int fd, const boost::asio::ip::tcp::endpoint& bound);

// The registered sockets that are still open listening sockets bound where
// they were (a closed descriptor whose number was reused is skipped).
std::vector<int> OpenListeners();

// True when this process accepts TCP connections at `destination`: a
// listener it opened is bound there, or bound to the unspecified address
// with that port while `destination`'s address is one of this host's (egress
// must not proxy a request back into vigie). Thread-safe; cheap unless a
// listener has that port.
bool IsOwnListener(const boost::asio::ip::tcp::endpoint& destination);

// Writes `fds` to a connected unix stream socket, then an end marker.
// Blocking, bounded by `timeout`.
[[nodiscard]] Result<void> SendListeners(int unix_fd, std::span<const int> fds,
                                         Duration timeout = std::chrono::seconds(5));

// Connects to the unix socket `path`, sends "_getsocks\n" and reads the
// descriptors until the end marker (close-on-exec; at most 4096).
[[nodiscard]] Result<std::vector<int>> FetchListeners(const std::string& path,
                                                      Duration timeout = std::chrono::seconds(10));

// FetchListeners' reading side, on a connected unix stream socket `fd`
// (which it leaves open): descriptors and marker bytes until the end marker;
// any other bytes are the other side's error message (the first 200 kept).
// On any error every descriptor received so far is closed.
[[nodiscard]] Result<std::vector<int>> ReceiveListeners(
    int fd, std::chrono::steady_clock::time_point deadline);

// Makes received listening sockets available to ListenTcp. Descriptors that
// are not listening TCP sockets are closed.
void AdoptInherited(std::vector<int> fds);

// Removes and returns one inherited socket bound exactly to `endpoint`
// (a process with one socket per worker hands over several).
std::optional<int> TakeInherited(const boost::asio::ip::tcp::endpoint& endpoint);

// Closes the inherited sockets no listener took (their address left the
// config) and returns how many.
size_t CloseUnclaimedInherited();

// The command line's side of a binary upgrade (`-x SOCKET -sf PID... -st
// PID...`, haproxy's flags).
struct Takeover {
  std::string socket{};               // -x: the predecessor's control socket
  std::vector<int> finish_pids{};     // -sf: told to stop accepting and drain
  std::vector<int> terminate_pids{};  // -st: told to stop now
};

// Fetches and adopts the predecessor's listening sockets (nothing to do
// without a socket). Returns how many were taken over.
[[nodiscard]] Result<size_t> TakeOverListeners(const Takeover& takeover);

// Once the successor is ready: SIGUSR1 (drain) to finish_pids, SIGTERM to
// terminate_pids.
void ReleasePredecessors(const Takeover& takeover);

}  // namespace vigie::net
