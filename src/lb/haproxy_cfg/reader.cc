// The reader's line loop and section state machine; see reader.h.
#include "lb/haproxy_cfg/reader.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "lb/haproxy_cfg/keywords.h"
#include "lb/haproxy_cfg/resolve.h"
#include "lb/haproxy_cfg/tokenizer.h"
#include "lb/haproxy_cfg/values.h"

namespace vigie::lb::haproxy_cfg::internal {

Reader::Reader(std::string_view file, const Limits& limits)
    : file_(file), limits_(limits), log_(file, limits.max_diagnostics) {
  defaults_ = InheritDraft(SectionKind::kDefaults, nullptr);
}

ParseOutput Reader::Run(std::string_view text) {
  if (text.size() > limits_.max_bytes) {
    Diag(0, Severity::kError,
         "file is larger than " + std::to_string(limits_.max_bytes) + " bytes");
    return ParseOutput{std::move(config_), log_.Take()};
  }
  int number = 0;
  std::size_t pos = 0;
  while (pos < text.size() && !stop_) {
    std::string_view raw = NextLine(text, pos);
    ++number;
    if (raw.size() > limits_.max_line_bytes) {
      Diag(number, Severity::kError,
           "line too long, limit is " + std::to_string(limits_.max_line_bytes) + " bytes");
      continue;
    }
    auto tokens = Tokenize(raw);
    if (!tokens) {
      Diag(number, Severity::kError, tokens.error().context());
      continue;
    }
    if (tokens->nbsp && nbsp_lines_++ == 0) {
      nbsp_first_line_ = number;
    }
    if (tokens->dollar_in_double_quotes) {
      Diag(number, Severity::kUnsupported,
           "environment variable expansion in double quotes is not performed; '$' kept literally");
    }
    if (tokens->words.size() > limits_.max_words) {
      Diag(number, Severity::kError,
           "too many words, truncating after word " + std::to_string(limits_.max_words));
      continue;
    }
    if (tokens->words.empty()) {
      continue;
    }
    const Line line{number, std::move(tokens->words)};
    const std::string& kw = line.words[0];
    if (InTable(KeywordTable::kSections, kw)) {
      StartSection(line);
      continue;
    }
    switch (section_) {
      case SectionKind::kNone:
        Diag(number, Severity::kError, "unknown keyword " + Quote(kw) + " out of section.");
        break;
      case SectionKind::kGlobal:
        OnGlobal(line);
        break;
      case SectionKind::kOther:
        ++other_section_lines_;
        break;
      default:
        OnProxy(line);
        break;
    }
  }
  StartSection(Line{});  // closes the last section
  if (nbsp_lines_ > 0) {
    Diag(nbsp_first_line_, Severity::kWarning,
         "non-breaking spaces (U+00A0) on " + std::to_string(nbsp_lines_) +
             " line(s) from here were read as blanks; haproxy itself rejects such lines "
             "(\"unknown keyword\")");
  }
  Resolve(std::move(proxies_), config_, log_);
  ParseOutput out{std::move(config_), log_.Take()};
  // Report in file order; same-line diagnostics keep their emission order.
  std::stable_sort(
      out.diagnostics.begin(), out.diagnostics.end(),
      [](const Diagnostic& a, const Diagnostic& b) { return a.where.line < b.where.line; });
  return out;
}

void Reader::StartSection(const Line& line) {
  // Close the section in progress.
  if (section_ == SectionKind::kOther && other_section_line_ > 0) {
    Diag(other_section_line_, Severity::kUnsupported,
         "section " + Quote(other_section_name_) + " is not supported; its " +
             std::to_string(other_section_lines_) + " line(s) were not read");
  }
  if (current_) {
    FinishProxy();
  }
  section_ = SectionKind::kNone;
  if (line.words.empty()) {
    return;
  }
  const std::string& kw = line.words[0];
  if (kw == "global") {
    section_ = SectionKind::kGlobal;
    if (line.words.size() > 1) {
      Diag(line.number, Severity::kError, "'global' section takes no argument");
    }
    return;
  }
  SectionKind kind = kw == "defaults"   ? SectionKind::kDefaults
                     : kw == "frontend" ? SectionKind::kFrontend
                     : kw == "backend"  ? SectionKind::kBackend
                     : kw == "listen"   ? SectionKind::kListen
                                        : SectionKind::kOther;
  if (kind == SectionKind::kOther) {
    section_ = kind;
    other_section_line_ = line.number;
    other_section_lines_ = 0;
    other_section_name_ = kw;
    return;
  }
  section_ = kind;
  if (proxies_.size() >= limits_.max_proxies) {
    Diag(line.number, Severity::kError,
         "too many proxies, limit is " + std::to_string(limits_.max_proxies));
    stop_ = true;
    return;
  }
  std::size_t i = 1;
  std::string name;
  if (i < line.words.size() && line.words[i] != "from") {
    name = line.words[i++];
  }
  if (kind != SectionKind::kDefaults && name.empty()) {
    Diag(line.number, Severity::kError, Quote(kw) + " expects <name> as an argument");
    section_ = SectionKind::kOther;
    other_section_line_ = 0;
    return;
  }
  if (!name.empty()) {
    bool valid = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
             c == ':';
    });
    if (!valid) {
      Diag(line.number, Severity::kError,
           "character in " + Quote(name) + " is not permitted in " + std::string(kw) +
               " name (letters, digits, '-', '_', '.', ':')");
    }
  }
  const ProxyDraft* base = &defaults_;
  if (i < line.words.size() && line.words[i] == "from") {
    if (i + 1 >= line.words.size()) {
      Diag(line.number, Severity::kError, "'from' expects the name of a defaults section");
    } else {
      auto it = named_defaults_.find(line.words[i + 1]);
      if (it == named_defaults_.end()) {
        Diag(line.number, Severity::kError,
             "defaults section " + Quote(line.words[i + 1]) + " not found for " + std::string(kw) +
                 " " + Quote(name));
      } else {
        base = &it->second;
      }
    }
    i += 2;
  } else if (kind == SectionKind::kListen && i < line.words.size()) {
    // Old syntax: `listen name addr:port`.
    Diag(line.number, Severity::kUnsupported,
         "address on the 'listen' line is not read; use a 'bind' line");
    ++i;
  }
  if (i < line.words.size()) {
    Diag(line.number, Severity::kError, "unexpected argument " + Quote(line.words[i]));
  }
  // A defaults section without `from` starts from the built-in values.
  bool builtin = kind == SectionKind::kDefaults && base == &defaults_;
  ProxyDraft draft = InheritDraft(kind, builtin ? nullptr : base);
  draft.name = name;
  draft.where = SourceLocation{file_, line.number};
  current_ = std::move(draft);
}

void Reader::FinishProxy() {
  ProxyDraft draft = std::move(*current_);
  current_.reset();
  if (draft.IsDefaults()) {
    if (!draft.name.empty()) {
      named_defaults_[draft.name] = draft;
    }
    defaults_ = std::move(draft);
    return;
  }
  if (draft.http_mode_at && !draft.monitor_uri.empty() && draft.kind == SectionKind::kFrontend &&
      draft.default_backend.empty() && draft.use_backends.empty()) {
    Diag(draft.http_mode_at->line, Severity::kWarning,
         "'mode http' in frontend " + Quote(draft.name) +
             ": vigie answers its monitor-uri only (it balances TCP)");
  } else if (draft.http_mode_at) {
    Diag(draft.http_mode_at->line, Severity::kUnsupported,
         "'mode http' in " + std::string(SectionName(draft.kind)) + " " + Quote(draft.name) +
             " is not supported; vigie balances TCP only");
  }
  proxies_.push_back(std::move(draft));
}

std::optional<Millis> Reader::TimeArg(const Line& line, std::size_t i, std::string_view what) {
  if (i >= line.words.size()) {
    Diag(line.number, Severity::kError,
         Quote(what) + " expects an integer value (in milliseconds)");
    return std::nullopt;
  }
  auto t = ParseTime(line.words[i]);
  if (!t) {
    Diag(line.number, Severity::kError, t.error().context() + " to " + Quote(what));
    return std::nullopt;
  }
  return *t;
}

}  // namespace vigie::lb::haproxy_cfg::internal
