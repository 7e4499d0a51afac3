// flytecpp's Status and gRPC's, mapped once and used both ways: by the
// server (a Status becomes the call's answer), its HTTP gateway (a gRPC
// answer becomes an HTTP status) and the gRPC client (an answer becomes a
// Status again). A round trip keeps the code and the message.
#pragma once

#include <grpcpp/support/status.h>

#include "flytecpp/util/status.h"

namespace flytecpp::admin {

grpc::Status ToGrpc(const Status& st);
// Codes with no Status of their own (UNAVAILABLE, DEADLINE_EXCEEDED,
// UNAUTHENTICATED, ...) become FailedPrecondition: the server or the
// connection, not the request. The message is made one line.
Status FromGrpc(const grpc::Status& st);

// Whether an answer with this code is about the server or the connection
// (unreachable, timed out, refused the caller) rather than the request.
bool IsTransportCode(grpc::StatusCode code);

}  // namespace flytecpp::admin
