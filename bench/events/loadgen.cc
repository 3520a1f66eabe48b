// bench/events load generator: N connections each sending pipelined Riemann
// messages of B events (or carbon plaintext lines) for D seconds, counting
// acknowledged events (refused ones are reported
// on stderr, not counted). Plain POSIX sockets; protobuf encoded by hand.
//   loadgen riemann HOST PORT CONNS EVENTS_PER_MSG SECONDS KEYS
//   loadgen carbon  HOST PORT CONNS LINES_PER_WRITE SECONDS KEYS
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

void Varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void Str(std::string& out, int field, const std::string& s) {
  Varint(out, (field << 3) | 2);
  Varint(out, s.size());
  out += s;
}

std::string Message(int events, uint64_t& seq, uint64_t keys) {
  std::string msg;
  for (int i = 0; i < events; ++i) {
    uint64_t k = seq++ % keys;
    std::string ev;
    Str(ev, 4, "host" + std::to_string(k % 1000));
    Str(ev, 3, "service " + std::to_string(k / 1000));
    Str(ev, 2, "ok");
    Varint(ev, (13 << 3) | 0);
    Varint(ev, (k % 100) << 1);
    Str(msg, 6, ev);
  }
  std::string frame(4, '\0');
  uint32_t n = htonl(static_cast<uint32_t>(msg.size()));
  std::memcpy(frame.data(), &n, 4);
  return frame + msg;
}

int Connect(const char* host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::atomic<uint64_t> g_events{0};
std::atomic<uint64_t> g_refused{0};  // events in messages answered with an error
std::atomic<bool> g_stop{false};

// Keeps `window` messages in flight; counts events whose ack arrived.
void Riemann(const char* host, int port, int per_msg, uint64_t keys, int id) {
  int fd = Connect(host, port);
  uint64_t seq = static_cast<uint64_t>(id) * 7919;
  std::string batch;
  const int window = std::max(1, 2000 / per_msg);
  std::vector<char> buf(1 << 16);
  size_t have = 0;
  while (!g_stop.load()) {
    // New messages every round: keys advance over the whole key space (a
    // resent batch would only ever touch window * per_msg keys).
    batch.clear();
    for (int i = 0; i < window; ++i) {
      batch += Message(per_msg, seq, keys);
    }
    if (write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) {
      break;
    }
    int acks = 0;
    uint64_t oks = 0;
    uint64_t errors = 0;
    while (acks < window) {
      ssize_t n = read(fd, buf.data() + have, buf.size() - have);
      if (n <= 0) {
        close(fd);
        return;
      }
      have += static_cast<size_t>(n);
      size_t pos = 0;
      while (have - pos >= 4) {
        uint32_t len;
        std::memcpy(&len, buf.data() + pos, 4);
        len = ntohl(len);
        if (have - pos < 4 + len) {
          break;
        }
        if (len < 2 || buf[pos + 4] != 0x10 || buf[pos + 5] != 0x01) {
          ++errors;  // refused (overload): not counted as indexed
        } else {
          ++oks;
        }
        pos += 4 + len;
        ++acks;
      }
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      have -= pos;
    }
    g_events.fetch_add(oks * per_msg);
    g_refused.fetch_add(errors * per_msg);
  }
  close(fd);
}

void Carbon(const char* host, int port, int per_write, uint64_t keys, int id) {
  int fd = Connect(host, port);
  uint64_t seq = static_cast<uint64_t>(id) * 7919;
  long now = static_cast<long>(time(nullptr));
  while (!g_stop.load()) {
    std::string lines;
    for (int i = 0; i < per_write; ++i) {
      uint64_t k = seq++ % keys;
      lines += "bench.h" + std::to_string(k % 100) + ".m" + std::to_string(k / 100) + " " +
               std::to_string(k % 97) + " " + std::to_string(now) + "\n";
    }
    if (write(fd, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) {
      break;
    }
    g_events.fetch_add(per_write);
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: loadgen riemann|carbon HOST PORT CONNS N SECONDS KEYS\n");
    return 2;
  }
  std::string mode = argv[1];
  const char* host = argv[2];
  int port = std::atoi(argv[3]);
  int conns = std::atoi(argv[4]);
  int n = std::atoi(argv[5]);
  double seconds = std::atof(argv[6]);
  uint64_t keys = std::strtoull(argv[7], nullptr, 10);
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < conns; ++i) {
    threads.emplace_back(mode == "carbon" ? Carbon : Riemann, host, port, n, keys, i);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  g_stop.store(true);
  for (auto& t : threads) {
    t.join();
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.0f\n", static_cast<double>(g_events.load()) / elapsed);
  if (g_refused.load() > 0) {
    std::fprintf(stderr, "refused: %llu events\n",
                 static_cast<unsigned long long>(g_refused.load()));
  }
  return 0;
}
