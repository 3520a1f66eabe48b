// Reading the `dns:` section and turning `vigie dns` flags into one.
#include "dns/server/config.h"

#include <algorithm>
#include <fstream>

#include "core/dns/name.h"

namespace vigie::dns {
namespace {

bool ParseFormat(const config::Field& f, ListFormat& out) {
  return config::ParseEnum(f, out,
                           {{"auto", ListFormat::kAuto},
                            {"hosts", ListFormat::kHosts},
                            {"domains", ListFormat::kDomains},
                            {"adblock", ListFormat::kAdblock},
                            {"unbound", ListFormat::kUnbound},
                            {"dnsmasq", ListFormat::kDnsmasq}});
}

std::string DefaultId(std::string_view source) {
  std::string_view s = source;
  if (auto q = s.find_first_of("?#"); q != std::string_view::npos) {
    s = s.substr(0, q);
  }
  while (!s.empty() && s.back() == '/') {
    s.remove_suffix(1);
  }
  if (auto slash = s.rfind('/'); slash != std::string_view::npos) {
    s = s.substr(slash + 1);
  }
  return s.empty() ? std::string(source) : std::string(s);
}

}  // namespace

bool ListSourceConfig::IsUrl() const {
  return source.starts_with("http://") || source.starts_with("https://");
}

bool ParseValue(const config::Field& f, ListSourceConfig& out) {
  if (f.value().is_scalar()) {
    const std::string* s = f.Scalar();
    if (s == nullptr || s->empty()) {
      return f.Fail("expected a file path or an http:// or https:// URL");
    }
    out.source = *s;
  } else {
    auto m = f.AsMap();
    m.Optional("name", out.id);
    if (m.Has("url") && m.Has("path")) {
      return f.Fail("give either url or path, not both");
    }
    if (m.Has("url")) {
      m.Required("url", out.source);
    } else {
      m.Required("path", out.source);
    }
    if (auto fmt = m.Get("format")) {
      if (!ParseFormat(*fmt, out.format)) {
        m.Finish();
        return false;
      }
    }
    std::optional<config::Field> ca = m.Get("ca_file");
    if (ca) {
      if (!config::ParseValue(*ca, out.ca_file)) {
        m.Finish();
        return false;
      }
    }
    m.Finish();
    if (!m.ok()) {
      return false;
    }
    if (ca) {
      if (!out.source.starts_with("https://")) {
        return ca->Fail("ca_file applies to https:// lists only");
      }
      if (out.ca_file.empty() || !std::ifstream(out.ca_file)) {
        return ca->Fail("cannot read \"" + out.ca_file +
                        "\" (a PEM file of the CAs to trust for this list)");
      }
    }
  }
  if (out.id.empty()) {
    out.id = DefaultId(out.source);
  }
  return true;
}

std::string UpstreamConfig::ToString() const {
  if (!tls) {
    return address.ToString();
  }
  return "tls://" + address.ToString() + (server_name.empty() ? "" : "#" + server_name);
}

bool ParseValue(const config::Field& f, UpstreamConfig& out) {
  std::string text;
  std::optional<config::Field> tls_field;
  if (f.value().is_scalar()) {
    const std::string* s = f.Scalar("an upstream address");
    if (s == nullptr) {
      return false;
    }
    text = *s;
  } else {
    auto m = f.AsMap();
    m.Required("address", text);
    tls_field = m.Get("tls");
    m.Finish();
    if (!m.ok()) {
      return false;
    }
  }
  if (text.starts_with("tls://")) {
    out.tls = true;
    text = text.substr(6);
    // unbound's forward-addr habit: IP@port#name; also IP:port#name.
    if (auto hash = text.find('#'); hash != std::string::npos) {
      out.server_name = text.substr(hash + 1);
      text = text.substr(0, hash);
      if (out.server_name.empty() || !Name::FromText(out.server_name)) {
        return f.Fail("not a TLS server name after #: \"" + out.server_name + "\"");
      }
    }
  } else if (text.find("://") != std::string::npos) {
    return f.Fail("upstream scheme not supported (plain IP[:port] or tls://IP[:port][#name]): \"" +
                  text + "\"");
  }
  if (auto at = text.rfind('@'); at != std::string::npos && text.find(':') == std::string::npos) {
    text[at] = ':';  // unbound's 192.0.2.1@853
  }
  if (tls_field) {
    out.tls = true;
    if (!tls_field->value().is_null()) {
      auto t = tls_field->AsMap();
      t.Optional("server_name", out.server_name);
      t.Optional("ca_file", out.ca_file);
      t.Optional("verify", out.verify);
      t.Finish();
      if (!t.ok()) {
        return false;
      }
    }
  }
  auto a = ParseAddress(
      text, AddressOptions{.allow_any_host = false, .default_port = out.tls ? 853 : 53});
  if (!a) {
    return f.Fail(a.error().ToString());
  }
  out.address = *a;
  return true;
}

bool ParseValue(const config::Field& f, LocalRecordConfig& out) {
  std::string type;
  if (f.value().is_scalar()) {
    // "name TYPE value", as unbound's local-data without the class.
    const std::string* s = f.Scalar();
    if (s == nullptr) {
      return false;
    }
    std::vector<std::string> words;
    size_t i = 0;
    while (i < s->size()) {
      while (i < s->size() && (*s)[i] == ' ') {
        ++i;
      }
      size_t j = i;
      while (j < s->size() && (*s)[j] != ' ') {
        ++j;
      }
      if (j > i) {
        words.emplace_back(s->substr(i, j - i));
      }
      i = j;
    }
    // Also unbound's local-data form: "NAME [TTL] [IN] TYPE VALUE".
    if (words.size() > 3 && words.size() <= 5) {
      std::vector<std::string> kept = {words[0]};
      for (size_t k = 1; k + 2 < words.size(); ++k) {
        const std::string& w = words[k];
        if (w == "IN" || w == "in") {
          continue;
        }
        if (!w.empty() && std::all_of(w.begin(), w.end(), ::isdigit) && w.size() < 10) {
          out.ttl = static_cast<uint32_t>(std::stoul(w));
          continue;
        }
        kept.push_back(w);
      }
      kept.push_back(words[words.size() - 2]);
      kept.push_back(words[words.size() - 1]);
      words = std::move(kept);
    }
    if (words.size() != 3) {
      return f.Fail("expected \"NAME TYPE VALUE\", e.g. \"nas.home.arpa A 192.168.1.10\"");
    }
    out.name = words[0];
    type = words[1];
    out.value = words[2];
  } else {
    auto m = f.AsMap();
    m.Required("name", out.name);
    m.Required("type", type);
    m.Required("value", out.value);
    m.Optional("ttl", out.ttl);
    m.Finish();
    if (!m.ok()) {
      return false;
    }
  }
  std::transform(type.begin(), type.end(), type.begin(), ::toupper);
  if (type == "A") {
    out.type = rr_type::kA;
  } else if (type == "AAAA") {
    out.type = rr_type::kAaaa;
  } else if (type == "CNAME") {
    out.type = rr_type::kCname;
  } else if (type == "PTR") {
    out.type = rr_type::kPtr;
  } else {
    return f.Fail("record type \"" + type + "\" not supported (A, AAAA, CNAME, PTR)");
  }
  if (!Name::FromText(out.name)) {
    return f.Fail("not a domain name: \"" + out.name + "\"");
  }
  auto ip = IpAddress::Parse(out.value);
  if (out.type == rr_type::kA && (!ip || !ip->is_v4())) {
    return f.Fail("A record needs an IPv4 address, got \"" + out.value + "\"");
  }
  if (out.type == rr_type::kAaaa && (!ip || !ip->is_v6())) {
    return f.Fail("AAAA record needs an IPv6 address, got \"" + out.value + "\"");
  }
  if ((out.type == rr_type::kCname || out.type == rr_type::kPtr) && !Name::FromText(out.value)) {
    return f.Fail("not a domain name: \"" + out.value + "\"");
  }
  return true;
}

Result<void> ParseBlockMode(std::string_view text, DnsConfig& out) {
  out.block_v4.clear();
  out.block_v6.clear();
  if (text == "nxdomain") {
    out.block_mode = BlockMode::kNxdomain;
  } else if (text == "null") {
    out.block_mode = BlockMode::kNull;
    out.block_v4 = {{0, 0, 0, 0}};
    out.block_v6 = {{}};
  } else if (text == "refused") {
    out.block_mode = BlockMode::kRefused;
  } else if (text == "nodata") {
    out.block_mode = BlockMode::kNodata;
  } else {
    out.block_mode = BlockMode::kAddress;
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      std::string_view one = text.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      auto ip = IpAddress::Parse(one);
      if (!ip) {
        return Error(Errc::kBadName,
                     "block_mode: expected nxdomain, null, refused, nodata or "
                     "IP addresses, got \"" +
                         std::string(text) + "\"");
      }
      if (ip->is_v4()) {
        std::array<uint8_t, 4> a{};
        std::copy_n(ip->bytes().begin(), 4, a.begin());
        out.block_v4.push_back(a);
      } else {
        out.block_v6.push_back(ip->bytes());
      }
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return {};
}

std::string BlockModeText(const DnsConfig& c) {
  switch (c.block_mode) {
    case BlockMode::kNxdomain:
      return "nxdomain";
    case BlockMode::kNull:
      return "null";
    case BlockMode::kRefused:
      return "refused";
    case BlockMode::kNodata:
      return "nodata";
    case BlockMode::kAddress:
      break;
  }
  std::string out;
  for (const auto& a : c.block_v4) {
    out += (out.empty() ? "" : ",") + IpAddress::V4(a).ToString();
  }
  for (const auto& a : c.block_v6) {
    out += (out.empty() ? "" : ",") + IpAddress::V6(a).ToString();
  }
  return out;
}

namespace {

bool ParseCache(const config::Field& f, DnsConfig& out) {
  auto m = f.AsMap();
  m.Optional("enabled", out.cache_enabled);
  ByteSize size{out.cache.max_bytes};
  m.Optional("size", size);
  out.cache.max_bytes = size.bytes;
  Duration min_ttl = std::chrono::seconds(out.cache.min_ttl);
  Duration max_ttl = std::chrono::seconds(out.cache.max_ttl);
  Duration neg = std::chrono::seconds(out.cache.max_negative_ttl);
  Duration stale = std::chrono::seconds(out.cache.stale_window);
  m.Optional("min_ttl", min_ttl, BareUnit::kSeconds);
  m.Optional("max_ttl", max_ttl, BareUnit::kSeconds);
  m.Optional("max_negative_ttl", neg, BareUnit::kSeconds);
  m.Optional("serve_stale", stale, BareUnit::kSeconds);
  m.Optional("prefetch_percent", out.cache.prefetch_percent);
  auto secs = [](Duration d) {
    return static_cast<uint32_t>(
        std::min<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count(), 1 << 30));
  };
  out.cache.min_ttl = secs(min_ttl);
  out.cache.max_ttl = secs(max_ttl);
  out.cache.max_negative_ttl = secs(neg);
  out.cache.stale_window = secs(stale);
  if (m.ok() && out.cache.min_ttl > out.cache.max_ttl) {
    f.Fail("cache.min_ttl is above cache.max_ttl");
  }
  m.Finish();
  return m.ok() && out.cache.min_ttl <= out.cache.max_ttl;
}

bool ParseRateLimit(const config::Field& f, DnsConfig& out) {
  auto m = f.AsMap();
  RateLimitConfig& rl = out.rate_limit;
  m.Optional("qps", rl.qps);
  m.Optional("burst", rl.burst);
  if (auto a = m.Get("action")) {
    if (!config::ParseEnum(*a, out.rate_limit_action,
                           {{"drop", RateLimitAction::kDrop},
                            {"refused", RateLimitAction::kRefused},
                            {"truncate", RateLimitAction::kTruncate}})) {
      m.Finish();
      return false;
    }
  }
  int64_t v4 = rl.v4_prefix;
  int64_t v6 = rl.v6_prefix;
  if (auto p = m.Get("ipv4_prefix"); p && !config::ParseInRange(*p, v4, 0, 32)) {
    m.Finish();
    return false;
  }
  if (auto p = m.Get("ipv6_prefix"); p && !config::ParseInRange(*p, v6, 0, 128)) {
    m.Finish();
    return false;
  }
  rl.v4_prefix = static_cast<int>(v4);
  rl.v6_prefix = static_cast<int>(v6);
  uint64_t entries = rl.max_entries;
  m.Optional("max_clients", entries);
  rl.max_entries = static_cast<size_t>(entries);
  m.Finish();
  if (!m.ok()) {
    return false;
  }
  if (rl.qps < 0 || rl.burst < 0) {
    return f.Fail("rate_limit.qps and rate_limit.burst must not be negative");
  }
  if (rl.qps > 0 && rl.burst > 0 && rl.burst < 1) {
    return f.Fail("rate_limit.burst: at least 1 query");
  }
  if (rl.max_entries < 16 || rl.max_entries > (size_t{1} << 24)) {
    return f.Fail("rate_limit.max_clients: between 16 and 16777216");
  }
  return true;
}

bool ParseQueryLog(const config::Field& f, DnsConfig& out) {
  QueryLogConfig& q = out.query_log;
  if (f.value().is_scalar()) {
    return config::ParseValue(f, q.path);
  }
  auto m = f.AsMap();
  m.Required("path", q.path);
  ByteSize size{q.max_bytes};
  m.Optional("max_size", size);
  q.max_bytes = size.bytes;
  m.Optional("keep", q.keep);
  m.Optional("queue", q.queue_lines);
  m.Finish();
  if (!m.ok()) {
    return false;
  }
  if (q.path.empty()) {
    return f.Fail("query_log.path: a file name is needed");
  }
  if (q.max_bytes < 4096) {
    return f.Fail("query_log.max_size: at least 4KiB");
  }
  if (q.keep > 1000) {
    return f.Fail("query_log.keep: at most 1000 rotated files");
  }
  if (q.queue_lines < 16 || q.queue_lines > 10'000'000) {
    return f.Fail("query_log.queue: between 16 and 10000000 lines");
  }
  return true;
}

bool ReadResolvConfUpstreams(const config::Field& f, std::vector<UpstreamConfig>& out) {
  const std::string& path = f.value().scalar;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return f.Fail("cannot read \"" + path + "\" (a resolv.conf-format file of nameservers)");
  }
  std::string text;
  text.resize(64 * 1024);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::vector<std::string> skipped;
  auto servers = ParseResolvConf(text, &skipped);
  if (servers.empty()) {
    return f.Fail("no usable `nameserver` line in \"" + path + "\"");
  }
  for (const auto& a : servers) {
    UpstreamConfig up;
    up.address = a;
    out.push_back(std::move(up));
  }
  return true;
}

}  // namespace

std::vector<Address> ParseResolvConf(std::string_view text, std::vector<std::string>* skipped) {
  std::vector<Address> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (size_t c = line.find_first_of("#;"); c != std::string_view::npos) {
      line = line.substr(0, c);
    }
    auto next_word = [&line]() {
      size_t b = line.find_first_not_of(" \t\r");
      if (b == std::string_view::npos) {
        line = {};
        return std::string_view();
      }
      line = line.substr(b);
      size_t e = line.find_first_of(" \t\r");
      std::string_view w = line.substr(0, e);
      line = e == std::string_view::npos ? std::string_view() : line.substr(e);
      return w;
    };
    if (next_word() != "nameserver") {
      continue;
    }
    std::string_view addr = next_word();
    auto ip = IpAddress::Parse(addr);
    if (!ip) {
      if (skipped != nullptr) {
        skipped->push_back("line " + std::to_string(line_no) + ": \"" + std::string(addr) +
                           "\" is not an IP address" +
                           (addr.find('%') != std::string_view::npos ? " (scoped IPv6)" : ""));
      }
      continue;
    }
    out.push_back(Address{Address::Kind::kInet, std::string(addr), 53, {}});
  }
  return out;
}

bool ParseValue(const config::Field& f, DnsConfig& out) {
  out.clients = {*Cidr::Parse("127.0.0.0/8"), *Cidr::Parse("::1/128")};
  if (f.value().is_null()) {
    return f.Fail("dns needs at least `upstreams:`");
  }
  auto m = f.AsMap();
  bool ok = true;
  // Every error of the section is reported: a bad entry marks the section
  // invalid but reading goes on, so later keys are still checked (and not
  // mistaken for unknown ones).
  if (auto l = m.Get("listen")) {
    std::vector<Address> listen;
    for (const auto& item : l->Items(true)) {
      Address a;
      if (config::ParseValue(item, a,
                             AddressOptions{.allow_any_host = true, .default_port = 5353})) {
        listen.push_back(a);
      } else {
        ok = false;
      }
    }
    out.listen = std::move(listen);
  }
  if (auto u = m.Get("upstreams")) {
    for (const auto& item : u->Items(true)) {
      if (item.value().is_scalar() && item.value().scalar.starts_with("/")) {
        // A resolv.conf-format file (dnsmasq's resolv-file): its nameservers.
        ok = ReadResolvConfUpstreams(item, out.upstreams) && ok;
        continue;
      }
      UpstreamConfig up;
      if (ParseValue(item, up)) {
        out.upstreams.push_back(std::move(up));
      } else {
        ok = false;
      }
    }
    if (ok && out.upstreams.empty()) {
      ok = u->Fail("at least one upstream server is needed (e.g. 127.0.0.1:53)");
    }
  } else {
    f.diag().Add(f.mark(), f.path() + ".upstreams",
                 "missing required setting: at least one upstream server (e.g. 127.0.0.1:53)");
    ok = false;
  }
  if (auto b = m.Get("block")) {
    for (const auto& item : b->Items(true)) {
      ListSourceConfig s;
      if (ParseValue(item, s)) {
        out.block.push_back(std::move(s));
      } else {
        ok = false;
      }
    }
  }
  if (auto a = m.Get("allow")) {
    for (const auto& item : a->Items(true)) {
      ListSourceConfig s;
      if (ParseValue(item, s)) {
        out.allow.push_back(std::move(s));
      } else {
        ok = false;
      }
    }
  }
  m.Optional("refresh", out.refresh, BareUnit::kSeconds);
  m.Optional("download_timeout", out.download_timeout, BareUnit::kSeconds);
  ByteSize max_list{out.max_list_bytes};
  m.Optional("max_list_size", max_list);
  out.max_list_bytes = max_list.bytes;
  m.Optional("state_dir", out.state_dir);
  if (auto bm = m.Get("block_mode")) {
    if (const std::string* s = bm->Scalar("a block mode"); s != nullptr) {
      if (auto r = ParseBlockMode(*s, out); !r) {
        ok = bm->Fail(r.error().context());
      }
    }
  } else if (m.Has("block_mode")) {
    // `block_mode: null` unquoted is YAML's null; the operator meant "null".
    (void)ParseBlockMode("null", out);
  } else {
    (void)ParseBlockMode("nxdomain", out);
  }
  Duration block_ttl = std::chrono::seconds(out.block_ttl);
  m.Optional("block_ttl", block_ttl, BareUnit::kSeconds);
  out.block_ttl =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(block_ttl).count());
  m.Optional("local", out.local);
  if (auto c = m.Get("cache")) {
    ok = ParseCache(*c, out) && ok;
  }
  m.Optional("clients", out.clients);
  m.Optional("upstream_timeout", out.upstream_timeout, BareUnit::kMilliseconds);
  m.Optional("use_caps_for_id", out.use_caps_for_id);
  m.Optional("tcp_idle_timeout", out.tcp_idle_timeout, BareUnit::kSeconds);
  m.Optional("max_tcp_connections", out.max_tcp_connections);
  m.Optional("max_inflight", out.max_inflight);
  m.Optional("cname_inspect", out.cname_inspect);
  m.Optional("tls_idle_timeout", out.tls_idle_timeout, BareUnit::kSeconds);
  if (auto r = m.Get("rate_limit")) {
    ok = ParseRateLimit(*r, out) && ok;
  }
  if (auto q = m.Get("query_log")) {
    ok = ParseQueryLog(*q, out) && ok;
  }
  if (auto t = m.Get("top_blocked_metrics")) {
    int64_t n = out.top_blocked_metrics;
    if (config::ParseInRange(*t, n, 0, 1000)) {
      out.top_blocked_metrics = static_cast<uint32_t>(n);
    } else {
      ok = false;
    }
  }
  if (auto t = m.Get("top_names")) {
    int64_t n = out.top_names;
    if (config::ParseInRange(*t, n, 1, 1'000'000)) {
      out.top_names = static_cast<uint32_t>(n);
    } else {
      ok = false;
    }
  }
  if (out.refresh < std::chrono::seconds(1)) {
    ok = f.Fail("dns.refresh: at least 1s");
  }
  std::vector<std::string> ids;
  for (const auto* lists : {&out.block, &out.allow}) {
    for (const auto& l : *lists) {
      if (std::find(ids.begin(), ids.end(), l.id) != ids.end()) {
        ok = f.Fail("two lists are named \"" + l.id + "\"; give them distinct `name:`s");
      }
      ids.push_back(l.id);
    }
  }
  m.Finish();
  return m.ok() && ok;
}

config::Overlay FlagsOverlay(const DnsFlags& flags) {
  config::Overlay o;
  o.SetMap("dns", "vigie dns");
  if (!flags.listen.empty()) {
    o.SetList("dns.listen", flags.listen, "--listen");
  }
  if (!flags.upstreams.empty()) {
    o.SetList("dns.upstreams", flags.upstreams, "--upstream");
  }
  if (!flags.block.empty()) {
    o.SetList("dns.block", flags.block, "--block");
  }
  if (!flags.allow.empty()) {
    o.SetList("dns.allow", flags.allow, "--allow");
  }
  if (!flags.block_mode.empty()) {
    o.Set("dns.block_mode", flags.block_mode, "--block-mode");
  }
  if (!flags.refresh.empty()) {
    o.Set("dns.refresh", flags.refresh, "--refresh");
  }
  if (!flags.state_dir.empty()) {
    o.Set("dns.state_dir", flags.state_dir, "--state-dir");
  }
  return o;
}

}  // namespace vigie::dns
