// Parsing of the `egress.http_proxy` section.
#include "egress/proxy/config.h"

#include <fstream>

namespace vigie::egress::proxy {

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(Errc::kNotFound, "cannot read " + path);
  std::string text;
  text.resize(kMaxEnvValueBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxEnvValueBytes)
    return Error(Errc::kLimitExceeded, path + " is larger than 1 MiB");
  return text;
}

namespace {

// The field `key` of map field `f`, for errors found after reading.
config::Field SubField(const config::Field& f, std::string_view key) {
  const config::Value* v = f.value().Find(key);
  return v == nullptr ? f : config::Field(*v, f.path() + "." + std::string(key), f.diag());
}

}  // namespace

std::string DescribeSpecError(const Error& error, const ErrorLocation& where,
                              std::string_view source) {
  std::string out(source);
  if (where.line > 0)
    out += (source.empty() ? "line " : " line ") + std::to_string(where.line);
  if (!out.empty())
    out += ": ";
  return out + error.ToString();
}

Result<void> LoadDestination(HttpProxyConfig& out) {
  std::string text = out.destination;
  std::string source = "destination";
  if (!out.destination_file.empty()) {
    VIGIE_ASSIGN_OR_RETURN(text, ReadSmallFile(out.destination_file));
    source = out.destination_file;
  }
  ErrorLocation where;
  auto spec = ParseHttpProxyDestination(text, &where);
  if (!spec)
    return Error(spec.error().code(), DescribeSpecError(spec.error(), where, source));
  out.spec = std::move(*spec);
  return {};
}

Result<std::shared_ptr<const HostsTable>> LoadHostsFile(const std::string& path) {
  std::vector<std::string> problems;
  auto table = HostsTable::Load(path, &problems);
  if (!table) {
    if (table.error().code() == Errc::kNotFound)
      return Error(Errc::kNotFound, "cannot read hosts file " + path);
    return table.error();
  }
  // glibc skips a bad line; a configured file is refused whole instead, so
  // a typo is seen at (re)load rather than as a name that does not resolve.
  if (!problems.empty())
    return Error(Errc::kInvalidArgument, path + ": " + problems.front());
  return std::make_shared<const HostsTable>(std::move(*table));
}

ResolverOptions ProxyResolverOptions(const HttpProxyConfig& config) {
  ResolverOptions o;
  o.servers = config.nameservers;
  o.hosts = config.hosts;
  if (!config.hosts_file.empty() || !config.nameservers.empty()) {
    // Configured: /etc/hosts and resolv.conf are never consulted.
    o.hosts_file.clear();
    o.resolv_conf.clear();
  }
  o.timeout = config.resolve_timeout;
  if (!config.nameservers.empty()) {
    o.try_timeout = config.resolve_timeout / static_cast<int>(config.nameservers.size());
    o.attempts = 1;
  }
  // Every request asks afresh, as before the shared resolver: a changed
  // record is seen by the next request.
  o.cache_entries = 0;
  return o;
}

Result<void> LoadHosts(HttpProxyConfig& out) {
  if (!out.hosts_file.empty()) {
    VIGIE_ASSIGN_OR_RETURN(out.hosts, LoadHostsFile(out.hosts_file));
  } else {
    out.hosts.reset();
  }
  return {};
}

Result<void> LoadReferencedFiles(HttpProxyConfig& out) {
  VIGIE_TRY(LoadDestination(out));
  return LoadHosts(out);
}

bool ParseValue(const config::Field& f, HttpProxyConfig& out) {
  auto m = f.AsMap();
  m.Optional("listen", out.listen, AddressOptions{.default_port = 8080});
  m.Optional("destination", out.destination);
  m.Optional("destination_file", out.destination_file);
  m.Optional("allow_clients", out.allow_clients);
  m.Optional("hosts_file", out.hosts_file);
  m.Optional("nameservers", out.nameservers,
             AddressOptions{.allow_any_host = false, .default_port = 53});
  m.Optional("resolve_timeout", out.resolve_timeout, BareUnit::kSeconds);
  m.Optional("via", out.via);
  m.Optional("forwarded_for", out.forwarded_for);
  m.Optional("access_log", out.access_log);
  m.Optional("max_connections", out.max_connections);
  m.Optional("max_header_bytes", out.max_header_bytes);
  m.Optional("request_timeout", out.request_timeout, BareUnit::kSeconds);
  m.Optional("idle_timeout", out.idle_timeout, BareUnit::kSeconds);
  m.Optional("connect_timeout", out.connect_timeout, BareUnit::kSeconds);
  m.Optional("response_timeout", out.response_timeout, BareUnit::kSeconds);
  m.Optional("tunnel_idle_timeout", out.tunnel_idle_timeout, BareUnit::kSeconds);
  m.Optional("tunnel_splice", out.tunnel_splice);
  bool has_inline = m.Has("destination");
  bool has_file = m.Has("destination_file");
  m.Finish();
  bool ok = m.ok();
  if (!ok)
    return false;
  if (has_inline == has_file)
    return f.Fail(
        "write exactly one of destination (the EGRESS_HTTP_PROXY_DESTINATION text) "
        "or destination_file");
  if (out.max_header_bytes.bytes < 1024 || out.max_header_bytes.bytes > 1024 * 1024)
    return SubField(f, "max_header_bytes").Fail("must be within 1KiB..1MiB");
  if (out.max_connections < 1 || out.max_connections > 1000000)
    return SubField(f, "max_connections").Fail("must be within 1..1000000");
  if (auto r = LoadDestination(out); !r)
    return SubField(f, has_file ? "destination_file" : "destination").Fail(r.error().ToString());
  if (auto r = LoadHosts(out); !r)
    return SubField(f, "hosts_file").Fail(r.error().ToString());
  return true;
}

}  // namespace vigie::egress::proxy

namespace vigie::egress::http {

bool ParseValue(const config::Field& f, ForwardedFor& out) {
  return config::ParseEnum(f, out,
                           {{"on", ForwardedFor::kOn},
                            {"off", ForwardedFor::kOff},
                            {"transparent", ForwardedFor::kTransparent},
                            {"truncate", ForwardedFor::kTruncate},
                            {"delete", ForwardedFor::kDelete}});
}

}  // namespace vigie::egress::http
