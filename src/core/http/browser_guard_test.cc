// The browser guard: DNS rebinding (Host), cross-site writes (Origin,
// Sec-Fetch-Site) and who may subscribe.
#include "core/http/browser_guard.h"

#include <gtest/gtest.h>

namespace vigie::http {
namespace {

TEST(HostAllowedTest, LoopbackNamesAndIpLiteralsPass) {
  BrowserPolicy p;
  for (std::string_view h :
       {"localhost", "localhost:9901", "LOCALHOST.", "dash.localhost:80", "127.0.0.1",
        "127.0.0.1:9901", "[::1]:9901", "[::1]", "10.0.0.5:5556", "[2001:db8::1]:443"}) {
    EXPECT_TRUE(HostAllowed(h, p)) << h;
  }
  EXPECT_TRUE(HostAllowed(std::nullopt, p));  // HTTP/1.0 without Host
}

TEST(HostAllowedTest, OtherNamesAreARebindingUnlessConfigured) {
  BrowserPolicy p;
  EXPECT_FALSE(HostAllowed("evil.example", p));
  EXPECT_FALSE(HostAllowed("evil.example:9901", p));
  EXPECT_FALSE(HostAllowed("localhost.evil.example", p));
  EXPECT_FALSE(HostAllowed("mon.example:5556", p));
  p.allowed_hosts = {"Mon.Example"};
  EXPECT_TRUE(HostAllowed("mon.example:5556", p));
  EXPECT_TRUE(HostAllowed("mon.example.", p));
  EXPECT_FALSE(HostAllowed("evil.example", p));
}

TEST(HostAllowedTest, MalformedHostsFail) {
  BrowserPolicy p;
  for (std::string_view h :
       {"::1", "[::1", "localhost:", "localhost:99999x", ":9901", "localhost:123456"}) {
    EXPECT_FALSE(HostAllowed(h, p)) << h;
  }
}

TEST(OriginAllowedTest, LoopbackOriginsAndConfiguredOnes) {
  BrowserPolicy p;
  for (std::string_view o : {"http://localhost:4567", "http://127.0.0.1", "https://[::1]:8443",
                             "http://127.1.2.3:80", "http://dash.localhost"}) {
    EXPECT_TRUE(OriginAllowed(o, p)) << o;
  }
  for (std::string_view o : {"null", "http://evil.example", "http://10.0.0.5:4567", "file://",
                             "ws://localhost", "http://localhost.evil.example"}) {
    EXPECT_FALSE(OriginAllowed(o, p)) << o;
  }
  p.allowed_origins = {"https://dash.example:8443/"};
  EXPECT_TRUE(OriginAllowed("https://DASH.example:8443", p));
  EXPECT_FALSE(OriginAllowed("https://dash.example", p));
}

TEST(RefuseFromBrowserTest, CrossSiteWritesAreRefusedReadsAreNot) {
  BrowserPolicy p;
  // A page on evil.example POSTing to http://127.0.0.1:9901/reload.
  auto r = RefuseFromBrowser("127.0.0.1:9901", "http://evil.example", "cross-site", true, p);
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("evil.example"), std::string::npos) << *r;
  // Without Origin (some old browsers on form posts) Sec-Fetch-Site decides.
  EXPECT_TRUE(RefuseFromBrowser("127.0.0.1:9901", std::nullopt, "cross-site", true, p));
  EXPECT_TRUE(RefuseFromBrowser("127.0.0.1:9901", std::nullopt, "same-site", true, p));
  EXPECT_FALSE(RefuseFromBrowser("127.0.0.1:9901", std::nullopt, "same-origin", true, p));
  EXPECT_FALSE(RefuseFromBrowser("127.0.0.1:9901", std::nullopt, "none", true, p));
  // curl and `vigie reload`: neither header.
  EXPECT_FALSE(RefuseFromBrowser("127.0.0.1:9901", std::nullopt, std::nullopt, true, p));
  // A GET from a page is harmless (the browser will not let it read the reply).
  EXPECT_FALSE(RefuseFromBrowser("127.0.0.1:9901", "http://evil.example", "cross-site", false, p));
  // riemann-dash on localhost subscribing.
  EXPECT_FALSE(RefuseFromBrowser("localhost:5556", "http://localhost:4567", "same-site", true, p));
}

TEST(RefuseFromBrowserTest, ARebindingIsRefusedEvenForReads) {
  BrowserPolicy p;
  auto r =
      RefuseFromBrowser("evil.example:9901", "http://evil.example:9901", "same-origin", false, p);
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("Host"), std::string::npos);
}

}  // namespace
}  // namespace vigie::http
