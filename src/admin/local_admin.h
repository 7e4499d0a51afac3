// The admin layer in process: the registry and the executions over a store
// and an engine. What `flytecpp serve` serves and what the CLI reads
// without --server.
#pragma once

#include <memory>

#include "executions.h"
#include "flytecpp/admin/admin_api.h"
#include "registry.h"

namespace flytecpp::admin {

class LocalAdmin final : public AdminApi {
 public:
  static Result<std::unique_ptr<LocalAdmin>> Open(const LocalAdminOptions& options);

  // What only the server's HTTP face needs (task logs, blobs).
  Executions& executions() { return *executions_; }

  Result<flyteadmin::TaskCreateResponse> CreateTask(
      const flyteadmin::TaskCreateRequest& request) override;
  Result<flyteadmin::Task> GetTask(const flyteadmin::ObjectGetRequest& request) override;
  Result<flyteadmin::TaskList> ListTasks(const flyteadmin::ResourceListRequest& request) override;
  Result<flyteadmin::WorkflowCreateResponse> CreateWorkflow(
      const flyteadmin::WorkflowCreateRequest& request) override;
  Result<flyteadmin::Workflow> GetWorkflow(const flyteadmin::ObjectGetRequest& request) override;
  Result<flyteadmin::WorkflowList> ListWorkflows(
      const flyteadmin::ResourceListRequest& request) override;
  Result<flyteadmin::LaunchPlanCreateResponse> CreateLaunchPlan(
      const flyteadmin::LaunchPlanCreateRequest& request) override;
  Result<flyteadmin::LaunchPlan> GetLaunchPlan(
      const flyteadmin::ObjectGetRequest& request) override;
  Result<flyteadmin::LaunchPlanList> ListLaunchPlans(
      const flyteadmin::ResourceListRequest& request) override;
  Result<flyteadmin::LaunchPlanUpdateResponse> UpdateLaunchPlan(
      const flyteadmin::LaunchPlanUpdateRequest& request) override;
  Result<flyteadmin::LaunchPlan> GetActiveLaunchPlan(
      const flyteadmin::ActiveLaunchPlanRequest& request) override;
  Result<flyteadmin::LaunchPlanList> ListActiveLaunchPlans(
      const flyteadmin::ActiveLaunchPlanListRequest& request) override;
  Result<flyteadmin::ProjectRegisterResponse> RegisterProject(
      const flyteadmin::ProjectRegisterRequest& request) override;
  Result<flyteadmin::ProjectUpdateResponse> UpdateProject(
      const flyteadmin::Project& request) override;
  Result<flyteadmin::Project> GetProject(const flyteadmin::ProjectGetRequest& request) override;
  Result<flyteadmin::NamedEntityList> ListNamedEntities(
      const flyteadmin::NamedEntityListRequest& request) override;
  Result<flyteadmin::NamedEntity> GetNamedEntity(
      const flyteadmin::NamedEntityGetRequest& request) override;
  Result<flyteadmin::Projects> ListProjects(const flyteadmin::ProjectListRequest& request) override;
  Result<flyteadmin::GetDomainsResponse> GetDomains(
      const flyteadmin::GetDomainRequest& request) override;
  Result<flyteadmin::GetVersionResponse> GetVersion(
      const flyteadmin::GetVersionRequest& request) override;

  Result<flyteadmin::ExecutionCreateResponse> CreateExecution(
      const flyteadmin::ExecutionCreateRequest& request) override;
  Result<flyteadmin::ExecutionCreateResponse> RelaunchExecution(
      const flyteadmin::ExecutionRelaunchRequest& request) override;
  Result<flyteadmin::ExecutionCreateResponse> RecoverExecution(
      const flyteadmin::ExecutionRecoverRequest& request) override;
  Result<flyteadmin::Execution> GetExecution(
      const flyteadmin::WorkflowExecutionGetRequest& request) override;
  Result<flyteadmin::WorkflowExecutionGetDataResponse> GetExecutionData(
      const flyteadmin::WorkflowExecutionGetDataRequest& request) override;
  Result<flyteadmin::ExecutionList> ListExecutions(
      const flyteadmin::ResourceListRequest& request) override;
  Result<flyteadmin::ExecutionTerminateResponse> TerminateExecution(
      const flyteadmin::ExecutionTerminateRequest& request) override;
  Result<flyteadmin::NodeExecutionList> ListNodeExecutions(
      const flyteadmin::NodeExecutionListRequest& request) override;
  Result<flyteadmin::NodeExecution> GetNodeExecution(
      const flyteadmin::NodeExecutionGetRequest& request) override;
  Result<flyteadmin::NodeExecutionGetDataResponse> GetNodeExecutionData(
      const flyteadmin::NodeExecutionGetDataRequest& request) override;
  Result<flyteadmin::DynamicNodeWorkflowResponse> GetDynamicNodeWorkflow(
      const flyteadmin::GetDynamicNodeWorkflowRequest& request) override;
  Result<flyteadmin::TaskExecutionList> ListTaskExecutions(
      const flyteadmin::TaskExecutionListRequest& request) override;
  Result<flyteadmin::TaskExecution> GetTaskExecution(
      const flyteadmin::TaskExecutionGetRequest& request) override;
  Result<flyteadmin::TaskExecutionGetDataResponse> GetTaskExecutionData(
      const flyteadmin::TaskExecutionGetDataRequest& request) override;

  Result<flyteadmin::Signal> GetOrCreateSignal(
      const flyteadmin::SignalGetOrCreateRequest& request) override;
  Result<flyteadmin::SignalList> ListSignals(const flyteadmin::SignalListRequest& request) override;
  Result<flyteadmin::SignalSetResponse> SetSignal(const flyteadmin::SignalSetRequest& request,
                                                  const SignalOrigin& origin) override;

 private:
  LocalAdmin() = default;

  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Executions> executions_;
};

}  // namespace flytecpp::admin
