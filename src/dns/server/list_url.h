// The URLs of block lists and where their redirects lead: the pure part of
// the list downloader (http_fetch.h), fuzzed because a list server (or
// whoever answers in its name) chooses the Location headers.
//
// Thread rules: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace vigie::dns {

struct ListUrl {
  bool tls = false;
  std::string origin;  // "https://host:port" as written, for relative redirects
  std::string host;    // without IPv6 brackets
  std::string port;
  std::string target = "/";
};

// "http://host[:port][/path]" or "https://...". Errc::kInvalidArgument for
// other schemes, credentials ("user@"), an empty host or port, a bad
// bracketed host; the message names the URL.
Result<ListUrl> ParseListUrl(std::string_view url);

// Where a Location header points, made absolute against the URL it came
// from: absolute URLs (a scheme before any /?#) as they are, "//host/x" with
// the same scheme, "/x" on the same origin, anything else relative to the
// target's directory (RFC 3986 §5.2.3). The caller parses the result
// again (and refuses an https -> http step).
std::string ResolveLocation(const ListUrl& from, std::string_view location);

}  // namespace vigie::dns
