// bench/dns/loadgen: a UDP DNS load generator that keeps a fixed number of
// queries in flight and moves them with recvmmsg/sendmmsg, so that one core
// of load can saturate a server core (dnsperf's one send and one receive
// system call per query cost about as much as answering it, which made the
// load generator, not the server, the ceiling).
//
// Usage: loadgen HOST PORT QUERYFILE SECONDS SOCKETS WINDOW [TIMEOUT_MS]
//   QUERYFILE: dnsperf's format, "name type" per line (A, AAAA, ... or a
//   number); queries are sent in file order, round robin, RD set, no EDNS
//   (dnsperf's defaults). SOCKETS connected UDP sockets (distinct source
//   ports), WINDOW queries outstanding per socket; a query unanswered after
//   TIMEOUT_MS (1000) counts as lost and its slot is reused.
// Output (one line, key=value): sent, completed, lost, mismatched (replies
// with an unknown ID), rcode counts, seconds, qps, mean and p99 latency.
//
// Only answers whose ID matches a query in flight count; the load is the
// same for every server it is pointed at.
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

constexpr int kBatch = 64;
constexpr size_t kMaxQuery = 300;

using Clock = std::chrono::steady_clock;

uint16_t TypeCode(const std::string& t) {
  static const std::pair<const char*, uint16_t> kTypes[] = {
      {"A", 1},   {"NS", 2},   {"CNAME", 5}, {"SOA", 6},  {"PTR", 12},
      {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"ANY", 255}};
  for (const auto& [name, code] : kTypes) {
    if (t == name) {
      return code;
    }
  }
  return static_cast<uint16_t>(std::atoi(t.c_str()));
}

// The query in wire form with ID 0; false for a name that does not encode.
bool EncodeQuery(const std::string& name, uint16_t type, std::vector<uint8_t>* out) {
  std::vector<uint8_t>& w = *out;
  w = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) {
      dot = name.size();
    }
    const size_t len = dot - start;
    if (len == 0 || len > 63) {
      return false;
    }
    w.push_back(static_cast<uint8_t>(len));
    w.insert(w.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  w.push_back(0);
  w.push_back(static_cast<uint8_t>(type >> 8));
  w.push_back(static_cast<uint8_t>(type & 0xFF));
  w.push_back(0);
  w.push_back(1);
  return w.size() <= kMaxQuery;
}

struct Slot {
  bool busy = false;
  uint16_t id = 0;
  Clock::time_point sent;
};

struct Socket {
  int fd = -1;
  std::vector<Slot> slots;
  std::vector<int> free_slots;
  uint16_t generation = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s HOST PORT QUERYFILE SECONDS SOCKETS WINDOW [TIMEOUT_MS]\n",
                 argv[0]);
    return 2;
  }
  const char* host = argv[1];
  const int port = std::atoi(argv[2]);
  const double seconds = std::atof(argv[4]);
  const int n_sockets = std::max(1, std::atoi(argv[5]));
  // IDs are slot + window * generation: the window must divide 65536.
  int window = 1;
  while (window < std::atoi(argv[6]) && window < 4096) {
    window *= 2;
  }
  const auto timeout = std::chrono::milliseconds(argc > 7 ? std::atoi(argv[7]) : 1000);

  std::vector<std::vector<uint8_t>> queries;
  {
    std::ifstream in(argv[3]);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string name, type;
      if (!(ls >> name >> type)) {
        continue;
      }
      std::vector<uint8_t> wire;
      if (EncodeQuery(name, TypeCode(type), &wire)) {
        queries.push_back(std::move(wire));
      }
    }
  }
  if (queries.empty()) {
    std::fprintf(stderr, "loadgen: no queries in %s\n", argv[3]);
    return 2;
  }

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
    std::fprintf(stderr, "loadgen: bad address %s\n", host);
    return 2;
  }
  std::vector<Socket> socks(static_cast<size_t>(n_sockets));
  std::vector<pollfd> pfds;
  for (auto& s : socks) {
    s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    const int buf = 4 << 20;
    setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (s.fd < 0 || connect(s.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      std::perror("loadgen: socket");
      return 1;
    }
    s.slots.resize(static_cast<size_t>(window));
    for (int i = window - 1; i >= 0; --i) {
      s.free_slots.push_back(i);
    }
    pfds.push_back(pollfd{s.fd, POLLIN, 0});
  }

  std::array<std::array<uint8_t, kMaxQuery>, kBatch> out_buf{};
  std::array<iovec, kBatch> out_iov{};
  std::array<mmsghdr, kBatch> out_msgs{};
  std::array<std::array<uint8_t, 4096>, kBatch> in_buf{};
  std::array<iovec, kBatch> in_iov{};
  std::array<mmsghdr, kBatch> in_msgs{};

  uint64_t sent = 0, completed = 0, lost = 0, mismatched = 0, send_errors = 0;
  uint64_t rcodes[16] = {};
  // Latency histogram in 10 us buckets up to 1 s.
  std::vector<uint64_t> hist(100001);
  double latency_sum_us = 0;
  size_t next_query = 0;

  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto last_sweep = start;
  for (;;) {
    const auto now = Clock::now();
    if (now >= end) {
      break;
    }
    bool received_any = false;
    for (auto& s : socks) {
      // Replies first: they free slots.
      for (;;) {
        for (int i = 0; i < kBatch; ++i) {
          in_iov[i] = iovec{in_buf[i].data(), in_buf[i].size()};
          in_msgs[i] = mmsghdr{};
          in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
          in_msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = recvmmsg(s.fd, in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) {
          break;
        }
        received_any = true;
        const auto t = Clock::now();
        for (int i = 0; i < n; ++i) {
          if (in_msgs[i].msg_len < 12) {
            ++mismatched;
            continue;
          }
          const uint8_t* r = in_buf[i].data();
          const uint16_t id = static_cast<uint16_t>((r[0] << 8) | r[1]);
          Slot& slot = s.slots[id % static_cast<unsigned>(window)];
          if (!slot.busy || slot.id != id || (r[2] & 0x80) == 0) {
            ++mismatched;
            continue;
          }
          slot.busy = false;
          s.free_slots.push_back(static_cast<int>(id % static_cast<unsigned>(window)));
          ++completed;
          ++rcodes[r[3] & 0x0F];
          const double us = std::chrono::duration<double, std::micro>(t - slot.sent).count();
          latency_sum_us += us;
          ++hist[std::min<size_t>(static_cast<size_t>(us / 10), hist.size() - 1)];
        }
        if (n < kBatch) {
          break;
        }
      }
      // Lost queries: swept every 10 ms.
      if (now - last_sweep > std::chrono::milliseconds(10)) {
        for (size_t i = 0; i < s.slots.size(); ++i) {
          Slot& slot = s.slots[i];
          if (slot.busy && now - slot.sent > timeout) {
            slot.busy = false;
            s.free_slots.push_back(static_cast<int>(i));
            ++lost;
          }
        }
      }
      // Refill the window.
      while (!s.free_slots.empty()) {
        const int n = static_cast<int>(std::min<size_t>(s.free_slots.size(), kBatch));
        const auto t = Clock::now();
        for (int i = 0; i < n; ++i) {
          const int si = s.free_slots[s.free_slots.size() - 1 - static_cast<size_t>(i)];
          Slot& slot = s.slots[static_cast<size_t>(si)];
          const std::vector<uint8_t>& q = queries[next_query];
          next_query = next_query + 1 == queries.size() ? 0 : next_query + 1;
          slot.id = static_cast<uint16_t>(si + window * s.generation++);
          slot.busy = true;
          slot.sent = t;
          std::memcpy(out_buf[i].data(), q.data(), q.size());
          out_buf[i][0] = static_cast<uint8_t>(slot.id >> 8);
          out_buf[i][1] = static_cast<uint8_t>(slot.id & 0xFF);
          out_iov[i] = iovec{out_buf[i].data(), q.size()};
          out_msgs[i] = mmsghdr{};
          out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
          out_msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int done = sendmmsg(s.fd, out_msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
        if (done < 0) {
          done = 0;
        }
        // Slots whose datagram did not leave go back to the free list.
        for (int i = done; i < n; ++i) {
          const int si = s.free_slots[s.free_slots.size() - 1 - static_cast<size_t>(i)];
          s.slots[static_cast<size_t>(si)].busy = false;
          ++send_errors;
        }
        sent += static_cast<uint64_t>(done);
        s.free_slots.resize(s.free_slots.size() - static_cast<size_t>(done));
        if (done < n) {
          break;
        }
      }
    }
    if (now - last_sweep > std::chrono::milliseconds(10)) {
      last_sweep = now;
    }
    if (!received_any) {
      for (auto& p : pfds) {
        p.revents = 0;
      }
      poll(pfds.data(), pfds.size(), 1);
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t seen = 0;
  size_t p99 = 0;
  for (size_t i = 0; i < hist.size(); ++i) {
    seen += hist[i];
    if (seen * 100 >= completed * 99) {
      p99 = i;
      break;
    }
  }
  std::printf(
      "sent=%llu completed=%llu lost=%llu mismatched=%llu send_errors=%llu noerror=%llu "
      "nxdomain=%llu servfail=%llu refused=%llu seconds=%.3f qps=%.1f latency_mean_us=%.1f "
      "latency_p99_us=%zu\n",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(completed),
      static_cast<unsigned long long>(lost), static_cast<unsigned long long>(mismatched),
      static_cast<unsigned long long>(send_errors), static_cast<unsigned long long>(rcodes[0]),
      static_cast<unsigned long long>(rcodes[3]), static_cast<unsigned long long>(rcodes[2]),
      static_cast<unsigned long long>(rcodes[5]), elapsed, static_cast<double>(completed) / elapsed,
      completed ? latency_sum_us / static_cast<double>(completed) : 0.0, p99 * 10);
  return 0;
}
