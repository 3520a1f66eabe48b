// Tests for the list downloader's error paths that need no real server:
// a TLS peer that never answers is cut by the deadline, an unreadable
// ca_file and an unknown scheme are errors naming the URL.
#include "dns/server/http_fetch.h"

#include <chrono>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vigie::dns {
namespace {

// A loopback listener that never accepts: the kernel completes the TCP
// handshake from the backlog, then nothing is ever sent.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(HttpFetchTest, SilentTlsPeerIsCutByTheDeadline) {
  SilentListener peer;
  HttpFetchRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(peer.port()) + "/hosts";
  req.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto res = HttpGet(req);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), make_error_code(vigie::Errc::kTimeout)) << res.error().ToString();
  EXPECT_NE(res.error().context().find("TLS handshake with 127.0.0.1:"), std::string::npos)
      << res.error().ToString();
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(HttpFetchTest, SilentHttpPeerIsCutByTheDeadline) {
  SilentListener peer;
  HttpFetchRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(peer.port()) + "/hosts";
  req.timeout = std::chrono::milliseconds(300);
  auto res = HttpGet(req);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), make_error_code(vigie::Errc::kTimeout)) << res.error().ToString();
}

TEST(HttpFetchTest, UnreadableCaFileIsAnError) {
  HttpFetchRequest req;
  req.url = "https://127.0.0.1:1/hosts";
  req.ca_file = "/nonexistent/ca.pem";
  auto res = HttpGet(req);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code(), make_error_code(vigie::Errc::kInvalidArgument));
  EXPECT_NE(res.error().context().find("https://127.0.0.1:1/hosts: ca_file /nonexistent/ca.pem"),
            std::string::npos)
      << res.error().ToString();
}

TEST(HttpFetchTest, OtherSchemesAndCredentialsAreRefused) {
  for (const char* url : {"ftp://lists.example/hosts", "https://user:pw@lists.example/hosts",
                          "https://[::1/hosts", "https://:443/hosts"}) {
    HttpFetchRequest req;
    req.url = url;
    auto res = HttpGet(req);
    ASSERT_FALSE(res) << url;
    EXPECT_EQ(res.error().code(), make_error_code(vigie::Errc::kInvalidArgument)) << url;
  }
}

}  // namespace
}  // namespace vigie::dns
