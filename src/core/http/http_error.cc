// The HTTP error category and reason phrases.
#include "core/http/http_error.h"

#include <string>

namespace vigie::http {
namespace {

class HttpErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "http"; }
  std::string message(int ev) const override {
    return std::to_string(ev) + " " + std::string(ReasonPhrase(ev));
  }
};

}  // namespace

const std::error_category& HttpCategory() {
  static const HttpErrorCategory category;
  return category;
}

std::error_code make_error_code(HttpErrc e) {
  return {static_cast<int>(e), HttpCategory()};
}

int StatusForError(const Error& error) {
  if (error.code().category() == HttpCategory()) {
    return error.code().value();
  }
  if (error.code() == Errc::kLimitExceeded) {
    return 431;
  }
  return 400;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace vigie::http
