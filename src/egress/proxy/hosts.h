// The resolver's static table: an /etc/hosts-format file ("address name
// [alias...]", '#' comments) read into a name -> addresses map, so a proxy
// can resolve without the machine's resolver (tests, pinned destinations).
//
// Thread rules: immutable after parsing; share as shared_ptr<const HostsTable>.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ip.h"

namespace vigie::egress::proxy {

inline constexpr size_t kMaxHostsFileBytes = 16 * 1024 * 1024;

class HostsTable {
 public:
  // Parses the text of a hosts file. Names are compared case-insensitively,
  // with one trailing dot ignored; addresses keep file order per name.
  // Errors (Errc::kInvalidArgument) name the line: "line 3: not an address: \"10.0.0\"".
  static Result<HostsTable> Parse(std::string_view text);
  // Reads and parses a file (at most kMaxHostsFileBytes).
  static Result<HostsTable> Load(const std::string& path);

  // The addresses for `name`, or an empty span.
  const std::vector<IpAddress>* Find(std::string_view name) const;
  size_t size() const { return names_.size(); }

 private:
  std::map<std::string, std::vector<IpAddress>, std::less<>> names_;
};

}  // namespace vigie::egress::proxy
