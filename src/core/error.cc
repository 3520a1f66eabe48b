// The core error category and Error's formatting.
#include "core/error.h"

#include <stdexcept>

#include <boost/throw_exception.hpp>

namespace vigie {
namespace {

class CoreErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "vigie"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk:
        return "ok";
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kNotFound:
        return "not found";
      case Errc::kAlreadyExists:
        return "already exists";
      case Errc::kLimitExceeded:
        return "limit exceeded";
      case Errc::kTimeout:
        return "timed out";
      case Errc::kUnavailable:
        return "unavailable";
      case Errc::kPermissionDenied:
        return "permission denied";
      case Errc::kIo:
        return "i/o error";
      case Errc::kUnsupported:
        return "unsupported";
      case Errc::kCancelled:
        return "cancelled";
    }
    return "unknown error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& CoreCategory() {
  static const CoreErrorCategory category;
  return category;
}

std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), CoreCategory()};
}

std::string Error::ToString() const {
  if (context_.empty()) {
    return code_.message();
  }
  // Parsers put the whole story in the context; repeating "invalid
  // argument" after it adds nothing.
  if (code_ == Errc::kInvalidArgument) {
    return context_;
  }
  return context_ + ": " + code_.message();
}

Error Error::WithContext(std::string_view outer) && {
  std::string joined(outer);
  if (!context_.empty()) {
    joined += ": ";
    joined += context_;
  }
  context_ = std::move(joined);
  return std::move(*this);
}

void throw_exception_from_error(const Error& e, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(e.ToString()), loc);
}

}  // namespace vigie
