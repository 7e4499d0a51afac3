// The commands with --server: the same commands, against a FlyteAdmin server
// (flytecpp serve, or flyteadmin) instead of the local store. What the API
// answers is turned into the store's records, so the commands print it as
// they print their own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/package.h"
#include "flytecpp/store/store.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"

namespace flytecpp::cli {

namespace admin = flyteidl::admin;
namespace core = flyteidl::core;

struct RemoteArgs {
  std::string server;  // gRPC host:port; empty: the local store
  std::string token_file, tls_ca;
  std::string project = "flytesnacks", domain = "development";
};

// flytectl's hydration: every core.Identifier in `m` gets the project,
// domain and version where it has none (or a {{ registration.* }}
// placeholder); `missing_version` is set if one needed a version and
// `version` is empty.
void Hydrate(google::protobuf::Message* m, const RemoteArgs& a, const std::string& version,
             bool* missing_version);

// --server, --token-file, --tls-ca, --project, --domain on `cmd`.
void AddRemoteOptions(CLI::App* cmd, RemoteArgs* args);

class Remote {
 public:
  // A channel to args.server (TLS with args.tls_ca), with its token. Bad
  // files are errors here; an unreachable server is one at the first call.
  static Result<std::unique_ptr<Remote>> Connect(const RemoteArgs& args);

  const RemoteArgs& args() const { return args_; }
  const std::string& token() const { return token_; }  // from --token-file; empty: none
  core::WorkflowExecutionIdentifier ExecutionId(const std::string& name) const;

  // One call: `method` of `stub` with a deadline and the token. Errors name
  // the server; an unreachable server, a refused token or a timeout say so.
  template <typename Stub, typename Request, typename Response>
  Status Call(Stub* stub,
              grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
              const Request& request, Response* response) {
    grpc::ClientContext context;
    Prepare(&context);
    return Converted((stub->*method)(&context, request, response));
  }
  flyteidl::service::AdminService::Stub* admin() { return admin_.get(); }
  flyteidl::service::SignalService::Stub* signals() { return signals_.get(); }

  // Reads, as the store's records. With `data`, an execution's inputs and outputs.
  Result<store::ExecutionRecord> GetExecution(const std::string& name, bool data);
  Result<std::vector<store::ExecutionRecord>> ListExecutions();              // newest first
  Result<std::vector<store::NodeRecord>> GetNodes(const std::string& name);  // every level
  Result<std::vector<engine::SignalState>> Signals(const std::string& name);
  // The attempts of node `path`, oldest first.
  Result<std::vector<admin::TaskExecution>> Attempts(const std::string& name,
                                                     const std::string& path);

  // Registers the package's entities (hydrated with the project, domain and
  // `version`), as `flytectl register files` does; identical ones already
  // there count as registered. `report` hears of each.
  Status Register(idl::Package package, const std::string& version, const std::string& where,
                  const std::function<void(const std::string& what, bool existed)>& report);

  // Polls until the execution ends (phase SUCCEEDED, FAILED, ABORTED, TIMED_OUT).
  Result<store::ExecutionRecord> WaitForEnd(const std::string& name);

 private:
  explicit Remote(RemoteArgs args) : args_(std::move(args)) {}
  void Prepare(grpc::ClientContext* context) const;
  Status Converted(const grpc::Status& st) const;

  RemoteArgs args_;
  std::string token_;
  std::unique_ptr<flyteidl::service::AdminService::Stub> admin_;
  std::unique_ptr<flyteidl::service::SignalService::Stub> signals_;
};

}  // namespace flytecpp::cli
