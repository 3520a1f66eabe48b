// The stub resolver's two local sources, parsed without touching the
// network: /etc/resolv.conf (nameservers, search list, options) and an
// /etc/hosts-format table, both read the way glibc reads them.
//
// Thread rules: pure functions and immutable values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ip.h"
#include "core/units.h"

namespace vigie {

// glibc's bounds (resolv.h: MAXNS, MAXDNSRCH; res_init.c caps the options).
inline constexpr size_t kMaxResolvNameservers = 3;
inline constexpr size_t kMaxResolvSearch = 6;
inline constexpr int kMaxResolvNdots = 15;
inline constexpr int kMaxResolvTimeoutSeconds = 30;
inline constexpr int kMaxResolvAttempts = 5;
inline constexpr size_t kMaxResolvConfBytes = 64 * 1024;
inline constexpr size_t kMaxHostsBytes = 16 * 1024 * 1024;

struct ResolvConf {
  // `nameserver` lines, port 53, at most kMaxResolvNameservers, in file
  // order. Addresses with a zone ("fe80::1%eth0") are skipped. When the file
  // names none, 127.0.0.1:53, as glibc.
  std::vector<Address> nameservers;
  // `search` (or `domain`, whichever comes last), lowercased, without the
  // trailing dot, at most kMaxResolvSearch.
  std::vector<std::string> search;
  int ndots = 1;                               // options ndots:n (0..15)
  Duration timeout = std::chrono::seconds(5);  // options timeout:n, per try (1..30 s)
  int attempts = 2;                            // options attempts:n (1..5)
};

// Parses the text of a resolv.conf. Never fails: like glibc, lines it does
// not understand are ignored ('#' and ';' start comments).
ResolvConf ParseResolvConf(std::string_view text);

// Reads and parses `path` (at most kMaxResolvConfBytes). A missing or
// unreadable file gives the defaults (127.0.0.1:53), as glibc.
ResolvConf LoadResolvConf(const std::string& path);

// An /etc/hosts-format table: "address name [alias...]" lines, '#' comments.
class HostsTable {
 public:
  // Parses the text of a hosts file. Lines that are not "address name..."
  // are skipped, as glibc skips them; each skipped line is described in
  // *problems ("line 3: not an address: \"10.0.0\"") when it is given, so a
  // caller loading a configured file can refuse it. Names are compared
  // case-insensitively with one trailing dot ignored; addresses keep file
  // order per name, without duplicates.
  static HostsTable Parse(std::string_view text, std::vector<std::string>* problems = nullptr);
  // Reads and parses a file (at most kMaxHostsBytes). Errors: kNotFound,
  // kIo, kLimitExceeded, naming the path.
  static Result<HostsTable> Load(const std::string& path,
                                 std::vector<std::string>* problems = nullptr);

  // The addresses for `name`, or nullptr.
  const std::vector<IpAddress>* Find(std::string_view name) const;
  size_t size() const { return names_.size(); }

 private:
  std::map<std::string, std::vector<IpAddress>, std::less<>> names_;
};

// `name` lowercased (ASCII) without one trailing dot: the key both tables
// and the resolver's cache use.
std::string HostKey(std::string_view name);

}  // namespace vigie
