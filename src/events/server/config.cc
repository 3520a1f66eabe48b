// Reading the `events:` section and its `streams:` tree.
#include "events/server/config.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace vigie::events {
namespace {

// A listener address, or "off".
bool ParseListen(const config::Field& f, std::optional<Address>& out) {
  if (f.value().is_scalar() && (f.value().scalar == "off" || f.value().scalar == "false")) {
    out.reset();
    return true;
  }
  Address a;
  if (!config::ParseValue(f, a, AddressOptions{})) {
    return false;
  }
  out = a;
  return true;
}

bool ParsePositive(const config::Field& f, uint64_t& out) {
  uint64_t v = 0;
  if (!config::ParseValue(f, v)) {
    return false;
  }
  if (v == 0) {
    return f.Fail("must be at least 1");
  }
  out = v;
  return true;
}

bool ParsePositive(const config::Field& f, Duration& out) {
  Duration d{};
  if (!config::ParseValue(f, d, BareUnit::kSeconds)) {
    return false;
  }
  if (d <= Duration::zero()) {
    return f.Fail("must be positive");
  }
  out = d;
  return true;
}

// Kinds and the parameter a bare scalar (or list) value stands for.
const std::map<std::string, std::string, std::less<>>& PrimaryParams() {
  static const std::map<std::string, std::string, std::less<>> kPrimary = {
      {"where", "query"},
      {"by", "fields"},
      {"tagged", "tags"},
      {"expired", "default_ttl"},
      {"not_expired", "default_ttl"},
      {"rate", "interval"},
      {"percentiles", "points"},
      {"coalesce", "dt"},
      {"changed_state", "init"},
      {"moving_time_window", "dt"},
      {"fixed_time_window", "dt"},
      {"stable", "dt"},
      {"scale", "factor"},
      {"adjust", "add"},
      {"sink", "name"},
      {"throttle", ""},
      {"rollup", ""},
      {"default", ""},
      {"with", ""},
      {"split", ""},
      {"sdo", ""},
      {"sum", ""},
      {"mean", ""},
      {"min", ""},
      {"max", ""},
      {"count", ""},
  };
  return kPrimary;
}

const std::set<std::string, std::less<>>& SinkKinds() {
  static const std::set<std::string, std::less<>> kSinks = {"index", "log", "graphite", "forward",
                                                            "webhook"};
  return kSinks;
}

std::string NormalizeKind(std::string k) {
  std::replace(k.begin(), k.end(), '-', '_');
  if (k == "changed") {
    k = "changed_state";
  }
  return k;
}

// A scalar or a list of scalars as text.
bool ScalarList(const config::Field& f, std::vector<std::string>& out) {
  out.clear();
  for (const config::Field& item : f.Items(/*allow_scalar=*/true)) {
    const std::string* s = item.Scalar("a value or a list of values");
    if (s == nullptr) {
      return false;
    }
    out.push_back(*s);
  }
  return true;
}

bool ParseChildren(const config::Field& f, std::vector<StreamSpec>& out) {
  bool ok = true;
  for (const config::Field& item : f.Items(/*allow_scalar=*/true)) {
    StreamSpec child;
    if (ParseStreamNode(item, child)) {
      out.push_back(std::move(child));
    } else {
      ok = false;
    }
  }
  return ok;
}

// The batching settings the forward and webhook outputs share.
template <class OutputConfig>
bool ReadBatchSettings(config::MapReader& m, OutputConfig& out) {
  bool ok = true;
  if (auto v = m.Get("batch")) {
    ok = ParsePositive(*v, out.batch) && ok;
  }
  if (auto v = m.Get("queue")) {
    ok = ParsePositive(*v, out.queue) && ok;
  }
  if (auto v = m.Get("flush_interval")) {
    ok = ParsePositive(*v, out.flush_interval) && ok;
  }
  m.Optional("timeout", out.timeout, BareUnit::kSeconds);
  m.Optional("backoff_min", out.backoff_min, BareUnit::kSeconds);
  m.Optional("backoff_max", out.backoff_max, BareUnit::kSeconds);
  return ok;
}

std::string Place(const config::Field& f) {
  return f.diag().file() + ":" + std::to_string(f.mark().line);
}

}  // namespace

bool ParseStreamNode(const config::Field& f, StreamSpec& out) {
  out = StreamSpec{};
  out.where = Place(f);
  if (f.value().is_scalar()) {
    std::string kind = NormalizeKind(f.value().scalar);
    if (SinkKinds().contains(kind)) {
      out.kind = "sink";
      out.params["name"] = {kind};
      return true;
    }
    auto it = PrimaryParams().find(kind);
    if (it == PrimaryParams().end()) {
      return f.Fail("unknown stream \"" + f.value().scalar + "\"");
    }
    out.kind = kind;
    return true;
  }
  if (!f.value().is_map()) {
    return f.Fail("expected a stream: a word such as `index`, or a map such as `where: ...`");
  }
  bool ok = true;
  bool have_kind = false;
  for (auto& [key, field] : f.Entries()) {
    if (key == "then") {
      ok = ParseChildren(field, out.children) && ok;
      continue;
    }
    if (key == "when") {
      std::vector<std::string> q;
      ok = ScalarList(field, q) && ok;
      out.params["when"] = q;
      continue;
    }
    std::string kind = NormalizeKind(key);
    bool is_sink = SinkKinds().contains(kind);
    auto it = PrimaryParams().find(kind);
    if (!is_sink && it == PrimaryParams().end()) {
      field.Fail("unknown stream \"" + key + "\" (or setting; a stream node holds one kind, " +
                 "`then:` and, under split, `when:`)");
      ok = false;
      continue;
    }
    if (have_kind) {
      field.Fail("a stream node holds one kind; put \"" + key + "\" under `then:`");
      ok = false;
      continue;
    }
    have_kind = true;
    if (is_sink) {
      out.kind = "sink";
      out.params["name"] = {kind};
      if (!field.value().is_null()) {
        field.Fail("takes no settings");
        ok = false;
      }
      continue;
    }
    out.kind = kind;
    const config::Value& v = field.value();
    if (v.is_null()) {
      continue;
    }
    if (kind == "split" || kind == "sdo") {
      ok = ParseChildren(field, out.children) && ok;
      continue;
    }
    if (v.is_map()) {
      for (auto& [pkey, pfield] : field.Entries()) {
        std::vector<std::string> values;
        ok = ScalarList(pfield, values) && ok;
        out.params[pkey] = std::move(values);
      }
      continue;
    }
    if (it->second.empty()) {
      field.Fail("expected a map of settings");
      ok = false;
      continue;
    }
    std::vector<std::string> values;
    ok = ScalarList(field, values) && ok;
    out.params[it->second] = std::move(values);
  }
  if (ok && !have_kind && (out.params.contains("when") || !out.children.empty())) {
    out.kind = "sdo";  // a split branch or a group: `when:` / `then:` alone
    return true;
  }
  if (ok && !have_kind) {
    return f.Fail("a stream node needs a kind (where, by, rate, index, ...)");
  }
  return ok;
}

std::vector<std::string> SinkNames(const EventsConfig& c) {
  std::vector<std::string> names = {"index", "log"};
  if (c.graphite) {
    names.emplace_back("graphite");
  }
  if (c.forward) {
    names.emplace_back("forward");
  }
  if (c.webhook) {
    names.emplace_back("webhook");
  }
  return names;
}

Result<WebhookOutputConfig> ParseWebhookUrl(std::string_view url) {
  WebhookOutputConfig out;
  out.url = std::string(url);
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://")) {
    return Error(Errc::kUnsupported,
                 "https webhooks are not supported; use http:// (a local TLS proxy can add TLS)");
  }
  if (!url.starts_with(kScheme)) {
    return Error(Errc::kInvalidArgument, "expected a URL starting with http://");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return Error(Errc::kInvalidArgument,
                 "credentials in the URL are not accepted; use headers: {Authorization: ...}");
  }
  if (out.path.find_first_of(" \r\n") != std::string::npos) {
    return Error(Errc::kInvalidArgument, "the path contains spaces or line breaks");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error(Errc::kInvalidArgument, "unclosed [ in the host");
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Error(Errc::kInvalidArgument, "expected :port after ]");
      }
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return Error(Errc::kInvalidArgument, "the URL has no host");
  }
  out.host = std::string(host);
  if (!port.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535) {
      return Error(Errc::kInvalidArgument, "bad port \"" + std::string(port) + "\"");
    }
    out.port = static_cast<uint16_t>(v);
  }
  return out;
}

bool ParseValue(const config::Field& f, WebhookOutputConfig& out) {
  auto m = f.AsMap();
  bool ok = true;
  if (auto v = m.Get("url")) {
    if (const std::string* s = v->Scalar("a URL")) {
      auto parsed = ParseWebhookUrl(*s);
      if (parsed) {
        parsed->headers = std::move(out.headers);
        out = std::move(*parsed);
      } else {
        ok = v->Fail(parsed.error().context().empty() ? parsed.error().ToString()
                                                      : parsed.error().context());
      }
    } else {
      ok = false;
    }
  } else {
    ok = f.Fail("missing url (http://host:port/path)");
  }
  if (auto v = m.Get("headers")) {
    for (const auto& [name, hf] : v->Entries()) {
      const std::string* s = hf.Scalar("a header value");
      if (s == nullptr) {
        ok = false;
        continue;
      }
      if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos ||
          s->find_first_of("\r\n") != std::string::npos) {
        ok = hf.Fail("header names have no spaces or colons; values no line breaks");
        continue;
      }
      out.headers.emplace_back(name, *s);
    }
  }
  ok = ReadBatchSettings(m, out) && ok;
  m.Finish();
  return ok && m.ok();
}

bool ParseValue(const config::Field& f, GraphiteOutputConfig& out) {
  auto m = f.AsMap();
  bool ok = true;
  m.Optional("host", out.target, AddressOptions{.allow_names = true, .default_port = 2003});
  m.Optional("prefix", out.prefix);
  m.Optional("percentile_paths", out.percentile_paths);
  if (auto v = m.Get("flush_interval")) {
    ok = ParsePositive(*v, out.flush_interval) && ok;
  }
  if (auto v = m.Get("batch_bytes")) {
    ok = ParsePositive(*v, out.batch_bytes) && ok;
  }
  m.Optional("buffer", out.buffer);
  m.Optional("connect_timeout", out.connect_timeout, BareUnit::kSeconds);
  m.Optional("write_timeout", out.write_timeout, BareUnit::kSeconds);
  m.Optional("backoff_min", out.backoff_min, BareUnit::kSeconds);
  m.Optional("backoff_max", out.backoff_max, BareUnit::kSeconds);
  m.Finish();
  return ok && m.ok();
}

bool ParseValue(const config::Field& f, ForwardOutputConfig& out) {
  auto m = f.AsMap();
  m.Optional("host", out.target, AddressOptions{.allow_names = true, .default_port = 5555});
  bool ok = true;
  ok = ReadBatchSettings(m, out) && ok;
  m.Finish();
  return ok && m.ok();
}

bool ParseValue(const config::Field& f, TlsListenerConfig& out) {
  auto m = f.AsMap();
  bool ok = true;
  if (auto v = m.Get("listen")) {
    ok = config::ParseValue(*v, out.listen, AddressOptions{.default_port = 5554}) && ok;
  }
  m.Required("cert", out.cert);
  m.Required("key", out.key);
  m.Optional("ca_cert", out.ca_cert);
  m.Optional("verify_clients", out.verify_clients);
  if (auto v = m.Get("handshake_timeout")) {
    ok = ParsePositive(*v, out.handshake_timeout) && ok;
  }
  if (out.verify_clients && out.ca_cert.empty()) {
    ok = f.Fail(
             "ca_cert is required to verify clients' certificates (as Riemann does); "
             "set verify_clients: false to accept any client") &&
         ok;
  }
  m.Finish();
  return ok && m.ok();
}

bool ParseValue(const config::Field& f, EventsConfig& out) {
  auto m = f.AsMap();
  bool ok = true;
  if (auto v = m.Get("http"); v && v->value().is_map()) {
    auto hm = v->AsMap();
    if (auto listen = hm.Get("listen")) {
      ok = ParseListen(*listen, out.http) && ok;
    }
    hm.Optional("allowed_hosts", out.http_policy.allowed_hosts);
    hm.Optional("allowed_origins", out.http_policy.allowed_origins);
    hm.Finish();
    ok = hm.ok() && ok;
  } else if (v) {
    ok = ParseListen(*v, out.http) && ok;
  }
  for (auto [key, dst] : {std::pair<const char*, std::optional<Address>*>{"tcp", &out.tcp},
                          {"udp", &out.udp},
                          {"carbon", &out.carbon},
                          {"statsd", &out.statsd}}) {
    if (auto v = m.Get(key)) {
      ok = ParseListen(*v, *dst) && ok;
    }
  }
  if (auto v = m.Get("statsd_flush")) {
    ok = ParsePositive(*v, out.statsd_flush) && ok;
  }
  if (auto v = m.Get("ttl")) {
    Duration d{};
    if (ParsePositive(*v, d)) {
      out.ttl_seconds = std::chrono::duration<double>(d).count();
    } else {
      ok = false;
    }
  }
  if (auto v = m.Get("expire_interval")) {
    ok = ParsePositive(*v, out.expire_interval) && ok;
  }
  m.Optional("expired_keep_all_fields", out.expired_keep_all_fields);
  m.Optional("log_expired", out.log_expired);
  if (auto v = m.Get("max_events")) {
    ok = ParsePositive(*v, out.max_events) && ok;
  }
  m.Optional("max_index_bytes", out.max_index_bytes);
  if (out.max_index_bytes.bytes < (1u << 10)) {
    if (auto v = m.Get("max_index_bytes")) {
      ok = v->Fail("must be at least 1KiB") && ok;
    }
  }
  m.Optional("max_reply", out.max_reply);
  if (out.max_reply.bytes < (1u << 10) || out.max_reply.bytes > (1ull << 31)) {
    if (auto v = m.Get("max_reply")) {
      ok = v->Fail("must be between 1KiB and 2GiB") && ok;
    }
  }
  m.Optional("snapshot", out.snapshot);
  m.Optional("max_frame", out.max_frame);
  if (out.max_frame.bytes < 64 || out.max_frame.bytes > (1ull << 31)) {
    if (auto v = m.Get("max_frame")) {
      ok = v->Fail("must be between 64B and 2GiB") && ok;
    }
  }
  for (auto [key, dst] : {std::pair<const char*, uint64_t*>{"queue_events", &out.queue_events},
                          {"subscriber_queue", &out.subscriber_queue},
                          {"max_connections", &out.max_connections}}) {
    if (auto v = m.Get(key)) {
      ok = ParsePositive(*v, *dst) && ok;
    }
  }
  if (auto v = m.Get("idle_timeout")) {
    ok = ParsePositive(*v, out.idle_timeout) && ok;
  }
  if (auto v = m.Get("write_timeout")) {
    ok = ParsePositive(*v, out.write_timeout) && ok;
  }
  m.Optional("graphite", out.graphite);
  m.Optional("forward", out.forward);
  m.Optional("webhook", out.webhook);
  m.Optional("tls", out.tls);
  if (auto v = m.Get("self_telemetry")) {
    if (v->value().is_scalar() && (v->value().scalar == "off" || v->value().scalar == "false")) {
      out.self_telemetry.reset();
    } else {
      Duration d{};
      if (ParsePositive(*v, d)) {
        out.self_telemetry = d;
      } else {
        ok = false;
      }
    }
  }
  std::optional<config::Field> streams = m.Get("streams");
  m.Finish();
  ok = ok && m.ok();
  if (!streams) {
    StreamSpec index;
    index.kind = "sink";
    index.params["name"] = {"index"};
    out.streams.push_back(index);
    return ok;
  }
  // Each top-level stream is built once now, so that every mistake is
  // reported at load time with its place.
  std::vector<std::string> names = SinkNames(out);
  struct NullSink final : StreamSink {
    void Accept(const Event&, int64_t) override {}
  };
  NullSink null_sink;
  SinkLookup lookup = [&](const std::string& name) -> StreamSink* {
    return std::find(names.begin(), names.end(), name) != names.end() ? &null_sink : nullptr;
  };
  for (const config::Field& item : streams->Items(/*allow_scalar=*/true)) {
    StreamSpec spec;
    if (!ParseStreamNode(item, spec)) {
      ok = false;
      continue;
    }
    auto built = BuildStream(spec, lookup);
    if (!built) {
      std::string why = built.error().ToString();
      if (why.find("no sink named \"graphite\"") != std::string::npos ||
          why.find("no sink named \"forward\"") != std::string::npos ||
          why.find("no sink named \"webhook\"") != std::string::npos) {
        why += " (add an events.graphite / events.forward / events.webhook section)";
      }
      item.Fail(why);
      ok = false;
      continue;
    }
    out.streams.push_back(std::move(spec));
  }
  return ok;
}

}  // namespace vigie::events
