// The gRPC glue: AdminService methods call the registry; its Status codes
// become gRPC's. Methods not yet served answer UNIMPLEMENTED (the generated
// base class's default), naming nothing they do not do.
#include "flytecpp/server/server.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "executions.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"
#include "http_gateway.h"
#include "registry.h"

namespace flytecpp::server {

namespace {

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (st.code()) {
    case StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case StatusCode::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case StatusCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case StatusCode::kUnimplemented: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case StatusCode::kAborted: code = grpc::StatusCode::ABORTED; break;
    default: break;
  }
  return grpc::Status(code, st.message());
}

// A call answered from a Result: the value into *response, or the error.
template <typename T>
grpc::Status Answer(Result<T> result, T* response) {
  if (!result.ok()) return ToGrpc(result.status());
  *response = std::move(result).value();
  return grpc::Status::OK;
}

// The bearer token every call must carry, when the server has one.
class Auth {
 public:
  explicit Auth(std::string token) : token_(std::move(token)) {}
  // Whether `authorization` (a header's value) is "Bearer <token>", or no
  // token is needed.
  bool Allows(const std::string& authorization) const {
    if (token_.empty()) return true;
    const std::string want = "Bearer " + token_;
    if (authorization.size() != want.size()) return false;
    // Constant time: how much of a guess matched must not show.
    unsigned char diff = 0;
    for (size_t i = 0; i < want.size(); ++i) diff |= authorization[i] ^ want[i];
    return diff == 0;
  }
  // UNAUTHENTICATED unless `context` carries "authorization: Bearer <token>".
  std::optional<grpc::Status> Deny(grpc::ServerContext* context) const {
    if (token_.empty()) return std::nullopt;
    const auto& md = context->client_metadata();
    auto it = md.find("authorization");
    if (it != md.end() && Allows(std::string(it->second.data(), it->second.size()))) {
      return std::nullopt;
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or wrong bearer token (metadata authorization: Bearer <token>)");
  }

 private:
  std::string token_;
};

class AdminService final : public flyteidl::service::AdminService::Service {
 public:
  AdminService(Registry& registry, Executions& executions, const Auth& auth)
      : registry_(registry), executions_(executions), auth_(auth) {}

  // ---- Executions, on the engine.
  grpc::Status CreateExecution(grpc::ServerContext* context,
                               const admin::ExecutionCreateRequest* request,
                               admin::ExecutionCreateResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.Create(*request), response);
  }
  grpc::Status GetExecution(grpc::ServerContext* context,
                            const admin::WorkflowExecutionGetRequest* request,
                            admin::Execution* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.Get(request->id()), response);
  }
  grpc::Status GetExecutionData(grpc::ServerContext* context,
                                const admin::WorkflowExecutionGetDataRequest* request,
                                admin::WorkflowExecutionGetDataResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetData(request->id()), response);
  }
  grpc::Status ListExecutions(grpc::ServerContext* context,
                              const admin::ResourceListRequest* request,
                              admin::ExecutionList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.List(*request), response);
  }
  grpc::Status ListNodeExecutions(grpc::ServerContext* context,
                                  const admin::NodeExecutionListRequest* request,
                                  admin::NodeExecutionList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.ListNodes(*request), response);
  }
  grpc::Status GetNodeExecution(grpc::ServerContext* context,
                                const admin::NodeExecutionGetRequest* request,
                                admin::NodeExecution* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetNode(request->id()), response);
  }
  grpc::Status GetNodeExecutionData(grpc::ServerContext* context,
                                    const admin::NodeExecutionGetDataRequest* request,
                                    admin::NodeExecutionGetDataResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetNodeData(request->id()), response);
  }
  grpc::Status GetDynamicNodeWorkflow(grpc::ServerContext* context,
                                      const admin::GetDynamicNodeWorkflowRequest* request,
                                      admin::DynamicNodeWorkflowResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetDynamicWorkflow(request->id()), response);
  }
  grpc::Status ListTaskExecutions(grpc::ServerContext* context,
                                  const admin::TaskExecutionListRequest* request,
                                  admin::TaskExecutionList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.ListTasks(*request), response);
  }
  grpc::Status GetTaskExecution(grpc::ServerContext* context,
                                const admin::TaskExecutionGetRequest* request,
                                admin::TaskExecution* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetTask(request->id()), response);
  }
  grpc::Status GetTaskExecutionData(grpc::ServerContext* context,
                                    const admin::TaskExecutionGetDataRequest* request,
                                    admin::TaskExecutionGetDataResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetTaskData(request->id()), response);
  }
  grpc::Status RelaunchExecution(grpc::ServerContext* context,
                                 const admin::ExecutionRelaunchRequest* request,
                                 admin::ExecutionCreateResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.Relaunch(*request), response);
  }
  grpc::Status RecoverExecution(grpc::ServerContext* context,
                                const admin::ExecutionRecoverRequest* request,
                                admin::ExecutionCreateResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.Recover(*request), response);
  }
  grpc::Status TerminateExecution(grpc::ServerContext* context,
                                  const admin::ExecutionTerminateRequest* request,
                                  admin::ExecutionTerminateResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(executions_.Terminate(*request));
  }

  grpc::Status CreateTask(grpc::ServerContext* context, const admin::TaskCreateRequest* request,
                          admin::TaskCreateResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(registry_.CreateTask(*request));
  }
  grpc::Status GetTask(grpc::ServerContext* context, const admin::ObjectGetRequest* request,
                       admin::Task* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.GetTask(request->id()), response);
  }
  grpc::Status ListTasks(grpc::ServerContext* context, const admin::ResourceListRequest* request,
                         admin::TaskList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.ListTasks(*request), response);
  }

  grpc::Status CreateWorkflow(grpc::ServerContext* context,
                              const admin::WorkflowCreateRequest* request,
                              admin::WorkflowCreateResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(registry_.CreateWorkflow(*request));
  }
  grpc::Status GetWorkflow(grpc::ServerContext* context, const admin::ObjectGetRequest* request,
                           admin::Workflow* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.GetWorkflow(request->id()), response);
  }
  grpc::Status ListWorkflows(grpc::ServerContext* context,
                             const admin::ResourceListRequest* request,
                             admin::WorkflowList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.ListWorkflows(*request), response);
  }

  grpc::Status CreateLaunchPlan(grpc::ServerContext* context,
                                const admin::LaunchPlanCreateRequest* request,
                                admin::LaunchPlanCreateResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(registry_.CreateLaunchPlan(*request));
  }
  grpc::Status GetLaunchPlan(grpc::ServerContext* context, const admin::ObjectGetRequest* request,
                             admin::LaunchPlan* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.GetLaunchPlan(request->id()), response);
  }
  grpc::Status ListLaunchPlans(grpc::ServerContext* context,
                               const admin::ResourceListRequest* request,
                               admin::LaunchPlanList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.ListLaunchPlans(*request), response);
  }
  grpc::Status UpdateLaunchPlan(grpc::ServerContext* context,
                                const admin::LaunchPlanUpdateRequest* request,
                                admin::LaunchPlanUpdateResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(registry_.UpdateLaunchPlan(*request));
  }
  grpc::Status GetActiveLaunchPlan(grpc::ServerContext* context,
                                   const admin::ActiveLaunchPlanRequest* request,
                                   admin::LaunchPlan* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.GetActiveLaunchPlan(*request), response);
  }
  grpc::Status ListActiveLaunchPlans(grpc::ServerContext* context,
                                     const admin::ActiveLaunchPlanListRequest* request,
                                     admin::LaunchPlanList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.ListActiveLaunchPlans(*request), response);
  }

  grpc::Status RegisterProject(grpc::ServerContext* context,
                               const admin::ProjectRegisterRequest* request,
                               admin::ProjectRegisterResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(registry_.RegisterProject(*request));
  }
  grpc::Status UpdateProject(grpc::ServerContext* context, const admin::Project* request,
                             admin::ProjectUpdateResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(registry_.UpdateProject(*request));
  }
  grpc::Status GetProject(grpc::ServerContext* context, const admin::ProjectGetRequest* request,
                          admin::Project* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.GetProject(*request), response);
  }
  grpc::Status ListProjects(grpc::ServerContext* context, const admin::ProjectListRequest* request,
                            admin::Projects* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(registry_.ListProjects(*request), response);
  }
  grpc::Status GetDomains(grpc::ServerContext* context, const admin::GetDomainRequest*,
                          admin::GetDomainsResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    *response = Registry::Domains();
    return grpc::Status::OK;
  }
  grpc::Status GetVersion(grpc::ServerContext* context, const admin::GetVersionRequest*,
                          admin::GetVersionResponse* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    auto* v = response->mutable_control_plane_version();
    v->set_version(std::string("flytecpp (flyteidl ") + FLYTECPP_FLYTEIDL_VERSION + ")");
    v->set_build("flytecpp");
    return grpc::Status::OK;
  }

 private:
  Registry& registry_;
  Executions& executions_;
  const Auth& auth_;
};

// What gate nodes wait for: approve, reject, give a value.
class SignalService final : public flyteidl::service::SignalService::Service {
 public:
  SignalService(Executions& executions, const Auth& auth) : executions_(executions), auth_(auth) {}

  grpc::Status GetOrCreateSignal(grpc::ServerContext* context,
                                 const admin::SignalGetOrCreateRequest* request,
                                 admin::Signal* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.GetOrCreateSignal(*request), response);
  }
  grpc::Status ListSignals(grpc::ServerContext* context, const admin::SignalListRequest* request,
                           admin::SignalList* response) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(executions_.ListSignals(*request), response);
  }
  grpc::Status SetSignal(grpc::ServerContext* context, const admin::SignalSetRequest* request,
                         admin::SignalSetResponse*) override {
    if (auto denied = auth_.Deny(context)) return *denied;
    return ToGrpc(executions_.SetSignal(*request, "SetSignal from " + context->peer()));
  }

 private:
  Executions& executions_;
  const Auth& auth_;
};

std::string HostOf(const std::string& address) { return address.substr(0, address.rfind(':')); }

// Beyond this machine, only with a token: whoever reaches the server can run
// tasks on it.
Status CheckExposure(const ServerOptions& options) {
  for (const std::string* address : {&options.grpc_address, &options.http_address}) {
    if (address->empty()) continue;
    const std::string host = HostOf(*address);
    const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]" ||
                          host.rfind("127.", 0) == 0 || host.rfind("unix:", 0) == 0;
    if (!loopback && options.token.empty()) {
      return InvalidArgument("listening on " + *address +
                             " needs a bearer token (--token-file): whoever reaches the server "
                             "can run tasks on it");
    }
  }
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return InvalidArgument("TLS needs both a certificate and its key");
  }
  return Status::Ok();
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<Auth> auth;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Executions> executions;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<SignalService> signals;
  std::unique_ptr<grpc::Server> grpc;
  int port = 0;
  std::unique_ptr<ChangeFeed> feed;  // outlives the gateway that reads it
  std::unique_ptr<HttpGateway> http;
  // Adopting what dead engines left behind, every adopt_interval.
  std::thread adopter;
  std::mutex mu;
  std::condition_variable stop;
  bool stopping = false;  // guarded by mu
};

Server::Server() : impl_(std::make_unique<Impl>()) {}
Server::~Server() { Shutdown(); }

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (options.engine == nullptr) return InvalidArgument("the server needs an engine");
  const auto open_store = [&options]() {
    return store::OpenStore(
        options.store_url.empty() ? options.store_dir.string() : options.store_url,
        options.store_dir / "data");
  };
  FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, open_store());
  std::unique_ptr<Server> server(new Server());
  Impl& s = *server->impl_;
  s.registry = std::make_unique<Registry>(std::move(store));
  FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> reads, open_store());
  s.executions = std::make_unique<Executions>(*s.registry, *options.engine, std::move(reads));
  s.auth = std::make_unique<Auth>(options.token);
  s.admin = std::make_unique<AdminService>(*s.registry, *s.executions, *s.auth);
  FLYTECPP_RETURN_IF_ERROR(CheckExposure(options));
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_address, credentials, &s.port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.RegisterService(s.admin.get());
  s.signals = std::make_unique<SignalService>(*s.executions, *s.auth);
  builder.RegisterService(s.signals.get());
  s.grpc = builder.BuildAndStart();
  if (s.grpc == nullptr || s.port == 0) {
    return InvalidArgument("cannot listen on " + options.grpc_address +
                           " (taken, or not an address)");
  }
  if (!options.http_address.empty()) {
    HttpGatewayOptions http;
    http.address = options.http_address;
    http.tls_cert_pem = options.tls_cert_pem;
    http.tls_key_pem = options.tls_key_pem;
    http.max_body_bytes = options.max_message_bytes;
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);  // the server bounds requests; answers are ours
    http.channel = s.grpc->InProcessChannel(args);
    Executions* executions = s.executions.get();
    http.log_file = [executions](const std::string& rest) { return executions->LogFile(rest); };
    http.log_finished = [executions](const std::string& rest) {
      return executions->LogFinished(rest);
    };
    http.blob = [executions](const std::string& uri) { return executions->Blob(uri); };
    s.feed = std::make_unique<ChangeFeed>(*options.engine);
    http.feed = s.feed.get();
    const Auth* auth = s.auth.get();
    http.authorized = [auth](const std::string& header) { return auth->Allows(header); };
    FLYTECPP_ASSIGN_OR_RETURN(s.http, HttpGateway::Start(std::move(http)));
    // Logs are linked where this server serves them, by a name others can reach.
    std::string host = HostOf(options.http_address);
    if (host == "0.0.0.0" || host == "[::]" || host == "::") {
      char name[256] = {};
      host = gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
    }
    s.executions->set_log_base_url((options.tls_cert_pem.empty() ? "http://" : "https://") + host +
                                   ":" + std::to_string(s.http->port()));
  }
  if (options.adopt_interval.count() > 0) {
    engine::Engine* engine = options.engine;
    const auto interval = options.adopt_interval;
    s.adopter = std::thread([&s, engine, interval] {
      std::unique_lock lock(s.mu);
      while (!s.stop.wait_for(lock, interval, [&s] { return s.stopping; })) {
        lock.unlock();
        (void)engine->AdoptOrphans();  // failures: tried again next time
        lock.lock();
      }
    });
  }
  return server;
}

int Server::grpc_port() const { return impl_->port; }
int Server::http_port() const { return impl_->http ? impl_->http->port() : 0; }
void Server::Wait() { impl_->grpc->Wait(); }
void Server::Shutdown() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->stop.notify_all();
  if (impl_->adopter.joinable()) impl_->adopter.join();
  if (impl_->feed) impl_->feed->Close();  // open event streams end
  if (impl_->http) impl_->http->Shutdown();
  if (impl_->grpc) impl_->grpc->Shutdown();
}

}  // namespace flytecpp::server
