// hosts-file parsing for the proxy's resolver.
#include "egress/proxy/hosts.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include "egress/acl/acl.h"

namespace vigie::egress::proxy {

Result<HostsTable> HostsTable::Parse(std::string_view text) {
  HostsTable table;
  int line_number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_number;
    if (size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    std::vector<std::string_view> words;
    size_t pos = 0;
    while (pos < line.size()) {
      size_t b = line.find_first_not_of(" \t\r", pos);
      if (b == std::string_view::npos)
        break;
      size_t e = line.find_first_of(" \t\r", b);
      if (e == std::string_view::npos)
        e = line.size();
      words.push_back(line.substr(b, e - b));
      pos = e;
    }
    if (words.empty())
      continue;
    auto address = IpAddress::Parse(words[0]);
    if (!address) {
      return Error(Errc::kInvalidArgument, "line " + std::to_string(line_number) +
                                               ": not an address: \"" + std::string(words[0]) +
                                               "\"");
    }
    if (words.size() < 2) {
      return Error(Errc::kInvalidArgument,
                   "line " + std::to_string(line_number) + ": address without a name");
    }
    for (size_t i = 1; i < words.size(); ++i)
      table.names_[NormalizeAclHost(words[i])].push_back(address->Unmapped());
  }
  return table;
}

Result<HostsTable> HostsTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(Errc::kNotFound, "cannot read hosts file " + path);
  std::string text;
  text.resize(kMaxHostsFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxHostsFileBytes)
    return Error(Errc::kLimitExceeded, "hosts file " + path + " is larger than 16 MiB");
  auto table = Parse(text);
  if (!table)
    return Error(table.error().code(), path + ": " + table.error().context());
  return table;
}

const std::vector<IpAddress>* HostsTable::Find(std::string_view name) const {
  auto it = names_.find(NormalizeAclHost(name));
  return it == names_.end() ? nullptr : &it->second;
}

}  // namespace vigie::egress::proxy
