// The admin layer over gRPC: each AdminApi call is its namesake on a
// FlyteAdmin-compatible server (flytecpp serve, or flyteadmin), with a
// deadline and the bearer token.
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "flytecpp/admin/admin_api.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"
#include "grpc_status.h"

namespace flytecpp::admin {

namespace {

constexpr auto kDeadline = std::chrono::seconds(60);

using AdminStub = flyteidl::service::AdminService::Stub;
using SignalStub = flyteidl::service::SignalService::Stub;

class GrpcAdmin final : public AdminApi {
 public:
  explicit GrpcAdmin(const AdminConnection& connection)
      : address_(connection.address), token_(connection.token) {
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (!connection.tls_ca_pem.empty()) {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = connection.tls_ca_pem;
      credentials = grpc::SslCredentials(ssl);
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);  // executions' data can be large
    auto channel = grpc::CreateCustomChannel(connection.address, credentials, args);
    admin_ = flyteidl::service::AdminService::NewStub(channel);
    signals_ = flyteidl::service::SignalService::NewStub(channel);
  }

  Result<flyteadmin::TaskCreateResponse> CreateTask(
      const flyteadmin::TaskCreateRequest& request) override {
    return Call(admin_.get(), &AdminStub::CreateTask, request);
  }
  Result<flyteadmin::Task> GetTask(const flyteadmin::ObjectGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetTask, request);
  }
  Result<flyteadmin::TaskList> ListTasks(const flyteadmin::ResourceListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListTasks, request);
  }
  Result<flyteadmin::WorkflowCreateResponse> CreateWorkflow(
      const flyteadmin::WorkflowCreateRequest& request) override {
    return Call(admin_.get(), &AdminStub::CreateWorkflow, request);
  }
  Result<flyteadmin::Workflow> GetWorkflow(const flyteadmin::ObjectGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetWorkflow, request);
  }
  Result<flyteadmin::WorkflowList> ListWorkflows(
      const flyteadmin::ResourceListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListWorkflows, request);
  }
  Result<flyteadmin::LaunchPlanCreateResponse> CreateLaunchPlan(
      const flyteadmin::LaunchPlanCreateRequest& request) override {
    return Call(admin_.get(), &AdminStub::CreateLaunchPlan, request);
  }
  Result<flyteadmin::LaunchPlan> GetLaunchPlan(
      const flyteadmin::ObjectGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetLaunchPlan, request);
  }
  Result<flyteadmin::LaunchPlanList> ListLaunchPlans(
      const flyteadmin::ResourceListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListLaunchPlans, request);
  }
  Result<flyteadmin::LaunchPlanUpdateResponse> UpdateLaunchPlan(
      const flyteadmin::LaunchPlanUpdateRequest& request) override {
    return Call(admin_.get(), &AdminStub::UpdateLaunchPlan, request);
  }
  Result<flyteadmin::LaunchPlan> GetActiveLaunchPlan(
      const flyteadmin::ActiveLaunchPlanRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetActiveLaunchPlan, request);
  }
  Result<flyteadmin::LaunchPlanList> ListActiveLaunchPlans(
      const flyteadmin::ActiveLaunchPlanListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListActiveLaunchPlans, request);
  }
  Result<flyteadmin::ProjectRegisterResponse> RegisterProject(
      const flyteadmin::ProjectRegisterRequest& request) override {
    return Call(admin_.get(), &AdminStub::RegisterProject, request);
  }
  Result<flyteadmin::ProjectUpdateResponse> UpdateProject(
      const flyteadmin::Project& request) override {
    return Call(admin_.get(), &AdminStub::UpdateProject, request);
  }
  Result<flyteadmin::Project> GetProject(const flyteadmin::ProjectGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetProject, request);
  }
  Result<flyteadmin::NamedEntityList> ListNamedEntities(
      const flyteadmin::NamedEntityListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListNamedEntities, request);
  }
  Result<flyteadmin::NamedEntity> GetNamedEntity(
      const flyteadmin::NamedEntityGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetNamedEntity, request);
  }
  Result<flyteadmin::Projects> ListProjects(
      const flyteadmin::ProjectListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListProjects, request);
  }
  Result<flyteadmin::GetDomainsResponse> GetDomains(
      const flyteadmin::GetDomainRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetDomains, request);
  }
  Result<flyteadmin::GetVersionResponse> GetVersion(
      const flyteadmin::GetVersionRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetVersion, request);
  }

  Result<flyteadmin::ExecutionCreateResponse> CreateExecution(
      const flyteadmin::ExecutionCreateRequest& request) override {
    return Call(admin_.get(), &AdminStub::CreateExecution, request);
  }
  Result<flyteadmin::ExecutionCreateResponse> RelaunchExecution(
      const flyteadmin::ExecutionRelaunchRequest& request) override {
    return Call(admin_.get(), &AdminStub::RelaunchExecution, request);
  }
  Result<flyteadmin::ExecutionCreateResponse> RecoverExecution(
      const flyteadmin::ExecutionRecoverRequest& request) override {
    return Call(admin_.get(), &AdminStub::RecoverExecution, request);
  }
  Result<flyteadmin::Execution> GetExecution(
      const flyteadmin::WorkflowExecutionGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetExecution, request);
  }
  Result<flyteadmin::WorkflowExecutionGetDataResponse> GetExecutionData(
      const flyteadmin::WorkflowExecutionGetDataRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetExecutionData, request);
  }
  Result<flyteadmin::ExecutionList> ListExecutions(
      const flyteadmin::ResourceListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListExecutions, request);
  }
  Result<flyteadmin::ExecutionTerminateResponse> TerminateExecution(
      const flyteadmin::ExecutionTerminateRequest& request) override {
    return Call(admin_.get(), &AdminStub::TerminateExecution, request);
  }
  Result<flyteadmin::NodeExecutionList> ListNodeExecutions(
      const flyteadmin::NodeExecutionListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListNodeExecutions, request);
  }
  Result<flyteadmin::NodeExecution> GetNodeExecution(
      const flyteadmin::NodeExecutionGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetNodeExecution, request);
  }
  Result<flyteadmin::NodeExecutionGetDataResponse> GetNodeExecutionData(
      const flyteadmin::NodeExecutionGetDataRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetNodeExecutionData, request);
  }
  Result<flyteadmin::DynamicNodeWorkflowResponse> GetDynamicNodeWorkflow(
      const flyteadmin::GetDynamicNodeWorkflowRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetDynamicNodeWorkflow, request);
  }
  Result<flyteadmin::TaskExecutionList> ListTaskExecutions(
      const flyteadmin::TaskExecutionListRequest& request) override {
    return Call(admin_.get(), &AdminStub::ListTaskExecutions, request);
  }
  Result<flyteadmin::TaskExecution> GetTaskExecution(
      const flyteadmin::TaskExecutionGetRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetTaskExecution, request);
  }
  Result<flyteadmin::TaskExecutionGetDataResponse> GetTaskExecutionData(
      const flyteadmin::TaskExecutionGetDataRequest& request) override {
    return Call(admin_.get(), &AdminStub::GetTaskExecutionData, request);
  }

  Result<flyteadmin::Signal> GetOrCreateSignal(
      const flyteadmin::SignalGetOrCreateRequest& request) override {
    return Call(signals_.get(), &SignalStub::GetOrCreateSignal, request);
  }
  Result<flyteadmin::SignalList> ListSignals(
      const flyteadmin::SignalListRequest& request) override {
    return Call(signals_.get(), &SignalStub::ListSignals, request);
  }
  Result<flyteadmin::SignalSetResponse> SetSignal(const flyteadmin::SignalSetRequest& request,
                                                  const SignalOrigin& origin) override {
    if (!origin.reason.empty()) {
      return InvalidArgument("a reason for signal " + request.id().signal_id() +
                             ": FlyteAdmin's SetSignal carries none (server " + address_ + ")");
    }
    return Call(signals_.get(), &SignalStub::SetSignal, request);
  }

 private:
  template <typename Stub, typename Request, typename Response>
  Result<Response> Call(Stub* stub,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kDeadline);
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
    Response response;
    const grpc::Status answer = (stub->*method)(&context, request, &response);
    if (answer.ok()) return response;
    Status st = FromGrpc(answer);
    if (answer.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return Unimplemented("server " + address_ + " does not serve this: " + st.message());
    }
    // Unreachable, refused, timed out: say which server.
    if (IsTransportCode(answer.error_code())) return st.WithContext("server " + address_);
    return st;
  }

  std::string address_, token_;
  std::unique_ptr<AdminStub> admin_;
  std::unique_ptr<SignalStub> signals_;
};

}  // namespace

std::unique_ptr<AdminApi> ConnectAdmin(const AdminConnection& connection) {
  return std::make_unique<GrpcAdmin>(connection);
}

}  // namespace flytecpp::admin
