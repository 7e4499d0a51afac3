// The gRPC glue: each AdminService, SignalService and DataProxyService
// method authenticates the caller once (Calls) and answers with the admin
// layer's namesake (admin/local_admin.h, admin/data_proxy.h).
// AuthMetadataService answers anyone: clients ask it how to authenticate
// before they can. Methods not served answer UNIMPLEMENTED (the generated
// base class's default).
#include "flytecpp/server/server.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "data_proxy.h"
#include "flytecpp/admin/schedules.h"
#include "flytecpp/idl/phases.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/auth.grpc.pb.h"
#include "flyteidl/service/dataproxy.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"
#include "grpc_status.h"
#include "http_gateway.h"
#include "local_admin.h"
#include "notifier.h"
#include "scheduler.h"

namespace flytecpp::server {

namespace flyteadmin = flyteidl::admin;

namespace {

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

// Every call of the authenticated services: the caller authenticated, then
// the admin layer's answer (or its error, as gRPC's).
class Calls {
 public:
  Calls(admin::AdminApi& api, admin::DataProxy& data, const Auth& auth)
      : api_(api), data_(data), auth_(auth) {}

  template <typename Request, typename Response>
  grpc::Status Serve(grpc::ServerContext* context,
                     Result<Response> (admin::AdminApi::*method)(const Request&),
                     const Request& request, Response* response) {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer((api_.*method)(request), response);
  }
  template <typename Request, typename Response>
  grpc::Status Serve(grpc::ServerContext* context,
                     Result<Response> (admin::DataProxy::*method)(const Request&),
                     const Request& request, Response* response) {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer((data_.*method)(request), response);
  }
  grpc::Status SetSignal(grpc::ServerContext* context, const flyteadmin::SignalSetRequest& request,
                         flyteadmin::SignalSetResponse* response) {
    if (auto denied = auth_.Deny(context)) return *denied;
    return Answer(api_.SetSignal(request, {"SetSignal from " + context->peer(), ""}), response);
  }

 private:
  template <typename Response>
  static grpc::Status Answer(Result<Response> result, Response* response) {
    if (!result.ok()) return admin::ToGrpc(result.status());
    *response = std::move(result).value();
    return grpc::Status::OK;
  }

  admin::AdminApi& api_;
  admin::DataProxy& data_;
  const Auth& auth_;
};

// Declares the override of service method NAME, answered by its namesake
// in the admin layer's class API.
#define FLYTECPP_SERVE_BY(API, NAME, REQUEST, RESPONSE)                                       \
  grpc::Status NAME(grpc::ServerContext* context, const REQUEST* request, RESPONSE* response) \
      override {                                                                              \
    return calls_.Serve(context, &API::NAME, *request, response);                             \
  }
#define FLYTECPP_SERVE(NAME, REQUEST, RESPONSE) \
  FLYTECPP_SERVE_BY(admin::AdminApi, NAME, REQUEST, RESPONSE)

class AdminService final : public flyteidl::service::AdminService::Service {
 public:
  explicit AdminService(Calls& calls) : calls_(calls) {}

  FLYTECPP_SERVE(CreateExecution, flyteadmin::ExecutionCreateRequest,
                 flyteadmin::ExecutionCreateResponse)
  FLYTECPP_SERVE(GetExecution, flyteadmin::WorkflowExecutionGetRequest, flyteadmin::Execution)
  FLYTECPP_SERVE(GetExecutionData, flyteadmin::WorkflowExecutionGetDataRequest,
                 flyteadmin::WorkflowExecutionGetDataResponse)
  FLYTECPP_SERVE(ListExecutions, flyteadmin::ResourceListRequest, flyteadmin::ExecutionList)
  FLYTECPP_SERVE(ListNodeExecutions, flyteadmin::NodeExecutionListRequest,
                 flyteadmin::NodeExecutionList)
  FLYTECPP_SERVE(GetNodeExecution, flyteadmin::NodeExecutionGetRequest, flyteadmin::NodeExecution)
  FLYTECPP_SERVE(GetNodeExecutionData, flyteadmin::NodeExecutionGetDataRequest,
                 flyteadmin::NodeExecutionGetDataResponse)
  FLYTECPP_SERVE(GetDynamicNodeWorkflow, flyteadmin::GetDynamicNodeWorkflowRequest,
                 flyteadmin::DynamicNodeWorkflowResponse)
  FLYTECPP_SERVE(ListTaskExecutions, flyteadmin::TaskExecutionListRequest,
                 flyteadmin::TaskExecutionList)
  FLYTECPP_SERVE(GetTaskExecution, flyteadmin::TaskExecutionGetRequest, flyteadmin::TaskExecution)
  FLYTECPP_SERVE(GetTaskExecutionData, flyteadmin::TaskExecutionGetDataRequest,
                 flyteadmin::TaskExecutionGetDataResponse)
  FLYTECPP_SERVE(RelaunchExecution, flyteadmin::ExecutionRelaunchRequest,
                 flyteadmin::ExecutionCreateResponse)
  FLYTECPP_SERVE(RecoverExecution, flyteadmin::ExecutionRecoverRequest,
                 flyteadmin::ExecutionCreateResponse)
  FLYTECPP_SERVE(TerminateExecution, flyteadmin::ExecutionTerminateRequest,
                 flyteadmin::ExecutionTerminateResponse)

  FLYTECPP_SERVE(CreateTask, flyteadmin::TaskCreateRequest, flyteadmin::TaskCreateResponse)
  FLYTECPP_SERVE(GetTask, flyteadmin::ObjectGetRequest, flyteadmin::Task)
  FLYTECPP_SERVE(ListTasks, flyteadmin::ResourceListRequest, flyteadmin::TaskList)
  FLYTECPP_SERVE(CreateWorkflow, flyteadmin::WorkflowCreateRequest,
                 flyteadmin::WorkflowCreateResponse)
  FLYTECPP_SERVE(GetWorkflow, flyteadmin::ObjectGetRequest, flyteadmin::Workflow)
  FLYTECPP_SERVE(ListWorkflows, flyteadmin::ResourceListRequest, flyteadmin::WorkflowList)
  FLYTECPP_SERVE(CreateLaunchPlan, flyteadmin::LaunchPlanCreateRequest,
                 flyteadmin::LaunchPlanCreateResponse)
  FLYTECPP_SERVE(GetLaunchPlan, flyteadmin::ObjectGetRequest, flyteadmin::LaunchPlan)
  FLYTECPP_SERVE(ListLaunchPlans, flyteadmin::ResourceListRequest, flyteadmin::LaunchPlanList)
  FLYTECPP_SERVE(UpdateLaunchPlan, flyteadmin::LaunchPlanUpdateRequest,
                 flyteadmin::LaunchPlanUpdateResponse)
  FLYTECPP_SERVE(GetActiveLaunchPlan, flyteadmin::ActiveLaunchPlanRequest, flyteadmin::LaunchPlan)
  FLYTECPP_SERVE(ListActiveLaunchPlans, flyteadmin::ActiveLaunchPlanListRequest,
                 flyteadmin::LaunchPlanList)

  FLYTECPP_SERVE(RegisterProject, flyteadmin::ProjectRegisterRequest,
                 flyteadmin::ProjectRegisterResponse)
  FLYTECPP_SERVE(UpdateProject, flyteadmin::Project, flyteadmin::ProjectUpdateResponse)
  FLYTECPP_SERVE(GetProject, flyteadmin::ProjectGetRequest, flyteadmin::Project)
  FLYTECPP_SERVE(ListProjects, flyteadmin::ProjectListRequest, flyteadmin::Projects)
  FLYTECPP_SERVE(ListNamedEntities, flyteadmin::NamedEntityListRequest, flyteadmin::NamedEntityList)
  FLYTECPP_SERVE(GetNamedEntity, flyteadmin::NamedEntityGetRequest, flyteadmin::NamedEntity)
  FLYTECPP_SERVE(GetDomains, flyteadmin::GetDomainRequest, flyteadmin::GetDomainsResponse)
  FLYTECPP_SERVE(GetVersion, flyteadmin::GetVersionRequest, flyteadmin::GetVersionResponse)

 private:
  Calls& calls_;
};

// What gate nodes wait for: approve, reject, give a value.
class SignalService final : public flyteidl::service::SignalService::Service {
 public:
  explicit SignalService(Calls& calls) : calls_(calls) {}

  FLYTECPP_SERVE(GetOrCreateSignal, flyteadmin::SignalGetOrCreateRequest, flyteadmin::Signal)
  FLYTECPP_SERVE(ListSignals, flyteadmin::SignalListRequest, flyteadmin::SignalList)
  grpc::Status SetSignal(grpc::ServerContext* context, const flyteadmin::SignalSetRequest* request,
                         flyteadmin::SignalSetResponse* response) override {
    return calls_.SetSignal(context, *request, response);
  }

 private:
  Calls& calls_;
};

// Where clients put code and files, and read what tasks wrote.
class DataProxyService final : public flyteidl::service::DataProxyService::Service {
 public:
  explicit DataProxyService(Calls& calls) : calls_(calls) {}

  FLYTECPP_SERVE_BY(admin::DataProxy, CreateUploadLocation,
                    flyteidl::service::CreateUploadLocationRequest,
                    flyteidl::service::CreateUploadLocationResponse)
  FLYTECPP_SERVE_BY(admin::DataProxy, CreateDownloadLocation,
                    flyteidl::service::CreateDownloadLocationRequest,
                    flyteidl::service::CreateDownloadLocationResponse)
  FLYTECPP_SERVE_BY(admin::DataProxy, CreateDownloadLink,
                    flyteidl::service::CreateDownloadLinkRequest,
                    flyteidl::service::CreateDownloadLinkResponse)
  FLYTECPP_SERVE_BY(admin::DataProxy, GetData, flyteidl::service::GetDataRequest,
                    flyteidl::service::GetDataResponse)

 private:
  Calls& calls_;
};

#undef FLYTECPP_SERVE
#undef FLYTECPP_SERVE_BY

// How to authenticate, asked before a client can: flytekit (with
// authType ExternalCommand, ClientSecret or DeviceFlow) calls both methods
// on its first call, flytectl after an UNAUTHENTICATED answer. flytecpp's
// only credential is a static bearer token in the "authorization" header,
// which a client gets from a command (admin.command) or a file; there is no
// OAuth2 server, so its endpoints stay empty.
class AuthMetadataService final : public flyteidl::service::AuthMetadataService::Service {
 public:
  // Where the HTTP face is (set once it listens: after gRPC does).
  void set_http_base(std::string base) {
    std::lock_guard lock(mu_);
    http_base_ = std::move(base);
  }

  grpc::Status GetOAuth2Metadata(grpc::ServerContext*,
                                 const flyteidl::service::OAuth2MetadataRequest*,
                                 flyteidl::service::OAuth2MetadataResponse* response) override {
    std::lock_guard lock(mu_);
    response->set_issuer(http_base_);
    return grpc::Status::OK;
  }
  grpc::Status GetPublicClientConfig(
      grpc::ServerContext*, const flyteidl::service::PublicClientAuthConfigRequest*,
      flyteidl::service::PublicClientAuthConfigResponse* response) override {
    response->set_authorization_metadata_key("authorization");
    std::lock_guard lock(mu_);
    response->set_service_http_endpoint(http_base_);
    return grpc::Status::OK;
  }

 private:
  std::mutex mu_;
  std::string http_base_;  // guarded by mu_
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

// Where this server's HTTP face is, by a name others can reach.
std::string HttpBase(const ServerOptions& options, int port) {
  std::string host = HostOf(options.http_address);
  if (host == "0.0.0.0" || host == "[::]" || host == "::") {
    char name[256] = {};
    host = gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
  }
  return (options.tls_cert_pem.empty() ? "http://" : "https://") + host + ":" +
         std::to_string(port);
}

// The schedules as the console reads them: a JSON list of objects with
// proto3 JSON's conventions (times as RFC 3339 text).
Result<std::string> SchedulesJson(admin::AdminApi& api, const std::string& project,
                                  const std::string& domain, int64_t now_ns) {
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<admin::ScheduleView> views,
                            admin::ListSchedules(api, project, domain, now_ns));
  google::protobuf::ListValue list;
  auto time = [](int64_t ns) {
    return ns == 0 ? std::string()
                   : google::protobuf::util::TimeUtil::ToString(
                         google::protobuf::util::TimeUtil::NanosecondsToTimestamp(ns));
  };
  for (const auto& v : views) {
    auto& fields = *list.add_values()->mutable_struct_value()->mutable_fields();
    auto& id = *fields["launch_plan"].mutable_struct_value()->mutable_fields();
    id["project"].set_string_value(v.launch_plan.project());
    id["domain"].set_string_value(v.launch_plan.domain());
    id["name"].set_string_value(v.launch_plan.name());
    id["version"].set_string_value(v.launch_plan.version());
    fields["schedule"].set_string_value(v.schedule);
    fields["kickoff_input"].set_string_value(v.kickoff_input);
    fields["active_since"].set_string_value(time(v.active_since_ns));
    fields["next"].set_string_value(time(v.next_ns));
    fields["error"].set_string_value(v.error);
  }
  std::string out;
  FLYTECPP_RETURN_IF_ERROR(google::protobuf::util::MessageToJsonString(list, &out).ok()
                               ? Status::Ok()
                               : Internal("schedules: cannot write JSON"));
  return out;
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<Auth> auth;
  std::unique_ptr<admin::LocalAdmin> api;
  std::unique_ptr<admin::DataProxy> data;
  std::unique_ptr<Calls> calls;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<SignalService> signals;
  std::unique_ptr<DataProxyService> data_service;
  std::unique_ptr<AuthMetadataService> auth_metadata;
  std::unique_ptr<grpc::Server> grpc;
  int port = 0;
  std::unique_ptr<ChangeFeed> feed;  // outlives the gateway that reads it
  std::unique_ptr<HttpGateway> http;
  std::unique_ptr<admin::Scheduler> scheduler;
  std::unique_ptr<runtime::SecretStore> secrets;
  std::unique_ptr<admin::Notifier> notifier;
  uint64_t notifier_listener = 0;
  engine::Engine* engine = nullptr;
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
  admin::LocalAdminOptions local;
  local.store = options.store_url.empty() ? options.store_dir.string() : options.store_url;
  local.data_dir = (options.store_dir / "data").string();
  engine::Engine* engine = options.engine;
  local.engine = [engine]() -> Result<engine::Engine*> { return engine; };
  local.clock = options.clock;
  std::unique_ptr<Server> server(new Server());
  Impl& s = *server->impl_;
  FLYTECPP_ASSIGN_OR_RETURN(s.api, admin::LocalAdmin::Open(local));
  admin::DataProxyOptions data;
  data.data_dir = local.data_dir;
  s.data = std::make_unique<admin::DataProxy>(*s.api, std::move(data));
  s.auth = std::make_unique<Auth>(options.token);
  s.calls = std::make_unique<Calls>(*s.api, *s.data, *s.auth);
  s.admin = std::make_unique<AdminService>(*s.calls);
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
  s.signals = std::make_unique<SignalService>(*s.calls);
  builder.RegisterService(s.signals.get());
  s.data_service = std::make_unique<DataProxyService>(*s.calls);
  builder.RegisterService(s.data_service.get());
  s.auth_metadata = std::make_unique<AuthMetadataService>();
  builder.RegisterService(s.auth_metadata.get());
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
    admin::Executions* executions = &s.api->executions();
    http.log_file = [executions](const std::string& rest) { return executions->LogFile(rest); };
    http.log_finished = [executions](const std::string& rest) {
      return executions->LogFinished(rest);
    };
    http.blob = [executions](const std::string& uri) { return executions->Blob(uri); };
    admin::AdminApi* api = s.api.get();
    const Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Default();
    http.schedules = [api, clock](const std::string& project, const std::string& domain) {
      return SchedulesJson(*api, project, domain, clock->Now());
    };
    http.data = s.data.get();
    s.feed = std::make_unique<ChangeFeed>(*options.engine);
    http.feed = s.feed.get();
    const Auth* auth = s.auth.get();
    http.authorized = [auth](const std::string& header) { return auth->Allows(header); };
    FLYTECPP_ASSIGN_OR_RETURN(s.http, HttpGateway::Start(std::move(http)));
    // Logs are linked where this server serves them, by a name others can reach.
    const std::string base = HttpBase(options, s.http->port());
    s.api->executions().set_log_base_url(base);
    s.data->set_base_url(base);
    s.auth_metadata->set_http_base(base);
  }
  // The loops say what they did, and what failed, one line each.
  auto log = [](const std::string& line) { std::cerr << "flytecpp serve: " << line << std::endl; };
  if (options.schedules) {
    admin::SchedulerOptions schedules;
    FLYTECPP_ASSIGN_OR_RETURN(schedules.catch_up, admin::ParseCatchUp(options.schedule_catch_up));
    schedules.owner = engine->owner();
    schedules.clock = options.clock;
    schedules.lease_duration = options.schedule_lease;
    schedules.log = log;
    FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                              store::OpenStore(local.store, local.data_dir));
    s.scheduler = std::make_unique<admin::Scheduler>(s.api->executions(), std::move(store),
                                                     std::move(schedules));
    s.scheduler->Start();
  }
  if (options.notifications) {
    admin::NotifierOptions notify;
    notify.owner = engine->owner();
    notify.clock = options.clock;
    notify.settings = options.notification_settings;
    if (!options.secrets_dir.empty()) {
      s.secrets = std::make_unique<runtime::SecretStore>(options.secrets_dir);
      notify.secrets = s.secrets.get();
    }
    notify.console_url = s.http ? HttpBase(options, s.http->port()) : "";
    notify.first_retry = options.notification_retry;
    notify.log = log;
    FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                              store::OpenStore(local.store, local.data_dir));
    s.notifier =
        std::make_unique<admin::Notifier>(s.api->executions(), std::move(store), std::move(notify));
    admin::Notifier* notifier = s.notifier.get();
    // An execution's end is written with its notice: look for it at once.
    s.engine = engine;
    s.notifier_listener = engine->Subscribe([notifier](const engine::Event& e) {
      if (e.kind == store::EventKind::kWorkflow &&
          idl::IsTerminal(static_cast<flyteidl::core::WorkflowExecution::Phase>(e.phase))) {
        notifier->Wake();
      }
    });
    s.notifier->Start();
  }
  if (options.adopt_interval.count() > 0) {
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
  if (impl_->scheduler) impl_->scheduler->Stop();
  if (impl_->notifier) {
    impl_->engine->Unsubscribe(impl_->notifier_listener);
    impl_->notifier->Stop();
  }
  if (impl_->feed) impl_->feed->Close();  // open event streams end
  if (impl_->http) impl_->http->Shutdown();
  if (impl_->grpc) impl_->grpc->Shutdown();
}

}  // namespace flytecpp::server
