#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace gs {

// The exit codes of CONTRACT.md. The numeric values are part of the public interface.
enum class ExitCode : int {
  ok = 0,
  differs = 1,      // compare only: some item differs
  usage = 2,        // usage or configuration error
  unreachable = 3,  // remote unreachable, authentication refused, sudo wants a password
  host_key = 4,     // host key unknown or changed
  refused = 5,      // refused for safety (integrity, schema, fresh install, disk space...)
  conflict = 6,     // conflict left unresolved
  locked = 7,       // another run holds the lock
  failure = 8,      // anything else
};

// The short reason the JSON output uses for `code` ("refused", "unreachable", ...).
const char* exit_code_reason(ExitCode code);

// The code that wins when items end with `a` and `b`: 8, then 5, then 6, then the rest.
ExitCode worse(ExitCode a, ExitCode b);

// What kind of failure an Error is, where a caller acts on more than its exit code (a
// caller never reads the message for that).
enum class ErrorKind {
  other,
  authentication,  // the remote refused every key we offered
  bad_copy,        // a copy to install failed a check there: the node that sent it is at fault
  maybe_changed,   // cut short where the change may already have been made (not "left as it was")
  set_by_env,      // a Pi-hole v6 value FTL holds read-only: an FTLCONF_ variable sets it there
};

// An expected failure: what went wrong, and the exit code it maps to.
struct Error {
  ExitCode code = ExitCode::failure;
  std::string message;
  ErrorKind kind = ErrorKind::other;
};

// Prefix `context` to the message of `error` ("pull gravity: " + "...").
Error with_context(Error error, const std::string& context);

// A value or an Error. Small on purpose: `ok()`, `value()`, `error()`.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Error& error() const { return std::get<Error>(data_); }

 private:
  std::variant<T, Error> data_;
};

// A Result with no value: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

// `result` as it is, or its error with `context` prefixed.
template <typename T>
Result<T> with_context(Result<T> result, const std::string& context) {
  if (result.ok()) return result;
  return with_context(result.error(), context);
}

// Shorthand for building an Error.
inline Error make_error(ExitCode code, std::string message, ErrorKind kind = ErrorKind::other) {
  return Error{code, std::move(message), kind};
}

}  // namespace gs
