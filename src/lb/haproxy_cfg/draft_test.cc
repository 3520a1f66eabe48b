// Tests for the reader's shared state: section names, which sides a draft
// has, and the bounded diagnostic log.
#include "lb/haproxy_cfg/draft.h"

#include <gtest/gtest.h>

namespace vigie::lb::haproxy_cfg::internal {
namespace {

TEST(SectionNameTest, EveryKind) {
  EXPECT_EQ(SectionName(SectionKind::kGlobal), "global");
  EXPECT_EQ(SectionName(SectionKind::kDefaults), "defaults");
  EXPECT_EQ(SectionName(SectionKind::kFrontend), "frontend");
  EXPECT_EQ(SectionName(SectionKind::kBackend), "backend");
  EXPECT_EQ(SectionName(SectionKind::kListen), "listen");
  EXPECT_EQ(SectionName(SectionKind::kOther), "other");
  EXPECT_EQ(SectionName(SectionKind::kNone), "none");
}

TEST(ProxyDraftTest, SidesFollowTheKind) {
  ProxyDraft d;
  d.kind = SectionKind::kListen;
  EXPECT_TRUE(d.HasFrontend() && d.HasBackend() && !d.IsDefaults());
  d.kind = SectionKind::kFrontend;
  EXPECT_TRUE(d.HasFrontend() && !d.HasBackend() && !d.IsDefaults());
  d.kind = SectionKind::kBackend;
  EXPECT_TRUE(!d.HasFrontend() && d.HasBackend() && !d.IsDefaults());
  d.kind = SectionKind::kDefaults;
  EXPECT_TRUE(!d.HasFrontend() && !d.HasBackend() && d.IsDefaults());
}

TEST(DiagnosticLogTest, RecordsInOrderWithTheFile) {
  DiagnosticLog log("h.cfg", 10);
  log.Add(3, Severity::kError, "late");
  log.Add(1, Severity::kIgnored, "early");
  log.Add(0, Severity::kWarning, "whole file");
  ASSERT_EQ(log.entries().size(), 3u);
  EXPECT_EQ(log.entries()[0].ToString(), "h.cfg:3: error: late");  // not sorted here
  EXPECT_EQ(log.entries()[1].ToString(), "h.cfg:1: ignored: early");
  EXPECT_EQ(log.entries()[2].ToString(), "h.cfg:0: warning: whole file");
  EXPECT_EQ(log.file(), "h.cfg");
  std::vector<Diagnostic> taken = log.Take();
  EXPECT_EQ(taken.size(), 3u);
}

TEST(DiagnosticLogTest, DropsPastItsBound) {
  DiagnosticLog log("h.cfg", 2);
  log.Add(1, Severity::kError, "a");
  log.Add(2, Severity::kError, "b");
  log.Add(3, Severity::kError, "c");
  ASSERT_EQ(log.entries().size(), 2u);
  EXPECT_EQ(log.entries()[1].text, "b");
  DiagnosticLog none("h.cfg", 0);
  none.Add(1, Severity::kError, "a");
  EXPECT_TRUE(none.entries().empty());
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg::internal
