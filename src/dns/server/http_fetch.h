// A small blocking HTTP/1.1 client for list downloads, over plain TCP
// (http://) or TLS (https://, OpenSSL): GET with conditional headers
// (If-None-Match / If-Modified-Since), one deadline on the whole download
// (resolve aside: connect, handshake, request, response and redirects), a
// body size cap and up to 3 redirects. Beast stays inside http_fetch.cc.
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
  std::string url;            // http://host[:port]/path or https://host[:port]/path
  std::string etag;           // sent as If-None-Match when not empty
  std::string last_modified;  // sent as If-Modified-Since when not empty
  // https:// only: PEM file of the CAs to trust; empty: the system's trust
  // store. The server's certificate is always verified, chain and name.
  std::string ca_file;
  std::chrono::milliseconds timeout{10000};
  uint64_t max_bytes = uint64_t{256} << 20;
};

struct HttpFetchResponse {
  int status = 0;  // 200, or 304 when the conditional headers matched
  std::string body;
  std::string etag;
  std::string last_modified;
};

// Errors (each names the URL): bad URL or an unreadable ca_file
// (kInvalidArgument), unreachable host / reset / a TLS handshake or
// certificate verification failure with OpenSSL's reason (kUnavailable),
// deadline (kTimeout), body over max_bytes (kLimitExceeded); an HTTP status
// other than 200/304, too many redirects or a redirect from https:// to
// http:// are errors (kUnavailable).
Result<HttpFetchResponse> HttpGet(const HttpFetchRequest& request);

}  // namespace vigie::dns
