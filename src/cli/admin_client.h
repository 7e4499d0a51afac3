// The admin layer a command reads and writes through: --server's (over
// gRPC, to flytecpp serve or flyteadmin), else the local store's (in
// process). One code path for both; each command prints admin protos once.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "engine_env.h"
#include "flytecpp/admin/admin_api.h"
#include "flytecpp/idl/package.h"

namespace flytecpp::cli {

namespace admin = flyteidl::admin;
namespace core = flyteidl::core;

struct AdminArgs {
  std::string server;  // gRPC host:port; empty: the local store
  std::string token_file, tls_ca;
  std::string project = "flytesnacks", domain = "development";
};

// flytectl's hydration: every core.Identifier in `m` gets the project,
// domain and version where it has none (or a {{ registration.* }}
// placeholder); `missing_version` is set if one needed a version and
// `version` is empty.
void Hydrate(google::protobuf::Message* m, const AdminArgs& a, const std::string& version,
             bool* missing_version);

// --server, --token-file, --tls-ca, --project, --domain on `cmd`.
void AddAdminOptions(CLI::App* cmd, AdminArgs* args);

class AdminClient {
 public:
  // --server's admin layer (bad --token-file/--tls-ca files are errors
  // here; an unreachable server is one at the first call), else the local
  // store's, whose engine is made on the first call that needs one.
  static Result<std::unique_ptr<AdminClient>> Open(const CliEnv& env, const AdminArgs& args);

  flytecpp::admin::AdminApi& api() { return *api_; }
  const AdminArgs& args() const { return args_; }
  const std::string& token() const { return token_; }  // from --token-file; empty: none
  // "server HOST:PORT" or "the local store": where answers come from.
  std::string Where() const;
  core::WorkflowExecutionIdentifier ExecutionId(const std::string& name) const;

  // What FlyteAdmin's API does not carry (leases, array elements, the
  // events themselves, signals' origins): the local store, or nullptr with
  // --server; an error if the local store cannot be opened.
  Result<store::Store*> local_store();
  // The local engine (made on first use), or nullptr with --server.
  Result<engine::Engine*> local_engine();

  // Reads, every page.
  Result<admin::Execution> GetExecution(const std::string& name);
  Result<admin::WorkflowExecutionGetDataResponse> GetExecutionData(const std::string& name);
  Result<std::vector<admin::Execution>> ListExecutions();  // newest first
  // Every node at every level, as the store lists them (by when queued).
  Result<std::vector<admin::NodeExecution>> ListNodes(const std::string& name);
  Result<std::vector<admin::Signal>> ListSignals(const std::string& name);
  // The task attempts of node `path`, oldest first.
  Result<std::vector<admin::TaskExecution>> ListAttempts(const std::string& name,
                                                         const std::string& path);

  // Registers the package's entities (hydrated with the project, domain and
  // `version`), as `flytectl register files` does; identical ones already
  // there count as registered. `report` hears of each.
  Status Register(idl::Package package, const std::string& version, const std::string& where,
                  const std::function<void(const std::string& what, bool existed)>& report);

  // Polls until the execution ends (phase SUCCEEDED, FAILED, ABORTED, TIMED_OUT).
  Result<admin::Execution> WaitForEnd(const std::string& name);

 private:
  AdminClient(const CliEnv& env, AdminArgs args) : env_(env), args_(std::move(args)) {}

  const CliEnv& env_;
  AdminArgs args_;
  std::string token_;
  std::unique_ptr<EngineEnv> local_;  // made on first need; outlives api_
  std::unique_ptr<store::Store> local_store_;
  std::unique_ptr<flytecpp::admin::AdminApi> api_;
};

}  // namespace flytecpp::cli
