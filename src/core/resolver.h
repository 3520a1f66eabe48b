// The one DNS client: an asynchronous stub resolver for host addresses. It
// reads the hosts file first (glibc's "files dns"), then asks recursive
// servers (given, or /etc/resolv.conf's) over UDP, and over TCP when an
// answer is truncated. It never calls getaddrinfo.
//
// Against spoofing: query IDs and UDP source ports come from getrandom(2);
// an answer counts only when its ID, question (name case-insensitively, type,
// class) and QR bit match, and anything else is dropped while the wait goes
// on; only records owned by the question name or a CNAME target reached from
// it in the same answer are used.
//
// Thread rules: a Resolver may be shared by coroutines on any number of
// io_contexts. Each lookup opens its sockets on the executor of the
// coroutine that awaits it; the hosts table and the cache are behind a
// mutex; the options are fixed at construction. The Resolver must outlive
// its lookups.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/ip.h"
#include "core/net.h"
#include "core/resolv_conf.h"
#include "core/units.h"

namespace vigie {

// Why a lookup failed (category "resolver"); Error::context() says for which
// name and from which server.
enum class ResolveErrc {
  kOk = 0,
  kNxDomain = 1,   // the name does not exist (rcode NXDOMAIN)
  kNoData,         // the name exists without an address of the family asked
  kTimeout,        // no acceptable answer before the lookup's deadline
  kServerFailure,  // every server failed (SERVFAIL, REFUSED, ...), or a CNAME chain too long
  kBadName,        // not a domain name
};
const std::error_category& ResolverCategory();
std::error_code make_error_code(ResolveErrc e);  // NOLINT(readability-identifier-naming): ADL hook

enum class LookupFamily { kV4, kV6, kAny };

struct ResolverOptions {
  // Recursive servers asked, in order. Empty: the nameservers of
  // `resolv_conf` (127.0.0.1:53 when it names none), with its search list,
  // ndots, timeout and attempts. Both empty: no DNS at all, only the hosts
  // file (glibc's "hosts: files"); other names fail with kNxDomain.
  std::vector<Address> servers;
  std::string resolv_conf = "/etc/resolv.conf";  // read once, by the constructor
  // Consulted before any server, checked for changes (mtime, size) on each
  // lookup. Empty: no hosts file.
  std::string hosts_file = "/etc/hosts";
  // A table the caller already loaded (and validated), used instead of
  // `hosts_file` and never re-read: a component whose hosts file changes
  // only with its configuration. Null: `hosts_file` as above.
  std::shared_ptr<const HostsTable> hosts;
  // With `servers` given: the search list and ndots (resolv.conf's otherwise).
  std::vector<std::string> search;
  int ndots = 1;
  // The deadline of one lookup, all servers, tries and CNAME re-queries
  // included.
  Duration timeout = std::chrono::seconds(5);
  // How long one server is waited for, per try; every server is tried
  // `attempts` times in turn (resolv.conf's timeout and attempts when
  // `servers` is empty). Always bounded by the lookup's deadline.
  Duration try_timeout = std::chrono::seconds(2);
  int attempts = 2;
  // The cache: at most `cache_entries` (name, type) answers; positive ones
  // live their smallest TTL clamped to [min_ttl, max_ttl], NXDOMAIN / NODATA
  // live `negative_ttl`. 0 entries: no cache.
  size_t cache_entries = 512;
  Duration min_ttl = std::chrono::seconds(0);
  Duration max_ttl = std::chrono::hours(1);
  Duration negative_ttl = std::chrono::seconds(5);
  // The TTL reported for an answer from the hosts file or an IP literal.
  Duration local_ttl = std::chrono::seconds(60);
  // Time for the cache; nullptr: SystemClock. Deadlines use real time.
  const Clock* clock = nullptr;
};

// Where an answer came from.
enum class AnswerSource { kLiteral, kHosts, kCache, kServer };

struct HostAddresses {
  // IPv4 addresses first, then IPv6, each in answer order, no duplicates.
  std::vector<IpAddress> addresses;
  // How long the answer may be used: the smallest TTL of the records that
  // made it (CNAMEs included), clamped; what is left of it for a cached
  // answer; ResolverOptions::local_ttl for hosts and literals.
  Duration ttl{};
  AnswerSource source = AnswerSource::kServer;
  // The server that answered ("10.0.0.1:53"), empty for local answers.
  std::string server;
};

// Bounds (RFC 1035 §4.2.1, RFC 6891 §6.2.5, RFC 7766 §8).
inline constexpr size_t kResolverUdpMessage = 4096;  // received over UDP (EDNS)
inline constexpr uint16_t kResolverEdnsSize = 1232;  // advertised in OPT
inline constexpr size_t kResolverTcpMessage = 65535;
inline constexpr int kMaxCnameHops = 8;
inline constexpr int kMaxCnameRequeries = 3;

class Resolver {
 public:
  explicit Resolver(ResolverOptions options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The addresses of `name` ("www.example.com", absolute with a trailing
  // dot or not) of `family`: an IP literal answers at once; then the hosts
  // file (if it holds an address of that family); then the cache; then the
  // servers, with the search list applied as glibc does (fewer dots than
  // ndots: the search domains first). kAny asks A and AAAA at once and
  // succeeds when either has addresses. Errors: ResolveErrc, with a context
  // naming the name and the server. `timeout` overrides options.timeout.
  net::Awaitable<Result<HostAddresses>> Lookup(std::string name, LookupFamily family,
                                               std::optional<Duration> timeout = std::nullopt);

  // The same on a private io_context, blocking the calling thread at most
  // the lookup's deadline (start-up and reload paths that cannot await).
  Result<HostAddresses> LookupBlocking(const std::string& name, LookupFamily family,
                                       std::optional<Duration> timeout = std::nullopt);

  // What the resolver uses after defaults and resolv.conf.
  const std::vector<Address>& servers() const { return servers_; }
  const std::vector<std::string>& search() const { return search_; }
  int ndots() const { return ndots_; }
  Duration try_timeout() const { return try_timeout_; }
  int attempts() const { return attempts_; }
  size_t cache_size() const;

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  // The answer for one (name, type).
  struct Answer {
    std::vector<IpAddress> addresses;
    Duration ttl{};
    std::string server;
    bool cached = false;
  };
  // A positive answer, or a negative one (NXDOMAIN / NODATA) by its error.
  struct CacheEntry {
    std::optional<Answer> answer;
    Error error;
    std::chrono::steady_clock::time_point expires;
  };
  // A reply that passed the matching rules, and who sent it.
  struct Reply;

  net::Awaitable<Result<Answer>> LookupType(std::string key, uint16_t qtype, Deadline deadline);
  net::Awaitable<Result<Answer>> QueryChain(std::string key, uint16_t qtype, Deadline deadline);
  net::Awaitable<Result<Reply>> Exchange(std::string key, uint16_t qtype, Deadline deadline);
  net::Awaitable<Result<HostAddresses>> LookupName(std::string key, LookupFamily family,
                                                   Deadline deadline);
  std::optional<Result<HostAddresses>> FromHosts(const std::string& key, LookupFamily family);
  std::optional<Result<Answer>> FromCache(const std::string& key, uint16_t qtype);
  void Store(const std::string& key, uint16_t qtype, const Result<Answer>& answer);
  std::vector<std::string> Candidates(const std::string& key, bool absolute) const;

  const ResolverOptions options_;
  const Clock& clock_;
  std::vector<Address> servers_;
  std::vector<std::string> search_;
  int ndots_ = 1;
  Duration try_timeout_;
  int attempts_ = 2;

  mutable std::mutex mu_;
  // Guarded by mu_:
  std::shared_ptr<const HostsTable> hosts_;
  int64_t hosts_mtime_ns_ = -1;
  int64_t hosts_size_ = -1;
  std::unordered_map<std::string, CacheEntry> cache_;  // key: type + '/' + name key
};

}  // namespace vigie

template <>
struct std::is_error_code_enum<vigie::ResolveErrc> : std::true_type {};
