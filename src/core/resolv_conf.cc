// resolv.conf and hosts-file parsing, after glibc's res_init.c and
// nss_files.
#include "core/resolv_conf.h"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace vigie {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Splits a line into words, stopping at a comment character.
std::vector<std::string_view> Words(std::string_view line, std::string_view comment_chars) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) {
      ++i;
    }
    if (i >= line.size() || comment_chars.find(line[i]) != std::string_view::npos) {
      break;
    }
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i]) &&
           comment_chars.find(line[i]) == std::string_view::npos) {
      ++i;
    }
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Calls f(line_number, line) for every line of `text`.
template <class F>
void ForEachLine(std::string_view text, F f) {
  int number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    f(++number, line);
  }
}

// "ndots:3" -> 3 clamped to [lo, hi]; false when `word` is not `key:n`.
bool OptionValue(std::string_view word, std::string_view key, int lo, int hi, int* out) {
  if (word.size() <= key.size() + 1 || word.substr(0, key.size()) != key ||
      word[key.size()] != ':') {
    return false;
  }
  std::string_view digits = word.substr(key.size() + 1);
  int v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return false;
  }
  *out = std::clamp(v, lo, hi);
  return true;
}

Result<std::string> ReadBounded(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::kNotFound, path + ": cannot open");
  }
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return Error(Errc::kIo, path + ": read error");
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return Error(Errc::kLimitExceeded,
                 path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

}  // namespace

std::string HostKey(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string key(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return key;
}

ResolvConf ParseResolvConf(std::string_view text) {
  ResolvConf conf;
  ForEachLine(text, [&conf](int, std::string_view line) {
    auto words = Words(line, "#;");
    if (words.empty()) {
      return;
    }
    if (words[0] == "nameserver" && words.size() >= 2) {
      if (conf.nameservers.size() >= kMaxResolvNameservers) {
        return;
      }
      auto ip = IpAddress::Parse(words[1]);  // a zone ("%eth0") does not parse: skipped
      if (!ip) {
        return;
      }
      Address a;
      a.host = ip->ToString();
      a.port = 53;
      conf.nameservers.push_back(std::move(a));
    } else if (words[0] == "search" || words[0] == "domain") {
      // Each of these lines replaces the list (res_init.c: the last one wins).
      conf.search.clear();
      for (size_t i = 1; i < words.size() && conf.search.size() < kMaxResolvSearch; ++i) {
        std::string key = HostKey(words[i]);
        if (!key.empty()) {
          conf.search.push_back(std::move(key));
        }
        if (words[0] == "domain") {
          break;
        }
      }
    } else if (words[0] == "options") {
      for (size_t i = 1; i < words.size(); ++i) {
        int v = 0;
        if (OptionValue(words[i], "ndots", 0, kMaxResolvNdots, &v)) {
          conf.ndots = v;
        } else if (OptionValue(words[i], "timeout", 1, kMaxResolvTimeoutSeconds, &v)) {
          conf.timeout = std::chrono::seconds(v);
        } else if (OptionValue(words[i], "attempts", 1, kMaxResolvAttempts, &v)) {
          conf.attempts = v;
        }
      }
    }
  });
  if (conf.nameservers.empty()) {
    Address loopback;
    loopback.host = "127.0.0.1";
    loopback.port = 53;
    conf.nameservers.push_back(std::move(loopback));
  }
  return conf;
}

ResolvConf LoadResolvConf(const std::string& path) {
  auto text = ReadBounded(path, kMaxResolvConfBytes);
  return ParseResolvConf(text ? std::string_view(*text) : std::string_view());
}

HostsTable HostsTable::Parse(std::string_view text, std::vector<std::string>* problems) {
  HostsTable table;
  ForEachLine(text, [&](int number, std::string_view line) {
    auto words = Words(line, "#");
    if (words.empty()) {
      return;
    }
    auto problem = [&](const std::string& what) {
      if (problems != nullptr) {
        problems->push_back("line " + std::to_string(number) + ": " + what);
      }
    };
    auto ip = IpAddress::Parse(words[0]);
    if (!ip) {
      problem("not an address: \"" + std::string(words[0]) + "\"");
      return;
    }
    if (words.size() < 2) {
      problem("an address without a name");
      return;
    }
    for (size_t i = 1; i < words.size(); ++i) {
      auto& list = table.names_[HostKey(words[i])];
      if (std::find(list.begin(), list.end(), *ip) == list.end()) {
        list.push_back(*ip);
      }
    }
  });
  return table;
}

Result<HostsTable> HostsTable::Load(const std::string& path, std::vector<std::string>* problems) {
  VIGIE_ASSIGN_OR_RETURN(std::string text, ReadBounded(path, kMaxHostsBytes));
  return Parse(text, problems);
}

const std::vector<IpAddress>* HostsTable::Find(std::string_view name) const {
  auto it = names_.find(HostKey(name));
  return it == names_.end() ? nullptr : &it->second;
}

}  // namespace vigie
