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

Result<void> LoadHosts(HttpProxyConfig& out) {
  if (!out.hosts_file.empty()) {
    VIGIE_ASSIGN_OR_RETURN(auto hosts, HostsTable::Load(out.hosts_file));
    out.hosts = std::make_shared<const HostsTable>(std::move(hosts));
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
