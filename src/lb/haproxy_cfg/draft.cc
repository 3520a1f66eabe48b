// Section names and the bounded diagnostic log; see draft.h.
#include "lb/haproxy_cfg/draft.h"

#include <utility>

namespace vigie::lb::haproxy_cfg::internal {

std::string_view SectionName(SectionKind k) {
  switch (k) {
    case SectionKind::kGlobal:
      return "global";
    case SectionKind::kDefaults:
      return "defaults";
    case SectionKind::kFrontend:
      return "frontend";
    case SectionKind::kBackend:
      return "backend";
    case SectionKind::kListen:
      return "listen";
    case SectionKind::kOther:
      return "other";
    case SectionKind::kNone:
      break;
  }
  return "none";
}

void DiagnosticLog::Add(int line, Severity severity, std::string text) {
  if (entries_.size() >= max_) {
    return;
  }
  entries_.push_back({SourceLocation{file_, line}, severity, std::move(text)});
}

}  // namespace vigie::lb::haproxy_cfg::internal
