// Fuzz target: a list URL (first line) and a Location header a list server
// sends back (the rest). ParseListUrl and ResolveLocation never crash; a
// relative or origin-relative Location stays on the same origin and scheme,
// so a redirect can only leave the server by naming another one.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "dns/server/list_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view url = in.substr(0, nl);
  std::string_view location = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  auto from = vigie::dns::ParseListUrl(url);
  if (!from) {
    return 0;
  }
  VIGIE_CHECK(!from->host.empty() && !from->port.empty(), "parsed URL without host or port");
  VIGIE_CHECK(from->target.starts_with('/'), "target without a leading slash");
  std::string next = vigie::dns::ResolveLocation(*from, location);
  const size_t colon = location.find(':');
  const bool has_scheme =
      colon != std::string_view::npos && colon > 0 && colon < location.find_first_of("/?#");
  const bool names_another = has_scheme || location.starts_with("//");
  if (!names_another) {
    VIGIE_CHECK(next.starts_with(from->origin), "a relative redirect left the origin");
    auto again = vigie::dns::ParseListUrl(next);
    if (again) {
      VIGIE_CHECK(again->tls == from->tls, "a relative redirect changed the scheme");
    }
  } else if (location.starts_with("//")) {
    VIGIE_CHECK(next.starts_with(from->tls ? "https://" : "http://"),
                "a scheme-relative redirect changed the scheme");
  }
  return 0;
}
