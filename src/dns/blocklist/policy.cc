// Policy decisions and their explanations.
#include "dns/blocklist/policy.h"

#include "core/check.h"

namespace vigie::dns {

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kNone:
      return "none";
    case Verdict::kLocal:
      return "local";
    case Verdict::kAllowed:
      return "allowed";
    case Verdict::kBlocked:
      return "blocked";
  }
  return "unknown";
}

Decision Policy::Decide(std::string_view name) const {
  Decision d;
  if (!local_.empty()) {
    auto key = NormalizeDomain(name);
    if (key) {
      if (auto it = local_.find(*key); it != local_.end()) {
        d.verdict = Verdict::kLocal;
        d.local = &it->second;
        return d;
      }
    }
  }
  if (auto r = allowed_.Match(name)) {
    d.verdict = Verdict::kAllowed;
    d.rule = r;
  } else if (auto b = blocked_.Match(name)) {
    d.verdict = Verdict::kBlocked;
    d.rule = b;
  }
  if (d.rule && d.rule->list < lists_.size()) {
    d.list = &lists_[d.rule->list];
  }
  return d;
}

Decision Policy::Decide(const Name& name) const {
  // One key buffer per thread: deciding a query allocates nothing once the
  // buffer has grown (Decide(string_view) keeps no reference to it).
  thread_local std::string key;
  key.clear();
  name.AppendKey(&key);
  return Decide(std::string_view(key));
}

std::string Policy::Explain(std::string_view name, const Decision& d) const {
  std::string out(name);
  switch (d.verdict) {
    case Verdict::kNone:
      return out + ": no rule matches; forwarded upstream";
    case Verdict::kLocal:
      return out + ": answered from " + std::to_string(d.local->size()) + " local record(s)";
    case Verdict::kAllowed:
      out += ": allowed by ";
      break;
    case Verdict::kBlocked:
      out += ": blocked by ";
      break;
  }
  const RuleRef& r = *d.rule;
  out += "list \"" + (d.list != nullptr ? d.list->id : std::to_string(r.list)) + "\"";
  if (d.list != nullptr && !d.list->source.empty()) {
    out += " (" + d.list->source + ")";
  }
  out += " line " + std::to_string(r.line) + ": ";
  out += r.scope == RuleScope::kSubtree ? "subtree " : "exact ";
  out += std::string(FormatName(r.format)) + " rule for \"" + std::string(r.name) + "\"";
  if (r.answer != BlockAnswer::kDefault) {
    out += ", answer " + std::string(BlockAnswerName(r.answer));
  }
  return out;
}

uint16_t PolicyBuilder::AddList(ListInfo info) {
  VIGIE_CHECK(policy_.lists_.size() < 0xFFFF, "more than 65535 lists");
  policy_.lists_.push_back(std::move(info));
  return static_cast<uint16_t>(policy_.lists_.size() - 1);
}

void PolicyBuilder::AddRule(uint16_t list, const ParsedRule& rule) {
  (rule.action == RuleAction::kAllow ? allowed_ : blocked_).Add(rule, list);
}

ParseReport PolicyBuilder::AddListText(uint16_t list, std::string_view text,
                                       const ParseOptions& options,
                                       std::optional<RuleAction> force_action) {
  // A rough size hint (one rule per ~30 octets) avoids most rehashes.
  blocked_.Reserve(blocked_.size() + text.size() / 30);
  return ParseList(text, options, [&](const ParsedRule& rule) {
    if (force_action) {
      ParsedRule copy = rule;
      copy.action = *force_action;
      AddRule(list, copy);
    } else {
      AddRule(list, rule);
    }
  });
}

Result<void> PolicyBuilder::AddLocalRecord(std::string_view name, LocalRecord record) {
  VIGIE_ASSIGN_OR_RETURN(std::string key, NormalizeDomain(name));
  policy_.local_[key].push_back(std::move(record));
  return {};
}

Policy PolicyBuilder::Build() && {
  policy_.blocked_ = std::move(blocked_).Build();
  policy_.allowed_ = std::move(allowed_).Build();
  Policy out = std::move(policy_);
  policy_ = Policy();
  return out;
}

}  // namespace vigie::dns
