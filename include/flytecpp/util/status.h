// Status and Result<T>: the one error type of flytecpp.
//
// Every fallible call at a library boundary returns Status or Result<T>. A
// Status is a code plus a message that names the thing that is wrong (file,
// node id, field). Only the CLI turns a Status into an exit code and stderr.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace flytecpp {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: malformed file, wrong type, bad value
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a named thing exists with different content
  kFailedPrecondition,  // the system is not in a state to do this
  kUnimplemented,       // valid request we do not support (yet)
  kIoError,             // the operating system refused (open, write, rename)
  kInternal,            // a bug in flytecpp
  kAborted,             // the operation was cancelled
  kPermissionDenied,    // the caller may not (a wrong or expired signed URL)
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<message>" for errors; "OK" for success.
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>".
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string msg) {
  return Status(StatusCode::kInvalidArgument, std::move(msg));
}
inline Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status AlreadyExists(std::string msg) {
  return Status(StatusCode::kAlreadyExists, std::move(msg));
}
inline Status FailedPrecondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status Unimplemented(std::string msg) {
  return Status(StatusCode::kUnimplemented, std::move(msg));
}
inline Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
inline Status Aborted(std::string msg) { return Status(StatusCode::kAborted, std::move(msg)); }
inline Status PermissionDenied(std::string msg) {
  return Status(StatusCode::kPermissionDenied, std::move(msg));
}

// A value or a non-OK Status. Accessing value() of an error is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // By value on temporaries, so `for (auto& x : *F())` does not dangle.
  T operator*() && { return std::move(value()); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace flytecpp

// Evaluates `expr` (a Status); returns it from the enclosing function if not OK.
#define FLYTECPP_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::flytecpp::Status flytecpp_status_ = (expr);        \
    if (!flytecpp_status_.ok()) return flytecpp_status_; \
  } while (0)

#define FLYTECPP_CONCAT_INNER_(a, b) a##b
#define FLYTECPP_CONCAT_(a, b) FLYTECPP_CONCAT_INNER_(a, b)

// Declares `lhs` from a Result-returning `expr`, or returns its Status.
#define FLYTECPP_ASSIGN_OR_RETURN(lhs, expr) \
  FLYTECPP_ASSIGN_OR_RETURN_IMPL_(FLYTECPP_CONCAT_(flytecpp_result_, __LINE__), lhs, expr)
#define FLYTECPP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
