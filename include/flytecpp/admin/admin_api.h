// The admin layer: FlyteAdmin's API (flyteidl.service.AdminService and
// SignalService) as a C++ interface, taking and returning the admin protos.
// Every reader of flytecpp's state goes through it: the CLI (local store or
// --server, one code path), the gRPC service and HTTP gateway (thin
// transports over the in-process implementation), the console.
//
// Two implementations: in process, over a store and an engine
// (OpenLocalAdmin), and over gRPC to a FlyteAdmin-compatible server
// (ConnectAdmin). They answer alike: a test may run against either.
//
// Each method is its gRPC namesake; errors are one-line Statuses (NotFound,
// InvalidArgument, AlreadyExists: registering the same spec again, ...).
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "flytecpp/util/clock.h"
#include "flytecpp/util/status.h"
#include "flyteidl/admin/common.pb.h"
#include "flyteidl/admin/execution.pb.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/node_execution.pb.h"
#include "flyteidl/admin/project.pb.h"
#include "flyteidl/admin/signal.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/task_execution.pb.h"
#include "flyteidl/admin/version.pb.h"
#include "flyteidl/admin/workflow.pb.h"

namespace flytecpp::engine {
class Engine;
}

namespace flytecpp::admin {

namespace flyteadmin = flyteidl::admin;

class AdminApi {
 public:
  virtual ~AdminApi() = default;

  // ---- Registry: tasks, workflows, launch plans, projects.
  virtual Result<flyteadmin::TaskCreateResponse> CreateTask(
      const flyteadmin::TaskCreateRequest& request) = 0;
  virtual Result<flyteadmin::Task> GetTask(const flyteadmin::ObjectGetRequest& request) = 0;
  virtual Result<flyteadmin::TaskList> ListTasks(
      const flyteadmin::ResourceListRequest& request) = 0;
  virtual Result<flyteadmin::WorkflowCreateResponse> CreateWorkflow(
      const flyteadmin::WorkflowCreateRequest& request) = 0;
  virtual Result<flyteadmin::Workflow> GetWorkflow(const flyteadmin::ObjectGetRequest& request) = 0;
  virtual Result<flyteadmin::WorkflowList> ListWorkflows(
      const flyteadmin::ResourceListRequest& request) = 0;
  virtual Result<flyteadmin::LaunchPlanCreateResponse> CreateLaunchPlan(
      const flyteadmin::LaunchPlanCreateRequest& request) = 0;
  virtual Result<flyteadmin::LaunchPlan> GetLaunchPlan(
      const flyteadmin::ObjectGetRequest& request) = 0;
  virtual Result<flyteadmin::LaunchPlanList> ListLaunchPlans(
      const flyteadmin::ResourceListRequest& request) = 0;
  virtual Result<flyteadmin::LaunchPlanUpdateResponse> UpdateLaunchPlan(
      const flyteadmin::LaunchPlanUpdateRequest& request) = 0;
  virtual Result<flyteadmin::LaunchPlan> GetActiveLaunchPlan(
      const flyteadmin::ActiveLaunchPlanRequest& request) = 0;
  virtual Result<flyteadmin::LaunchPlanList> ListActiveLaunchPlans(
      const flyteadmin::ActiveLaunchPlanListRequest& request) = 0;
  virtual Result<flyteadmin::ProjectRegisterResponse> RegisterProject(
      const flyteadmin::ProjectRegisterRequest& request) = 0;
  virtual Result<flyteadmin::ProjectUpdateResponse> UpdateProject(
      const flyteadmin::Project& request) = 0;
  virtual Result<flyteadmin::Project> GetProject(const flyteadmin::ProjectGetRequest& request) = 0;
  // Names (all versions of one name are one entity): what flytectl's `get
  // workflow` lists.
  virtual Result<flyteadmin::NamedEntityList> ListNamedEntities(
      const flyteadmin::NamedEntityListRequest& request) = 0;
  virtual Result<flyteadmin::NamedEntity> GetNamedEntity(
      const flyteadmin::NamedEntityGetRequest& request) = 0;
  virtual Result<flyteadmin::Projects> ListProjects(
      const flyteadmin::ProjectListRequest& request) = 0;
  virtual Result<flyteadmin::GetDomainsResponse> GetDomains(
      const flyteadmin::GetDomainRequest& request) = 0;
  virtual Result<flyteadmin::GetVersionResponse> GetVersion(
      const flyteadmin::GetVersionRequest& request) = 0;

  // ---- Executions, and their node and task executions.
  virtual Result<flyteadmin::ExecutionCreateResponse> CreateExecution(
      const flyteadmin::ExecutionCreateRequest& request) = 0;
  virtual Result<flyteadmin::ExecutionCreateResponse> RelaunchExecution(
      const flyteadmin::ExecutionRelaunchRequest& request) = 0;
  virtual Result<flyteadmin::ExecutionCreateResponse> RecoverExecution(
      const flyteadmin::ExecutionRecoverRequest& request) = 0;
  virtual Result<flyteadmin::Execution> GetExecution(
      const flyteadmin::WorkflowExecutionGetRequest& request) = 0;
  virtual Result<flyteadmin::WorkflowExecutionGetDataResponse> GetExecutionData(
      const flyteadmin::WorkflowExecutionGetDataRequest& request) = 0;
  virtual Result<flyteadmin::ExecutionList> ListExecutions(
      const flyteadmin::ResourceListRequest& request) = 0;
  virtual Result<flyteadmin::ExecutionTerminateResponse> TerminateExecution(
      const flyteadmin::ExecutionTerminateRequest& request) = 0;
  virtual Result<flyteadmin::NodeExecutionList> ListNodeExecutions(
      const flyteadmin::NodeExecutionListRequest& request) = 0;
  virtual Result<flyteadmin::NodeExecution> GetNodeExecution(
      const flyteadmin::NodeExecutionGetRequest& request) = 0;
  virtual Result<flyteadmin::NodeExecutionGetDataResponse> GetNodeExecutionData(
      const flyteadmin::NodeExecutionGetDataRequest& request) = 0;
  virtual Result<flyteadmin::DynamicNodeWorkflowResponse> GetDynamicNodeWorkflow(
      const flyteadmin::GetDynamicNodeWorkflowRequest& request) = 0;
  virtual Result<flyteadmin::TaskExecutionList> ListTaskExecutions(
      const flyteadmin::TaskExecutionListRequest& request) = 0;
  virtual Result<flyteadmin::TaskExecution> GetTaskExecution(
      const flyteadmin::TaskExecutionGetRequest& request) = 0;
  virtual Result<flyteadmin::TaskExecutionGetDataResponse> GetTaskExecutionData(
      const flyteadmin::TaskExecutionGetDataRequest& request) = 0;

  // ---- Signals: what gate nodes wait for.
  virtual Result<flyteadmin::Signal> GetOrCreateSignal(
      const flyteadmin::SignalGetOrCreateRequest& request) = 0;
  virtual Result<flyteadmin::SignalList> ListSignals(
      const flyteadmin::SignalListRequest& request) = 0;
  // `origin`: who sets it and why, for the record (flytecpp signals ls
  // shows it; a rejected gate's error gives the reason). Over gRPC the
  // server names the caller itself, and a reason cannot be sent
  // (InvalidArgument: FlyteAdmin's SetSignal carries none).
  struct SignalOrigin {
    std::string who, reason;
  };
  virtual Result<flyteadmin::SignalSetResponse> SetSignal(
      const flyteadmin::SignalSetRequest& request, const SignalOrigin& origin) = 0;
};

// ---- In process.

// Where executions run: asked for on the first call that needs an engine
// (create, terminate, signals), so that reads need none. Must return the
// same engine each time; the engine must outlive the admin.
using EngineSource = std::function<Result<engine::Engine*>()>;

struct LocalAdminOptions {
  std::string store;     // a store directory, or a postgres:// URL
  std::string data_dir;  // literal data (with a directory store: <store>/data)
  EngineSource engine;   // required
  // Task logs: with a base URL ("http://host:8088"), TaskExecution closures
  // link to `<base>/logs/...` (what the HTTP gateway serves); without one,
  // to the files themselves (file://).
  std::string log_base_url;
  const Clock* clock = nullptr;  // registration and activation times; default: the system's
};

Result<std::unique_ptr<AdminApi>> OpenLocalAdmin(const LocalAdminOptions& options);

// ---- Over gRPC.

struct AdminConnection {
  std::string address;     // host:port, or a gRPC target (dns:///host:port)
  std::string token;       // sent as "authorization: Bearer <token>"; empty: none
  std::string tls_ca_pem;  // TLS, trusting this CA; empty: plaintext
};

// A client of `connection.address`. Nothing is sent until the first call;
// an unreachable server, a refused token or a timeout is that call's error,
// naming the server.
std::unique_ptr<AdminApi> ConnectAdmin(const AdminConnection& connection);

}  // namespace flytecpp::admin
