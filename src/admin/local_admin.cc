#include "local_admin.h"

#include "flytecpp/store/store.h"

namespace flytecpp::admin {

namespace {

// An answer with nothing in it but success (the Create* and Update* calls).
template <typename Response>
Result<Response> Empty(const Status& st) {
  if (!st.ok()) return st;
  return Response();
}

}  // namespace

Result<std::unique_ptr<LocalAdmin>> LocalAdmin::Open(const LocalAdminOptions& options) {
  if (!options.engine) return InvalidArgument("the admin layer needs an engine source");
  // The registry and the execution reads each have a store of their own:
  // neither waits on the other's queries.
  FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> registry_store,
                            store::OpenStore(options.store, options.data_dir));
  FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> reads,
                            store::OpenStore(options.store, options.data_dir));
  std::unique_ptr<LocalAdmin> admin(new LocalAdmin());
  admin->registry_ = std::make_unique<Registry>(std::move(registry_store), options.clock);
  admin->executions_ =
      std::make_unique<Executions>(*admin->registry_, options.engine, std::move(reads));
  admin->executions_->set_log_base_url(options.log_base_url);
  return admin;
}

Result<std::unique_ptr<AdminApi>> OpenLocalAdmin(const LocalAdminOptions& options) {
  FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<LocalAdmin> admin, LocalAdmin::Open(options));
  return std::unique_ptr<AdminApi>(std::move(admin));
}

// ---- Registry.

Result<flyteadmin::TaskCreateResponse> LocalAdmin::CreateTask(
    const flyteadmin::TaskCreateRequest& request) {
  return Empty<flyteadmin::TaskCreateResponse>(registry_->CreateTask(request));
}
Result<flyteadmin::Task> LocalAdmin::GetTask(const flyteadmin::ObjectGetRequest& request) {
  return registry_->GetTask(request.id());
}
Result<flyteadmin::TaskList> LocalAdmin::ListTasks(const flyteadmin::ResourceListRequest& request) {
  return registry_->ListTasks(request);
}
Result<flyteadmin::WorkflowCreateResponse> LocalAdmin::CreateWorkflow(
    const flyteadmin::WorkflowCreateRequest& request) {
  return Empty<flyteadmin::WorkflowCreateResponse>(registry_->CreateWorkflow(request));
}
Result<flyteadmin::Workflow> LocalAdmin::GetWorkflow(const flyteadmin::ObjectGetRequest& request) {
  return registry_->GetWorkflow(request.id());
}
Result<flyteadmin::WorkflowList> LocalAdmin::ListWorkflows(
    const flyteadmin::ResourceListRequest& request) {
  return registry_->ListWorkflows(request);
}
Result<flyteadmin::LaunchPlanCreateResponse> LocalAdmin::CreateLaunchPlan(
    const flyteadmin::LaunchPlanCreateRequest& request) {
  return Empty<flyteadmin::LaunchPlanCreateResponse>(registry_->CreateLaunchPlan(request));
}
Result<flyteadmin::LaunchPlan> LocalAdmin::GetLaunchPlan(
    const flyteadmin::ObjectGetRequest& request) {
  return registry_->GetLaunchPlan(request.id());
}
Result<flyteadmin::LaunchPlanList> LocalAdmin::ListLaunchPlans(
    const flyteadmin::ResourceListRequest& request) {
  return registry_->ListLaunchPlans(request);
}
Result<flyteadmin::LaunchPlanUpdateResponse> LocalAdmin::UpdateLaunchPlan(
    const flyteadmin::LaunchPlanUpdateRequest& request) {
  return Empty<flyteadmin::LaunchPlanUpdateResponse>(registry_->UpdateLaunchPlan(request));
}
Result<flyteadmin::LaunchPlan> LocalAdmin::GetActiveLaunchPlan(
    const flyteadmin::ActiveLaunchPlanRequest& request) {
  return registry_->GetActiveLaunchPlan(request);
}
Result<flyteadmin::LaunchPlanList> LocalAdmin::ListActiveLaunchPlans(
    const flyteadmin::ActiveLaunchPlanListRequest& request) {
  return registry_->ListActiveLaunchPlans(request);
}
Result<flyteadmin::ProjectRegisterResponse> LocalAdmin::RegisterProject(
    const flyteadmin::ProjectRegisterRequest& request) {
  return Empty<flyteadmin::ProjectRegisterResponse>(registry_->RegisterProject(request));
}
Result<flyteadmin::ProjectUpdateResponse> LocalAdmin::UpdateProject(
    const flyteadmin::Project& request) {
  return Empty<flyteadmin::ProjectUpdateResponse>(registry_->UpdateProject(request));
}
Result<flyteadmin::Project> LocalAdmin::GetProject(const flyteadmin::ProjectGetRequest& request) {
  return registry_->GetProject(request);
}
Result<flyteadmin::NamedEntityList> LocalAdmin::ListNamedEntities(
    const flyteadmin::NamedEntityListRequest& request) {
  return registry_->ListNamedEntities(request);
}
Result<flyteadmin::NamedEntity> LocalAdmin::GetNamedEntity(
    const flyteadmin::NamedEntityGetRequest& request) {
  return registry_->GetNamedEntity(request);
}
Result<flyteadmin::Projects> LocalAdmin::ListProjects(
    const flyteadmin::ProjectListRequest& request) {
  return registry_->ListProjects(request);
}
Result<flyteadmin::GetDomainsResponse> LocalAdmin::GetDomains(const flyteadmin::GetDomainRequest&) {
  return Registry::Domains();
}
Result<flyteadmin::GetVersionResponse> LocalAdmin::GetVersion(
    const flyteadmin::GetVersionRequest&) {
  flyteadmin::GetVersionResponse out;
  auto* v = out.mutable_control_plane_version();
  v->set_version(std::string("flytecpp (flyteidl ") + FLYTECPP_FLYTEIDL_VERSION + ")");
  v->set_build("flytecpp");
  return out;
}

// ---- Executions.

Result<flyteadmin::ExecutionCreateResponse> LocalAdmin::CreateExecution(
    const flyteadmin::ExecutionCreateRequest& request) {
  return executions_->Create(request);
}
Result<flyteadmin::ExecutionCreateResponse> LocalAdmin::RelaunchExecution(
    const flyteadmin::ExecutionRelaunchRequest& request) {
  return executions_->Relaunch(request);
}
Result<flyteadmin::ExecutionCreateResponse> LocalAdmin::RecoverExecution(
    const flyteadmin::ExecutionRecoverRequest& request) {
  return executions_->Recover(request);
}
Result<flyteadmin::Execution> LocalAdmin::GetExecution(
    const flyteadmin::WorkflowExecutionGetRequest& request) {
  return executions_->Get(request.id());
}
Result<flyteadmin::WorkflowExecutionGetDataResponse> LocalAdmin::GetExecutionData(
    const flyteadmin::WorkflowExecutionGetDataRequest& request) {
  return executions_->GetData(request.id());
}
Result<flyteadmin::ExecutionList> LocalAdmin::ListExecutions(
    const flyteadmin::ResourceListRequest& request) {
  return executions_->List(request);
}
Result<flyteadmin::ExecutionTerminateResponse> LocalAdmin::TerminateExecution(
    const flyteadmin::ExecutionTerminateRequest& request) {
  return Empty<flyteadmin::ExecutionTerminateResponse>(executions_->Terminate(request));
}
Result<flyteadmin::NodeExecutionList> LocalAdmin::ListNodeExecutions(
    const flyteadmin::NodeExecutionListRequest& request) {
  return executions_->ListNodes(request);
}
Result<flyteadmin::NodeExecution> LocalAdmin::GetNodeExecution(
    const flyteadmin::NodeExecutionGetRequest& request) {
  return executions_->GetNode(request.id());
}
Result<flyteadmin::NodeExecutionGetDataResponse> LocalAdmin::GetNodeExecutionData(
    const flyteadmin::NodeExecutionGetDataRequest& request) {
  return executions_->GetNodeData(request.id());
}
Result<flyteadmin::DynamicNodeWorkflowResponse> LocalAdmin::GetDynamicNodeWorkflow(
    const flyteadmin::GetDynamicNodeWorkflowRequest& request) {
  return executions_->GetDynamicWorkflow(request.id());
}
Result<flyteadmin::TaskExecutionList> LocalAdmin::ListTaskExecutions(
    const flyteadmin::TaskExecutionListRequest& request) {
  return executions_->ListTasks(request);
}
Result<flyteadmin::TaskExecution> LocalAdmin::GetTaskExecution(
    const flyteadmin::TaskExecutionGetRequest& request) {
  return executions_->GetTask(request.id());
}
Result<flyteadmin::TaskExecutionGetDataResponse> LocalAdmin::GetTaskExecutionData(
    const flyteadmin::TaskExecutionGetDataRequest& request) {
  return executions_->GetTaskData(request.id());
}

// ---- Signals.

Result<flyteadmin::Signal> LocalAdmin::GetOrCreateSignal(
    const flyteadmin::SignalGetOrCreateRequest& request) {
  return executions_->GetOrCreateSignal(request);
}
Result<flyteadmin::SignalList> LocalAdmin::ListSignals(
    const flyteadmin::SignalListRequest& request) {
  return executions_->ListSignals(request);
}
Result<flyteadmin::SignalSetResponse> LocalAdmin::SetSignal(
    const flyteadmin::SignalSetRequest& request, const SignalOrigin& origin) {
  return Empty<flyteadmin::SignalSetResponse>(
      executions_->SetSignal(request, origin.who, origin.reason));
}

}  // namespace flytecpp::admin
