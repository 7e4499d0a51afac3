// Executions through the API, as flyteadmin creates and reports them: a
// launch plan's (or a single task's, flytekit's remote.execute(task)) run on
// the server's engine under (project, domain, name); read back from the
// store.
//
// Thread-safe: reads are serialized on the service's own store; the engine
// takes commands from any thread.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "flytecpp/admin/admin_api.h"
#include "flytecpp/engine/engine.h"
#include "flyteidl/admin/execution.pb.h"
#include "flyteidl/admin/node_execution.pb.h"
#include "flyteidl/admin/signal.pb.h"
#include "flyteidl/admin/task_execution.pb.h"
#include "registry.h"

namespace flytecpp::admin {

// What a data URI names (Executions::Blob): a file, read as it is sent (blobs
// may be large), or the bytes of small data the store keeps in its database
// (store.h).
struct BlobData {
  std::filesystem::path file;        // when not `bytes`
  std::optional<std::string> bytes;  // with `name` for the download
  std::string name;
};

// How an execution is created beyond its request.
struct CreateOptions {
  // An execution's name: what succeeded there is reused (RecoverExecution).
  std::string recover_from;
  // A schedule's slot it fires, recorded with it (scheduler.h).
  std::optional<store::ScheduleMark> schedule_mark;
};

class Executions {
 public:
  // `engine`: asked for on the first call that runs or changes an execution.
  Executions(Registry& registry, EngineSource engine, std::unique_ptr<store::Store> store);

  Result<flyteadmin::ExecutionCreateResponse> Create(
      const flyteadmin::ExecutionCreateRequest& request, const CreateOptions& options = {});
  Result<flyteadmin::Execution> Get(const core::WorkflowExecutionIdentifier& id);
  Result<flyteadmin::WorkflowExecutionGetDataResponse> GetData(
      const core::WorkflowExecutionIdentifier& id);
  Result<flyteadmin::ExecutionList> List(const flyteadmin::ResourceListRequest& request);
  Status Terminate(const flyteadmin::ExecutionTerminateRequest& request);
  // The same launch plan (or task) with the same inputs, under a new name;
  // its metadata says RELAUNCH of the original.
  Result<flyteadmin::ExecutionCreateResponse> Relaunch(
      const flyteadmin::ExecutionRelaunchRequest& request);
  // The same again, reusing the outputs of the nodes that succeeded in the
  // original (RECOVERED); marked RECOVERED of the original.
  Result<flyteadmin::ExecutionCreateResponse> Recover(
      const flyteadmin::ExecutionRecoverRequest& request);

  // Node executions: a node's path in its execution is its id (`n1/n0`
  // inside sub-workflow node n1); without unique_parent_id, the top level.
  Result<flyteadmin::NodeExecutionList> ListNodes(
      const flyteadmin::NodeExecutionListRequest& request);
  Result<flyteadmin::NodeExecution> GetNode(const core::NodeExecutionIdentifier& id);
  // Inputs, outputs and, for a dynamic task, the workflow it generated.
  Result<flyteadmin::NodeExecutionGetDataResponse> GetNodeData(
      const core::NodeExecutionIdentifier& id);
  Result<flyteadmin::DynamicNodeWorkflowResponse> GetDynamicWorkflow(
      const core::NodeExecutionIdentifier& id);
  // Task executions: a task node's attempts, from its events.
  Result<flyteadmin::TaskExecutionList> ListTasks(
      const flyteadmin::TaskExecutionListRequest& request);
  Result<flyteadmin::TaskExecution> GetTask(const core::TaskExecutionIdentifier& id);
  Result<flyteadmin::TaskExecutionGetDataResponse> GetTaskData(
      const core::TaskExecutionIdentifier& id);

  // Task logs: with a base URL ("http://host:8088"), TaskExecution closures
  // link to `<base>/logs/<project>/<domain>/<name>/<node>/<attempt>/<stream>`
  // (each part percent-encoded), which LogFile resolves for the HTTP
  // gateway; without one, to the files themselves (file://). Thread-safe:
  // a server knows its HTTP address only once that listens, after gRPC
  // calls may have begun.
  void set_log_base_url(std::string base) {
    std::lock_guard<std::mutex> lock(mu_);
    log_base_url_ = std::move(base);
  }
  // The log file `rest` (what follows /logs/) names, if it is a log of an
  // attempt of a node of one of the server's executions (which may not
  // exist: the attempt has printed nothing there yet).
  Result<std::filesystem::path> LogFile(const std::string& rest);
  // Whether the attempt whose log `rest` names has ended (its node ended, or
  // a later attempt began): a followed log ends then.
  Result<bool> LogFinished(const std::string& rest);
  // The data a URI names (file://PATH or PATH) under the store's data
  // directory: its file, else the small data the store keeps in its
  // database under that name (an input_uri, an output_uri). What GET
  // /blobs?uri= serves. Anything else is NotFound, so no file outside the
  // data is ever served.
  Result<BlobData> Blob(const std::string& uri);

  // Signals (SignalService): what gates wait for. `origin` says who set it,
  // `reason` why (a rejection's).
  Status SetSignal(const flyteadmin::SignalSetRequest& request, const std::string& origin,
                   const std::string& reason = "");
  Result<flyteadmin::SignalList> ListSignals(const flyteadmin::SignalListRequest& request);
  Result<flyteadmin::Signal> GetOrCreateSignal(const flyteadmin::SignalGetOrCreateRequest& request);

 private:
  // A node execution as lists give it (no cache status). Requires mu_.
  Result<flyteadmin::NodeExecution> Node(const core::NodeExecutionIdentifier& id);
  struct LogRef;
  // `rest` read as a log path, checked to name a node of the execution.
  // Requires mu_.
  Result<LogRef> ParseLogPath(const std::string& rest);

  // A request to create `id` again as `name`: its spec (mode `mode`,
  // referring to `id`), project, domain and inputs.
  Result<flyteadmin::ExecutionCreateRequest> Again(
      const core::WorkflowExecutionIdentifier& id, const std::string& name,
      flyteadmin::ExecutionMetadata::ExecutionMode mode);
  // The record of `id`, if it is one of the server's in that project and domain.
  // REQUIRES: mu_.
  Result<store::ExecutionRecord> Record(const core::WorkflowExecutionIdentifier& id);
  // The nodes of `exec` (checked as Record does). REQUIRES: mu_.
  // With `array_ids`: the ids of the execution's array nodes too.
  Result<std::vector<store::NodeRecord>> Nodes(const core::WorkflowExecutionIdentifier& exec,
                                               std::set<std::string>* array_ids = nullptr);
  // The attempts of task node `id`, from its task events. REQUIRES: mu_.
  Result<std::vector<flyteadmin::TaskExecution>> Attempts(const core::NodeExecutionIdentifier& id);

  // The engine: asked for once (EngineSource), on first need.
  Result<engine::Engine*> GetEngine();

  Registry& registry_;
  std::mutex engine_mu_;
  EngineSource engine_source_;        // guarded by engine_mu_
  engine::Engine* engine_ = nullptr;  // guarded by engine_mu_; once got
  std::string log_base_url_;          // guarded by mu_
  std::mutex mu_;
  std::unique_ptr<store::Store> store_;  // guarded by mu_
};

}  // namespace flytecpp::admin
