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

#include "flytecpp/engine/engine.h"
#include "flyteidl/admin/execution.pb.h"
#include "flyteidl/admin/node_execution.pb.h"
#include "flyteidl/admin/signal.pb.h"
#include "flyteidl/admin/task_execution.pb.h"
#include "http_gateway.h"
#include "registry.h"

namespace flytecpp::server {

class Executions {
 public:
  Executions(Registry& registry, engine::Engine& engine, std::unique_ptr<store::Store> store);

  // With `recover_from` (an execution's name): what succeeded there is reused.
  Result<admin::ExecutionCreateResponse> Create(const admin::ExecutionCreateRequest& request,
                                                const std::string& recover_from = "");
  Result<admin::Execution> Get(const core::WorkflowExecutionIdentifier& id);
  Result<admin::WorkflowExecutionGetDataResponse> GetData(
      const core::WorkflowExecutionIdentifier& id);
  Result<admin::ExecutionList> List(const admin::ResourceListRequest& request);
  Status Terminate(const admin::ExecutionTerminateRequest& request);
  // The same launch plan (or task) with the same inputs, under a new name;
  // its metadata says RELAUNCH of the original.
  Result<admin::ExecutionCreateResponse> Relaunch(const admin::ExecutionRelaunchRequest& request);
  // The same again, reusing the outputs of the nodes that succeeded in the
  // original (RECOVERED); marked RECOVERED of the original.
  Result<admin::ExecutionCreateResponse> Recover(const admin::ExecutionRecoverRequest& request);

  // Node executions: a node's path in its execution is its id (`n1/n0`
  // inside sub-workflow node n1); without unique_parent_id, the top level.
  Result<admin::NodeExecutionList> ListNodes(const admin::NodeExecutionListRequest& request);
  Result<admin::NodeExecution> GetNode(const core::NodeExecutionIdentifier& id);
  // Inputs, outputs and, for a dynamic task, the workflow it generated.
  Result<admin::NodeExecutionGetDataResponse> GetNodeData(const core::NodeExecutionIdentifier& id);
  Result<admin::DynamicNodeWorkflowResponse> GetDynamicWorkflow(
      const core::NodeExecutionIdentifier& id);
  // Task executions: a task node's attempts, from its events.
  Result<admin::TaskExecutionList> ListTasks(const admin::TaskExecutionListRequest& request);
  Result<admin::TaskExecution> GetTask(const core::TaskExecutionIdentifier& id);
  Result<admin::TaskExecutionGetDataResponse> GetTaskData(const core::TaskExecutionIdentifier& id);

  // Task logs: with a base URL ("http://host:8088"), TaskExecution closures
  // link to `<base>/logs/<project>/<domain>/<name>/<node>/<attempt>/<stream>`
  // (each part percent-encoded), which LogFile resolves for the HTTP
  // gateway; without one, to the files themselves (file://). Set before
  // serving.
  void set_log_base_url(std::string base) { log_base_url_ = std::move(base); }
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

  // Signals (SignalService): what gates wait for. `origin` says who set it.
  Status SetSignal(const admin::SignalSetRequest& request, const std::string& origin);
  Result<admin::SignalList> ListSignals(const admin::SignalListRequest& request);
  Result<admin::Signal> GetOrCreateSignal(const admin::SignalGetOrCreateRequest& request);

 private:
  // A node execution as lists give it (no cache status). Requires mu_.
  Result<admin::NodeExecution> Node(const core::NodeExecutionIdentifier& id);
  struct LogRef;
  // `rest` read as a log path, checked to name a node of the execution.
  // Requires mu_.
  Result<LogRef> ParseLogPath(const std::string& rest);

  // A request to create `id` again as `name`: its spec (mode `mode`,
  // referring to `id`), project, domain and inputs.
  Result<admin::ExecutionCreateRequest> Again(const core::WorkflowExecutionIdentifier& id,
                                              const std::string& name,
                                              admin::ExecutionMetadata::ExecutionMode mode);
  // The record of `id`, if it is one of the server's in that project and domain.
  // REQUIRES: mu_.
  Result<store::ExecutionRecord> Record(const core::WorkflowExecutionIdentifier& id);
  // The nodes of `exec` (checked as Record does). REQUIRES: mu_.
  Result<std::vector<store::NodeRecord>> Nodes(const core::WorkflowExecutionIdentifier& exec);
  // The attempts of task node `id`, from its task events. REQUIRES: mu_.
  Result<std::vector<admin::TaskExecution>> Attempts(const core::NodeExecutionIdentifier& id);

  Registry& registry_;
  engine::Engine& engine_;
  std::string log_base_url_;
  std::mutex mu_;
  std::unique_ptr<store::Store> store_;  // guarded by mu_
};

}  // namespace flytecpp::server
