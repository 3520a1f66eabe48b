// vigie::Result<T> and vigie::Error: how vigie reports what the outside world
// can cause (bad input, resets, timeouts, bad config), plus the propagation
// macros. Program invariants use VIGIE_CHECK (core/check.h) instead.
//
// Thread rules: all types here are values; no shared state.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <boost/system/result.hpp>

namespace vigie {

// An error: a std::error_code (what kind of failure, comparable across
// components) plus a human context naming the place ("10.0.0.1:53: timed out").
class Error {
 public:
  Error() = default;
  // Implicit on purpose: `return std::make_error_code(...)` reads naturally.
  Error(std::error_code code) : code_(code) {}  // NOLINT(google-explicit-constructor)
  Error(std::error_code code, std::string context) : code_(code), context_(std::move(context)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit like the one above.
  template <class E>
  requires std::is_error_code_enum_v<E> Error(E e)  // NOLINT(google-explicit-constructor)
      : code_(make_error_code(e)) {}
  template <class E>
  requires std::is_error_code_enum_v<E> Error(E e, std::string context)
      : code_(make_error_code(e)), context_(std::move(context)) {}

  const std::error_code& code() const { return code_; }
  const std::string& context() const { return context_; }

  // "context: message", or the message alone when there is no context.
  std::string ToString() const;

  // Prefixes more context: WithContext("reading x") on "y: z" gives "reading x: y: z".
  Error WithContext(std::string_view outer) &&;

  friend bool operator==(const Error& a, const Error& b) { return a.code_ == b.code_; }

 private:
  std::error_code code_;
  std::string context_;
};

// Used by boost::system::result::value() when it is called on an error.
[[noreturn]] void throw_exception_from_error(
    const Error& e,  // NOLINT(readability-identifier-naming)
    const boost::source_location& loc);

template <class T = void>
using Result = boost::system::result<T, Error>;

// Errors shared by every component. Components add their own categories for
// what is theirs alone (dns::Errc, ...).
enum class Errc {
  kOk = 0,
  kInvalidArgument = 1,  // malformed input
  kNotFound,
  kAlreadyExists,
  kLimitExceeded,  // a bound on size, count or depth was hit
  kTimeout,
  kUnavailable,  // a peer or resource could not be reached
  kPermissionDenied,
  kIo,
  kUnsupported,
  kCancelled,
};

const std::error_category& CoreCategory();
std::error_code make_error_code(Errc e);  // NOLINT(readability-identifier-naming): ADL hook

}  // namespace vigie

template <>
struct std::is_error_code_enum<vigie::Errc> : std::true_type {};

#define VIGIE_CONCAT_INNER_(a, b) a##b
#define VIGIE_CONCAT_(a, b) VIGIE_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result) from the enclosing function.
#define VIGIE_TRY(expr)                            \
  do {                                             \
    auto&& vigie_try_result_ = (expr);             \
    if (!vigie_try_result_) {                      \
      return std::move(vigie_try_result_).error(); \
    }                                              \
  } while (false)

// `lhs` is a declaration and `ret` a keyword: neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define VIGIE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                      \
  if (!tmp) {                                             \
    ret std::move(tmp).error();                           \
  }                                                       \
  lhs = std::move(*tmp)
// NOLINTEND(bugprone-macro-parentheses)

// `VIGIE_ASSIGN_OR_RETURN(auto x, Parse(y));` declares x from the value of a
// Result, or returns its error.
#define VIGIE_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIE_ASSIGN_OR_RETURN_IMPL_(VIGIE_CONCAT_(vigie_aor_, __LINE__), lhs, expr, return )

// Coroutine variants: a plain `return` is ill-formed in a coroutine.
#define VIGIE_CO_TRY(expr)                            \
  do {                                                \
    auto&& vigie_try_result_ = (expr);                \
    if (!vigie_try_result_) {                         \
      co_return std::move(vigie_try_result_).error(); \
    }                                                 \
  } while (false)

#define VIGIE_CO_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIE_ASSIGN_OR_RETURN_IMPL_(VIGIE_CONCAT_(vigie_aor_, __LINE__), lhs, expr, co_return )
