// The forward proxy's error codes: each names the HTTP status the proxy
// answers with when a request head fails (400, 414, 431, 501, 505).
//
// Thread rules: the category is a process-wide constant.
#pragma once

#include <string_view>
#include <system_error>

#include "core/error.h"

namespace vigie::egress::http {

// The value of each code is the HTTP status it maps to.
enum class HttpErrc {
  kBadRequest = 400,
  kUriTooLong = 414,
  kHeadersTooLarge = 431,
  kNotImplemented = 501,
  kVersionNotSupported = 505,
};

const std::error_category& HttpCategory();
std::error_code make_error_code(HttpErrc e);  // NOLINT(readability-identifier-naming): ADL hook

// The status to answer with for an error from this folder's parsers: the
// HttpErrc value, 431 for Errc::kLimitExceeded, else 400.
int StatusForError(const Error& error);

// "Bad Request", "Forbidden", ... ("Unknown" for codes not listed).
std::string_view ReasonPhrase(int status);

}  // namespace vigie::egress::http

template <>
struct std::is_error_code_enum<vigie::egress::http::HttpErrc> : std::true_type {};
