// A small blocking HTTP/1.1 client for list downloads: GET with conditional
// headers (If-None-Match / If-Modified-Since), a deadline on the whole
// exchange, a body size cap and up to 3 redirects. http:// only. Beast stays
// inside http_fetch.cc.
//
// Thread rules: HttpGet runs its own io_context on the calling thread; call
// it from the list refresher, never from a worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace vigie::dns {

struct HttpFetchRequest {
  std::string url;            // http://host[:port]/path
  std::string etag;           // sent as If-None-Match when not empty
  std::string last_modified;  // sent as If-Modified-Since when not empty
  std::chrono::milliseconds timeout{10000};
  uint64_t max_bytes = uint64_t{256} << 20;
};

struct HttpFetchResponse {
  int status = 0;  // 200, or 304 when the conditional headers matched
  std::string body;
  std::string etag;
  std::string last_modified;
};

// Errors: bad URL (kInvalidArgument), unreachable host / reset (kUnavailable),
// deadline (kTimeout), body over max_bytes (kLimitExceeded); an HTTP status
// other than 200/304 is an error (kUnavailable) naming the status.
Result<HttpFetchResponse> HttpGet(const HttpFetchRequest& request);

}  // namespace vigie::dns
