#include "dns/server/list_url.h"

namespace vigie::dns {

Result<ListUrl> ParseListUrl(std::string_view url) {
  ListUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    out.port = "80";
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out.port = "443";
    out.tls = true;
  } else {
    return Error(vigie::Errc::kInvalidArgument,
                 "only http:// and https:// URLs are supported: " + std::string(url));
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.origin = std::string(url.substr(0, url.size() - rest.size())) + std::string(authority);
  if (slash != std::string_view::npos) {
    out.target = std::string(rest.substr(slash));
  }
  if (authority.find('@') != std::string_view::npos) {
    return Error(vigie::Errc::kInvalidArgument,
                 "credentials in list URLs are not supported: " + std::string(url));
  }
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error(vigie::Errc::kInvalidArgument, "bad URL host: " + std::string(url));
    }
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Error(vigie::Errc::kInvalidArgument, "bad URL host: " + std::string(url));
      }
      out.port = std::string(authority.substr(close + 2));
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty() || out.port.empty()) {
    return Error(vigie::Errc::kInvalidArgument, "bad URL: " + std::string(url));
  }
  return out;
}

std::string ResolveLocation(const ListUrl& from, std::string_view location) {
  // An absolute URL has a scheme: letters before a ':' that comes before
  // any '/', '?' or '#' (RFC 3986 §3.1, §4.2); "a?u=http://b" is relative.
  const size_t colon = location.find(':');
  if (colon != std::string_view::npos && colon > 0 && colon < location.find_first_of("/?#")) {
    return std::string(location);
  }
  if (location.starts_with("//")) {
    return (from.tls ? "https:" : "http:") + std::string(location);
  }
  if (location.starts_with("/")) {
    return from.origin + std::string(location);
  }
  // Relative to the directory of the current target (RFC 3986 §5.2.3).
  std::string dir = from.target.substr(0, from.target.find_first_of("?#"));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return from.origin + dir + std::string(location);
}

}  // namespace vigie::dns
