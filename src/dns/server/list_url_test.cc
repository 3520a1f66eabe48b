// List URLs and redirect targets.
#include "dns/server/list_url.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

TEST(ParseListUrlTest, SchemesPortsAndHosts) {
  auto u = ParseListUrl("https://lists.lan/ads/hosts.txt?v=2");
  ASSERT_TRUE(u) << u.error().ToString();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "lists.lan");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->origin, "https://lists.lan");
  EXPECT_EQ(u->target, "/ads/hosts.txt?v=2");
  auto v6 = ParseListUrl("http://[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "8080");
  EXPECT_EQ(v6->target, "/");
  for (std::string_view bad : {"ftp://x/", "http://user:pw@x/", "http://", "http://:80/",
                               "http://x:/", "http://[::1/", "http://[::1]x/", "x"}) {
    EXPECT_FALSE(ParseListUrl(bad)) << bad;
  }
}

TEST(ResolveLocationTest, AbsoluteSchemeRelativeOriginRelativeAndRelative) {
  ListUrl from = *ParseListUrl("https://lists.lan:8443/a/b/list.txt?x=1");
  EXPECT_EQ(ResolveLocation(from, "http://mirror/x"), "http://mirror/x");
  EXPECT_EQ(ResolveLocation(from, "//mirror/x"), "https://mirror/x");
  EXPECT_EQ(ResolveLocation(from, "/x"), "https://lists.lan:8443/x");
  EXPECT_EQ(ResolveLocation(from, "y.txt"), "https://lists.lan:8443/a/b/y.txt");
  EXPECT_EQ(ResolveLocation(from, ""), "https://lists.lan:8443/a/b/");
  // "://" in a query does not make a reference absolute (RFC 3986 §4.2).
  EXPECT_EQ(ResolveLocation(from, "next?u=http://evil/"),
            "https://lists.lan:8443/a/b/next?u=http://evil/");
}

}  // namespace
}  // namespace vigie::dns
