#include "grpc_status.h"

#include <algorithm>

#include "flytecpp/util/text.h"

namespace flytecpp::admin {

namespace {

struct CodePair {
  StatusCode ours;
  grpc::StatusCode theirs;
};

// One table, read both ways.
constexpr CodePair kCodes[] = {
    {StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
    {StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
    {StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
    {StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
    {StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
    {StatusCode::kAborted, grpc::StatusCode::ABORTED},
    {StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
    {StatusCode::kInternal, grpc::StatusCode::INTERNAL},
    {StatusCode::kIoError, grpc::StatusCode::INTERNAL},
};

}  // namespace

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  for (const auto& pair : kCodes) {
    if (pair.ours == st.code()) return grpc::Status(pair.theirs, st.message());
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, st.message());
}

bool IsTransportCode(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::UNAUTHENTICATED || code == grpc::StatusCode::PERMISSION_DENIED ||
         code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
         code == grpc::StatusCode::UNKNOWN;
}

Status FromGrpc(const grpc::Status& st) {
  if (st.ok()) return Status::Ok();
  std::string message = OneLine(st.error_message());
  if (!IsTransportCode(st.error_code())) {
    for (const auto& pair : kCodes) {  // the first pair for a code is its own
      if (pair.theirs == st.error_code()) return Status(pair.ours, std::move(message));
    }
  }
  return FailedPrecondition(std::move(message));
}

}  // namespace flytecpp::admin
