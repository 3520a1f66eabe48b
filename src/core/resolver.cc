// The stub resolver: hosts file, cache, UDP with TCP on truncation, CNAME
// chains, search list.
#include "core/resolver.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>

#include <boost/asio/write.hpp>
#include <sys/random.h>
#include <sys/stat.h>

#include "core/dns/message.h"
#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"

namespace vigie {
namespace {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using net::udp;
using SteadyClock = std::chrono::steady_clock;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "resolver"; }
  std::string message(int c) const override {
    switch (static_cast<ResolveErrc>(c)) {
      case ResolveErrc::kOk:
        return "ok";
      case ResolveErrc::kNxDomain:
        return "no such name (NXDOMAIN)";
      case ResolveErrc::kNoData:
        return "no address of that family (NODATA)";
      case ResolveErrc::kTimeout:
        return "no answer in time";
      case ResolveErrc::kServerFailure:
        return "server failure";
      case ResolveErrc::kBadName:
        return "not a domain name";
    }
    return "unknown resolver error";
  }
};

// Random bits from the kernel's CSPRNG (query IDs, source ports).
uint32_t RandomU32() {
  uint32_t v = 0;
  if (getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) {
    return v;
  }
  return arc4random();  // glibc's, itself over getrandom; only if the call was interrupted
}

// The kernel's ephemeral port range, read once; the source ports of queries
// are drawn from it so they never take a port a service is configured on.
std::pair<uint16_t, uint16_t> EphemeralPorts() {
  static const std::pair<uint16_t, uint16_t> range = [] {
    std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
    int lo = 0;
    int hi = 0;
    if (in >> lo >> hi && lo >= 1024 && hi <= 65535 && lo < hi) {
      return std::pair<uint16_t, uint16_t>(static_cast<uint16_t>(lo), static_cast<uint16_t>(hi));
    }
    return std::pair<uint16_t, uint16_t>(32768, 60999);
  }();
  return range;
}

// A UDP socket connected to `server` (so the kernel drops datagrams from any
// other address or port) from a source port drawn with getrandom. A port in
// use is redrawn; after 8 draws the kernel picks one (bind to port 0).
Result<udp::socket> OpenUdp(const asio::any_io_executor& ex, const udp::endpoint& server) {
  udp::socket s(ex);
  boost::system::error_code ec;
  s.open(server.protocol(), ec);
  if (ec) {
    return Error(Errc::kIo, "socket: " + ec.message());
  }
  auto any = server.protocol() == udp::v4() ? asio::ip::address(asio::ip::address_v4::any())
                                            : asio::ip::address(asio::ip::address_v6::any());
  auto [lo, hi] = EphemeralPorts();
  bool bound = false;
  for (int i = 0; i < 8 && !bound; ++i) {
    auto port = static_cast<uint16_t>(lo + RandomU32() % (static_cast<uint32_t>(hi - lo) + 1));
    s.bind(udp::endpoint(any, port), ec);
    bound = !ec;
  }
  if (!bound) {
    s.bind(udp::endpoint(any, 0), ec);
    if (ec) {
      return Error(Errc::kIo, "bind: " + ec.message());
    }
  }
  s.connect(server, ec);
  if (ec) {
    return Error(Errc::kUnavailable, "connect: " + ec.message());
  }
  return s;
}

dns::Message MakeQuery(const dns::Name& name, uint16_t qtype) {
  dns::Message m;
  m.header.id = static_cast<uint16_t>(RandomU32());
  m.header.rd = true;
  m.questions.push_back(dns::Question{name, qtype, dns::rr_class::kIn});
  dns::Edns edns;
  edns.udp_size = kResolverEdnsSize;
  m.edns = edns;
  return m;
}

// An answer is the one we wait for only with our ID, QR set, and our
// question (RFC 5452 §9.1: name case-insensitively, type and class).
bool Matches(const dns::Message& reply, const dns::Message& query) {
  return reply.header.qr && reply.header.id == query.header.id &&
         reply.header.opcode == dns::opcode::kQuery && reply.questions.size() == 1 &&
         reply.questions[0] == query.questions[0];
}

Error Timeout(const std::string& where) {
  return Error(ResolveErrc::kTimeout, where + ": no answer in time");
}

net::Awaitable<Result<dns::Message>> QueryUdp(udp::endpoint server, const dns::Message& query,
                                              SteadyClock::time_point until) {
  auto ex = co_await asio::this_coro::executor;
  VIGIE_CO_ASSIGN_OR_RETURN(udp::socket sock, OpenUdp(ex, server));
  std::vector<std::byte> out;
  dns::Encode(query, &out);
  asio::steady_timer timer(ex);
  timer.expires_at(until);
  auto s = co_await (sock.async_send(asio::buffer(out.data(), out.size()), kUseTuple) ||
                     timer.async_wait(kUseTuple));
  if (s.index() == 1) {
    co_return Timeout("udp send");
  }
  if (auto [ec, n] = std::get<0>(s); ec) {
    co_return Error(Errc::kUnavailable, "udp send: " + ec.message());
  }
  dns::Limits limits;
  limits.max_message_size = kResolverUdpMessage;
  std::vector<std::byte> in(kResolverUdpMessage);
  for (;;) {
    auto r = co_await (sock.async_receive(asio::buffer(in.data(), in.size()), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return Timeout("udp");
    }
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      // ICMP port unreachable surfaces here as connection_refused.
      co_return Error(Errc::kUnavailable, "udp receive: " + ec.message());
    }
    auto reply = dns::DecodeMessage(std::span<const std::byte>(in.data(), n), limits);
    if (!reply || !Matches(*reply, query)) {
      continue;  // not ours (spoofed, late or garbled): keep waiting for ours
    }
    co_return std::move(*reply);
  }
}

net::Awaitable<Result<dns::Message>> QueryTcp(tcp::endpoint server, const dns::Message& query,
                                              SteadyClock::time_point until) {
  auto ex = co_await asio::this_coro::executor;
  tcp::socket sock(ex);
  asio::steady_timer timer(ex);
  timer.expires_at(until);
  auto c = co_await (sock.async_connect(server, kUseTuple) || timer.async_wait(kUseTuple));
  if (c.index() == 1) {
    co_return Timeout("tcp connect");
  }
  if (auto [ec] = std::get<0>(c); ec) {
    co_return Error(Errc::kUnavailable, "tcp connect: " + ec.message());
  }
  std::vector<std::byte> out;
  dns::Encode(query, &out);
  dns::PrefixTcpLength(&out, 0);
  auto w = co_await (asio::async_write(sock, asio::buffer(out.data(), out.size()), kUseTuple) ||
                     timer.async_wait(kUseTuple));
  if (w.index() == 1) {
    co_return Timeout("tcp write");
  }
  if (auto [ec, n] = std::get<0>(w); ec) {
    co_return Error(Errc::kUnavailable, "tcp write: " + ec.message());
  }
  dns::Limits limits;
  limits.max_message_size = kResolverTcpMessage;
  std::vector<std::byte> in;
  std::array<std::byte, 4096> chunk;
  for (;;) {
    auto frame = dns::NextTcpFrame(in, limits);
    if (!frame) {
      co_return Error(Errc::kInvalidArgument, "tcp: " + frame.error().ToString());
    }
    if (frame->has_value()) {
      const size_t consumed = (*frame)->consumed;
      auto reply = dns::DecodeMessage((*frame)->message, limits);
      if (reply && Matches(*reply, query)) {
        co_return std::move(*reply);
      }
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(consumed));
      continue;
    }
    auto r = co_await (sock.async_read_some(asio::buffer(chunk), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return Timeout("tcp read");
    }
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      co_return Error(Errc::kUnavailable, "tcp read: " + ec.message());
    }
    in.insert(in.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

// The addresses a matched reply gives for `qname`: the CNAME chain from
// `qname` is followed inside the answer section (at most kMaxCnameHops), and
// only address records owned by the chain's last name count. Records owned
// by any other name (out of bailiwick) are ignored.
struct Extracted {
  std::vector<IpAddress> addresses;
  uint32_t ttl = UINT32_MAX;  // smallest TTL among the records used
  dns::Name last;             // where the chain ends
  bool chain_too_long = false;
};

Extracted Extract(const dns::Message& reply, const dns::Name& qname, uint16_t qtype) {
  Extracted out;
  out.last = qname;
  for (int hops = 0;; ++hops) {
    const dns::ResourceRecord* cname = nullptr;
    for (const auto& rr : reply.answers) {
      if (rr.type == dns::rr_type::kCname && rr.klass == dns::rr_class::kIn &&
          rr.name == out.last) {
        cname = &rr;
        break;
      }
    }
    if (cname == nullptr) {
      break;
    }
    auto target = dns::RdataName(*cname);
    if (!target) {
      break;
    }
    if (hops == kMaxCnameHops) {
      out.chain_too_long = true;
      return out;
    }
    out.ttl = std::min(out.ttl, cname->ttl);
    out.last = *target;
  }
  for (const auto& rr : reply.answers) {
    if (rr.type != qtype || rr.klass != dns::rr_class::kIn || !(rr.name == out.last)) {
      continue;
    }
    IpAddress ip;
    if (qtype == dns::rr_type::kA && rr.rdata.size() == 4) {
      std::array<uint8_t, 4> b;
      std::transform(rr.rdata.begin(), rr.rdata.end(), b.begin(),
                     [](std::byte x) { return std::to_integer<uint8_t>(x); });
      ip = IpAddress::V4(b);
    } else if (qtype == dns::rr_type::kAaaa && rr.rdata.size() == 16) {
      std::array<uint8_t, 16> b;
      std::transform(rr.rdata.begin(), rr.rdata.end(), b.begin(),
                     [](std::byte x) { return std::to_integer<uint8_t>(x); });
      ip = IpAddress::V6(b);
    } else {
      continue;
    }
    out.ttl = std::min(out.ttl, rr.ttl);
    if (std::find(out.addresses.begin(), out.addresses.end(), ip) == out.addresses.end()) {
      out.addresses.push_back(ip);
    }
  }
  return out;
}

bool HasSoa(const dns::Message& reply) {
  return std::any_of(reply.authorities.begin(), reply.authorities.end(),
                     [](const auto& rr) { return rr.type == dns::rr_type::kSoa; });
}

bool IsNegative(const Error& e) {
  return e.code() == ResolveErrc::kNxDomain || e.code() == ResolveErrc::kNoData;
}

bool FamilyHas(LookupFamily family, const IpAddress& ip) {
  return family == LookupFamily::kAny || (family == LookupFamily::kV4) == ip.is_v4();
}

}  // namespace

const std::error_category& ResolverCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(ResolveErrc e) {
  return {static_cast<int>(e), ResolverCategory()};
}

struct Resolver::Reply {
  dns::Message message;
  std::string server;
};

Resolver::Resolver(ResolverOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Get()),
      try_timeout_(options_.try_timeout),
      attempts_(std::max(1, options_.attempts)) {
  if (options_.servers.empty() && !options_.resolv_conf.empty()) {
    ResolvConf conf = LoadResolvConf(options_.resolv_conf);
    servers_ = std::move(conf.nameservers);
    search_ = std::move(conf.search);
    ndots_ = conf.ndots;
    try_timeout_ = conf.timeout;
    attempts_ = conf.attempts;
  } else {
    servers_ = options_.servers;
    for (const auto& s : options_.search) {
      if (std::string key = HostKey(s); !key.empty() && search_.size() < kMaxResolvSearch) {
        search_.push_back(std::move(key));
      }
    }
    ndots_ = std::clamp(options_.ndots, 0, kMaxResolvNdots);
  }
}

Resolver::~Resolver() = default;

size_t Resolver::cache_size() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

std::vector<std::string> Resolver::Candidates(const std::string& key, bool absolute) const {
  if (absolute || search_.empty()) {
    return {key};
  }
  std::vector<std::string> out;
  const bool enough_dots = std::count(key.begin(), key.end(), '.') >= ndots_;
  if (enough_dots) {
    out.push_back(key);
  }
  for (const auto& domain : search_) {
    if (key.size() + 1 + domain.size() <= 253) {
      out.push_back(key + "." + domain);
    }
  }
  if (!enough_dots) {
    out.push_back(key);
  }
  return out;
}

std::optional<Result<HostAddresses>> Resolver::FromHosts(const std::string& key,
                                                         LookupFamily family) {
  std::shared_ptr<const HostsTable> table = options_.hosts;
  if (!table && options_.hosts_file.empty()) {
    return std::nullopt;
  }
  // A stat per lookup notices an edited file; the read happens outside the
  // lock, and only when the file changed.
  struct stat st {};
  int64_t mtime = -1;
  int64_t size = -1;
  if (!table && stat(options_.hosts_file.c_str(), &st) == 0) {
    mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    size = static_cast<int64_t>(st.st_size);
  }
  if (!table) {
    std::lock_guard lock(mu_);
    if (mtime == hosts_mtime_ns_ && size == hosts_size_) {
      table = hosts_;
    }
  }
  if (!table && mtime >= 0) {
    auto loaded = HostsTable::Load(options_.hosts_file);
    table = loaded ? std::make_shared<const HostsTable>(std::move(*loaded)) : nullptr;
    std::lock_guard lock(mu_);
    hosts_ = table;
    hosts_mtime_ns_ = mtime;
    hosts_size_ = size;
  }
  if (!table) {
    return std::nullopt;
  }
  const auto* found = table->Find(key);
  if (found == nullptr) {
    return std::nullopt;
  }
  HostAddresses out;
  for (const IpAddress& ip : *found) {
    if (FamilyHas(family, ip)) {
      out.addresses.push_back(ip);
    }
  }
  if (out.addresses.empty()) {
    return std::nullopt;  // as glibc: the family is then asked of DNS
  }
  std::stable_partition(out.addresses.begin(), out.addresses.end(),
                        [](const IpAddress& ip) { return ip.is_v4(); });
  out.ttl = options_.local_ttl;
  out.source = AnswerSource::kHosts;
  return out;
}

std::optional<Result<Resolver::Answer>> Resolver::FromCache(const std::string& key,
                                                            uint16_t qtype) {
  if (options_.cache_entries == 0) {
    return std::nullopt;
  }
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = cache_.find(std::to_string(qtype) + "/" + key);
  if (it == cache_.end()) {
    return std::nullopt;
  }
  if (it->second.expires <= now) {
    cache_.erase(it);
    return std::nullopt;
  }
  if (!it->second.answer) {
    return Result<Answer>(it->second.error);
  }
  Answer a = *it->second.answer;
  a.ttl = it->second.expires - now;
  a.cached = true;
  return Result<Answer>(std::move(a));
}

void Resolver::Store(const std::string& key, uint16_t qtype, const Result<Answer>& answer) {
  if (options_.cache_entries == 0 || (!answer && !IsNegative(answer.error()))) {
    return;  // timeouts and server failures are not remembered
  }
  const Duration ttl = answer ? answer->ttl : options_.negative_ttl;
  if (ttl <= Duration::zero()) {
    return;
  }
  const auto now = clock_.Now();
  CacheEntry entry;
  if (answer) {
    entry.answer = *answer;
  } else {
    entry.error = answer.error();
  }
  entry.expires = now + ttl;
  std::lock_guard lock(mu_);
  if (cache_.size() >= options_.cache_entries) {
    std::erase_if(cache_, [now](const auto& kv) { return kv.second.expires <= now; });
  }
  if (cache_.size() >= options_.cache_entries) {
    auto soonest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    cache_.erase(soonest);
  }
  cache_.insert_or_assign(std::to_string(qtype) + "/" + key, std::move(entry));
}

net::Awaitable<Result<Resolver::Reply>> Resolver::Exchange(std::string key, uint16_t qtype,
                                                           Deadline deadline) {
  VIGIE_CO_ASSIGN_OR_RETURN(dns::Name name, dns::Name::FromText(key));
  if (servers_.empty()) {
    co_return Error(ResolveErrc::kNxDomain, key + ": not in the hosts file, and no DNS server");
  }
  Error last = Timeout(key);
  for (int attempt = 0; attempt < attempts_; ++attempt) {
    for (const Address& server : servers_) {
      if (SteadyClock::now() >= deadline) {
        co_return last;
      }
      auto udp_endpoint = net::ToUdpEndpoint(server);
      auto tcp_endpoint = net::ToTcpEndpoint(server);
      if (!udp_endpoint || !tcp_endpoint) {
        last = Error(ResolveErrc::kServerFailure, server.ToString() + ": not an IP address");
        continue;
      }
      const dns::Message query = MakeQuery(name, qtype);
      auto try_until = [&] {
        return std::min(
            deadline,
            SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(try_timeout_));
      };
      auto reply = co_await QueryUdp(*udp_endpoint, query, try_until());
      if (reply && reply->header.tc) {
        // Truncated: the same question again over TCP (RFC 7766 §5).
        reply = co_await QueryTcp(*tcp_endpoint, query, try_until());
      }
      if (!reply) {
        // Unreachable, reset, garbled: this server failed; the next is tried.
        const std::error_code code = reply.error().code().category() == ResolverCategory()
                                         ? reply.error().code()
                                         : make_error_code(ResolveErrc::kServerFailure);
        last = Error(code, key + ": " + server.ToString() + ": " + reply.error().context());
        continue;
      }
      const uint16_t rcode = reply->FullRcode();
      if (rcode == dns::rcode::kNoError || rcode == dns::rcode::kNxDomain) {
        co_return Reply{std::move(*reply), server.ToString()};
      }
      last = Error(ResolveErrc::kServerFailure,
                   key + ": " + server.ToString() + ": rcode " + std::to_string(rcode));
    }
  }
  co_return last;
}

net::Awaitable<Result<Resolver::Answer>> Resolver::QueryChain(std::string key, uint16_t qtype,
                                                              Deadline deadline) {
  std::string current = key;
  uint32_t chain_ttl = UINT32_MAX;
  for (int requery = 0;; ++requery) {
    VIGIE_CO_ASSIGN_OR_RETURN(Reply reply, co_await Exchange(current, qtype, deadline));
    VIGIE_CO_ASSIGN_OR_RETURN(dns::Name qname, dns::Name::FromText(current));
    Extracted found = Extract(reply.message, qname, qtype);
    if (found.chain_too_long) {
      co_return Error(ResolveErrc::kServerFailure,
                      key + ": CNAME chain longer than " + std::to_string(kMaxCnameHops));
    }
    chain_ttl = std::min(chain_ttl, found.ttl);
    if (!found.addresses.empty()) {
      Answer a;
      a.addresses = std::move(found.addresses);
      // max before min, so a min_ttl above max_ttl wins rather than being UB.
      a.ttl = std::max<Duration>(
          options_.min_ttl, std::min<Duration>(std::chrono::seconds(chain_ttl), options_.max_ttl));
      a.server = std::move(reply.server);
      co_return a;
    }
    if (reply.message.FullRcode() == dns::rcode::kNxDomain) {
      co_return Error(ResolveErrc::kNxDomain, key + ": NXDOMAIN from " + reply.server);
    }
    // A chain that ends without the target's records and without a SOA (a
    // server that did not follow it): ask for the target itself.
    if (!(found.last == qname) && !HasSoa(reply.message) && requery < kMaxCnameRequeries) {
      current = found.last.ToKey();
      continue;
    }
    co_return Error(ResolveErrc::kNoData, key + ": no address from " + reply.server);
  }
}

net::Awaitable<Result<Resolver::Answer>> Resolver::LookupType(std::string key, uint16_t qtype,
                                                              Deadline deadline) {
  if (auto cached = FromCache(key, qtype)) {
    co_return std::move(*cached);
  }
  auto answer = co_await QueryChain(key, qtype, deadline);
  Store(key, qtype, answer);
  co_return answer;
}

net::Awaitable<Result<HostAddresses>> Resolver::LookupName(std::string key, LookupFamily family,
                                                           Deadline deadline) {
  Result<Answer> v4 = Error(ResolveErrc::kNoData);
  Result<Answer> v6 = Error(ResolveErrc::kNoData);
  if (family == LookupFamily::kV4) {
    v4 = co_await LookupType(key, dns::rr_type::kA, deadline);
  } else if (family == LookupFamily::kV6) {
    v6 = co_await LookupType(key, dns::rr_type::kAaaa, deadline);
  } else {
    // Both questions at once, each on its own socket, as glibc does.
    std::tie(v4, v6) = co_await (LookupType(key, dns::rr_type::kA, deadline) &&
                                 LookupType(key, dns::rr_type::kAaaa, deadline));
  }
  if (!v4 && !v6) {
    // The error that says most: a failure over a negative answer, NXDOMAIN
    // over NODATA.
    const Error& e4 = v4.error();
    const Error& e6 = v6.error();
    if (family == LookupFamily::kV4) {
      co_return e4;
    }
    if (family == LookupFamily::kV6) {
      co_return e6;
    }
    if (!IsNegative(e4)) {
      co_return e4;
    }
    if (!IsNegative(e6)) {
      co_return e6;
    }
    co_return e4.code() == ResolveErrc::kNxDomain ? e4 : e6;
  }
  HostAddresses out;
  out.ttl = Duration::max();
  out.source = AnswerSource::kCache;
  for (Result<Answer>* a : {&v4, &v6}) {
    if (!*a) {
      continue;
    }
    out.addresses.insert(out.addresses.end(), (*a)->addresses.begin(), (*a)->addresses.end());
    out.ttl = std::min(out.ttl, (*a)->ttl);
    if (!(*a)->cached) {
      out.source = AnswerSource::kServer;
    }
    if (out.server.empty()) {
      out.server = (*a)->server;
    }
  }
  co_return out;
}

net::Awaitable<Result<HostAddresses>> Resolver::Lookup(std::string name, LookupFamily family,
                                                       std::optional<Duration> timeout) {
  if (auto ip = IpAddress::Parse(name)) {
    if (!FamilyHas(family, *ip)) {
      co_return Error(ResolveErrc::kNoData, name + ": an address of the other family");
    }
    HostAddresses out;
    out.addresses.push_back(*ip);
    out.ttl = options_.local_ttl;
    out.source = AnswerSource::kLiteral;
    co_return out;
  }
  if (name.empty() || name == "." || !dns::Name::FromText(name)) {
    co_return Error(ResolveErrc::kBadName, "\"" + name + "\"");
  }
  const std::string key = HostKey(name);
  if (auto local = FromHosts(key, family)) {
    co_return std::move(*local);
  }
  const Deadline deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                     timeout.value_or(options_.timeout));
  Result<HostAddresses> last = Error(ResolveErrc::kNxDomain, key);
  for (const std::string& candidate : Candidates(key, name.back() == '.')) {
    last = co_await LookupName(candidate, family, deadline);
    if (last || !IsNegative(last.error())) {
      break;  // an answer, or a failure that another name would meet too (glibc stops too)
    }
  }
  co_return last;
}

Result<HostAddresses> Resolver::LookupBlocking(const std::string& name, LookupFamily family,
                                               std::optional<Duration> timeout) {
  asio::io_context ctx;
  Result<HostAddresses> out = Error(ResolveErrc::kTimeout, name + ": lookup did not finish");
  asio::co_spawn(ctx, Lookup(name, family, timeout),
                 [&out](const std::exception_ptr& e, Result<HostAddresses> r) {
                   if (!e) {
                     out = std::move(r);
                   }
                 });
  ctx.run();
  return out;
}

}  // namespace vigie
