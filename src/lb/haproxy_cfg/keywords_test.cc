// Tests for the keyword tables: exact lookup, and the invariants the section
// handlers rely on (no duplicates, ignored keywords are known ones, flags and
// keywords with an argument apart, what vigie carries over is in no table).
#include "lb/haproxy_cfg/keywords.h"

#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace vigie::lb::haproxy_cfg::internal {
namespace {

constexpr KeywordTable kAllTables[] = {
    KeywordTable::kSections,          KeywordTable::kGlobalIgnored,    KeywordTable::kGlobalKnown,
    KeywordTable::kProxyIgnored,      KeywordTable::kProxyUnsupported, KeywordTable::kOptionIgnored,
    KeywordTable::kOptionUnsupported, KeywordTable::kServerFlags,      KeywordTable::kServerWithArg,
    KeywordTable::kServerIgnored,     KeywordTable::kBindFlags,        KeywordTable::kBindWithArg,
    KeywordTable::kBindIgnored};

TEST(KeywordsTest, LookupIsExactAndCaseSensitive) {
  EXPECT_TRUE(InTable(KeywordTable::kGlobalIgnored, "chroot"));
  EXPECT_FALSE(InTable(KeywordTable::kGlobalIgnored, "Chroot"));
  EXPECT_FALSE(InTable(KeywordTable::kGlobalIgnored, "chroo"));
  EXPECT_FALSE(InTable(KeywordTable::kGlobalIgnored, "chroot "));
  EXPECT_FALSE(InTable(KeywordTable::kGlobalIgnored, ""));
  EXPECT_TRUE(InTable(KeywordTable::kGlobalKnown, "lua-load"));
  EXPECT_TRUE(InTable(KeywordTable::kProxyIgnored, "errorfile"));
  EXPECT_TRUE(InTable(KeywordTable::kProxyUnsupported, "acl"));
  EXPECT_TRUE(InTable(KeywordTable::kOptionIgnored, "contstats"));
  EXPECT_TRUE(InTable(KeywordTable::kOptionUnsupported, "ssl-hello-chk"));
  EXPECT_TRUE(InTable(KeywordTable::kServerFlags, "check"));
  EXPECT_TRUE(InTable(KeywordTable::kServerWithArg, "weight"));
  EXPECT_FALSE(InTable(KeywordTable::kServerFlags, "weight"));
  EXPECT_TRUE(InTable(KeywordTable::kServerIgnored, "check-alpn"));
  EXPECT_FALSE(InTable(KeywordTable::kServerIgnored, "check-sni"));  // carried over
  EXPECT_TRUE(InTable(KeywordTable::kBindFlags, "accept-proxy"));
  EXPECT_TRUE(InTable(KeywordTable::kBindWithArg, "crt"));
  EXPECT_TRUE(InTable(KeywordTable::kBindIgnored, "backlog"));
  EXPECT_FALSE(InTable(KeywordTable::kBindIgnored, "accept-proxy"));
}

TEST(KeywordsTest, SectionHeaders) {
  for (const char* s :
       {"global", "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist",
        "mailers", "program", "http-errors", "ring", "cache", "fcgi-app", "crt-store"}) {
    EXPECT_TRUE(InTable(KeywordTable::kSections, s)) << s;
  }
  EXPECT_EQ(KeywordsOf(KeywordTable::kSections).size(), 15u);
  EXPECT_FALSE(InTable(KeywordTable::kSections, "server"));
  EXPECT_FALSE(InTable(KeywordTable::kSections, "Global"));
}

TEST(KeywordsTest, EveryTableIsNonEmptyWithoutDuplicates) {
  for (KeywordTable t : kAllTables) {
    auto words = KeywordsOf(t);
    EXPECT_FALSE(words.empty()) << static_cast<int>(t);
    std::set<std::string> seen;
    for (const char* w : words) {
      EXPECT_TRUE(seen.insert(w).second)
          << "duplicate '" << w << "' in table " << static_cast<int>(t);
      EXPECT_TRUE(InTable(t, w)) << w;
    }
  }
}

// The handlers read an ignored server or bind keyword's argument by whether
// it is in the with-argument table, so every ignored one must be in exactly
// one of the two.
TEST(KeywordsTest, IgnoredServerAndBindKeywordsAreKnownExactlyOnce) {
  const std::pair<KeywordTable, std::pair<KeywordTable, KeywordTable>> groups[] = {
      {KeywordTable::kServerIgnored, {KeywordTable::kServerFlags, KeywordTable::kServerWithArg}},
      {KeywordTable::kBindIgnored, {KeywordTable::kBindFlags, KeywordTable::kBindWithArg}}};
  for (const auto& [ignored, known] : groups) {
    for (const char* w : KeywordsOf(ignored)) {
      EXPECT_NE(InTable(known.first, w), InTable(known.second, w)) << w;
    }
  }
}

TEST(KeywordsTest, FlagsAndKeywordsWithArgumentAreApart) {
  for (const char* w : KeywordsOf(KeywordTable::kServerFlags)) {
    EXPECT_FALSE(InTable(KeywordTable::kServerWithArg, w)) << w;
  }
  for (const char* w : KeywordsOf(KeywordTable::kBindFlags)) {
    EXPECT_FALSE(InTable(KeywordTable::kBindWithArg, w)) << w;
  }
}

TEST(KeywordsTest, IgnoredAndUnsupportedAreApart) {
  const std::pair<KeywordTable, KeywordTable> pairs[] = {
      {KeywordTable::kGlobalIgnored, KeywordTable::kGlobalKnown},
      {KeywordTable::kProxyIgnored, KeywordTable::kProxyUnsupported},
      {KeywordTable::kOptionIgnored, KeywordTable::kOptionUnsupported}};
  for (const auto& [ignored, unsupported] : pairs) {
    for (const char* w : KeywordsOf(ignored)) {
      EXPECT_FALSE(InTable(unsupported, w)) << w;
    }
  }
}

// What vigie carries over must not be listed as ignored or unsupported (the
// tables document what vigie does not do).
TEST(KeywordsTest, CarriedOverKeywordsAreInNoIgnoredOrUnsupportedTable) {
  for (const char* w : {"maxconn", "nbthread", "stats", "nosplice", "tune.maxaccept",
                        "tune.listener.multi-queue"}) {
    EXPECT_FALSE(InTable(KeywordTable::kGlobalIgnored, w)) << w;
    EXPECT_FALSE(InTable(KeywordTable::kGlobalKnown, w)) << w;
  }
  for (const char* w : {"mode", "bind", "server", "default-server", "balance", "hash-type",
                        "option", "timeout", "maxconn", "retries", "fullconn", "monitor-uri",
                        "default_backend", "use_backend", "http-check"}) {
    EXPECT_FALSE(InTable(KeywordTable::kProxyIgnored, w)) << w;
    EXPECT_FALSE(InTable(KeywordTable::kProxyUnsupported, w)) << w;
  }
  for (const char* w : {"log-health-checks", "tcplog", "dontlognull", "tcpka", "clitcpka",
                        "srvtcpka", "splice-auto", "splice-request", "splice-response",
                        "allbackups", "redispatch", "httpchk"}) {
    EXPECT_FALSE(InTable(KeywordTable::kOptionIgnored, w)) << w;
    EXPECT_FALSE(InTable(KeywordTable::kOptionUnsupported, w)) << w;
  }
  for (const char* w : {"check",      "check-ssl",     "verify",    "ca-file",  "weight",
                        "maxconn",    "maxqueue",      "backup",    "disabled", "slowstart",
                        "inter",      "fastinter",     "downinter", "rise",     "fall",
                        "send-proxy", "send-proxy-v2", "port",      "id",       "on-marked-down"}) {
    EXPECT_FALSE(InTable(KeywordTable::kServerIgnored, w)) << w;
  }
  EXPECT_FALSE(InTable(KeywordTable::kBindIgnored, "accept-proxy"));
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg::internal
