// HTTP/1 parse errors: each code names the HTTP status a server answers with
// when what it read fails (400, 414, 431, 501, 505; 502 for what a server sent).
//
// Thread rules: the category is a process-wide constant.
#pragma once

#include <string_view>
#include <system_error>

#include "core/error.h"

namespace vigie::http {

// The value of each code is the HTTP status it maps to.
enum class HttpErrc {
  kBadRequest = 400,
  kUriTooLong = 414,
  kHeadersTooLarge = 431,
  kNotImplemented = 501,
  kBadGateway = 502,  // a malformed response head or framing from a server
  kVersionNotSupported = 505,
};

const std::error_category& HttpCategory();
std::error_code make_error_code(HttpErrc e);  // NOLINT(readability-identifier-naming): ADL hook

// The status to answer a request with for an error from an HTTP parser: the
// HttpErrc value, 431 for Errc::kLimitExceeded, else 400.
int StatusForError(const Error& error);

// "Bad Request", "Forbidden", ... ("Unknown" for codes not listed).
std::string_view ReasonPhrase(int status);

}  // namespace vigie::http

template <>
struct std::is_error_code_enum<vigie::http::HttpErrc> : std::true_type {};
