#include "remote.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <thread>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/phases.h"
#include "token.h"

namespace flytecpp::cli {

namespace {

using google::protobuf::util::TimeUtil;
constexpr auto kDeadline = std::chrono::seconds(60);

int64_t Ns(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToNanoseconds(t); }

}  // namespace

void Hydrate(google::protobuf::Message* m, const RemoteArgs& a, const std::string& version,
             bool* missing_version) {
  if (m->GetDescriptor() == core::Identifier::descriptor()) {
    auto* id = static_cast<core::Identifier*>(m);
    auto fill = [](std::string* field, const std::string& value) {
      if (field->empty() || field->rfind("{{", 0) == 0) *field = value;
    };
    fill(id->mutable_project(), a.project);
    fill(id->mutable_domain(), a.domain);
    if (id->version().empty() || id->version().rfind("{{", 0) == 0) {
      if (version.empty()) *missing_version = true;
      *id->mutable_version() = version;
    }
    return;
  }
  const auto* reflection = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*m, f); ++i) {
        Hydrate(reflection->MutableRepeatedMessage(m, f, i), a, version, missing_version);
      }
    } else {
      Hydrate(reflection->MutableMessage(m, f), a, version, missing_version);
    }
  }
}

void AddRemoteOptions(CLI::App* cmd, RemoteArgs* args) {
  cmd->add_option("--server", args->server,
                  "Ask this FlyteAdmin server (gRPC host:port, e.g. flytecpp serve's) instead of "
                  "the local store");
  cmd->add_option("--token-file", args->token_file, "With --server: send this bearer token");
  cmd->add_option("--tls-ca", args->tls_ca, "With --server: speak TLS, trusting this CA (PEM)");
  cmd->add_option("--project", args->project, "The project (the server's; a local run's too)")
      ->capture_default_str();
  cmd->add_option("--domain", args->domain, "The domain (the server's; a local run's too)")
      ->capture_default_str();
}

Result<std::unique_ptr<Remote>> Remote::Connect(const RemoteArgs& args) {
  std::unique_ptr<Remote> remote(new Remote(args));
  if (!args.token_file.empty()) {
    FLYTECPP_ASSIGN_OR_RETURN(remote->token_, ReadTokenFile(args.token_file));
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!args.tls_ca.empty()) {
    auto ca = idl::ReadFileBytes(args.tls_ca);
    if (!ca.ok()) return ca.status().WithContext("--tls-ca");
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(-1);  // executions' data can be large
  auto channel = grpc::CreateCustomChannel(args.server, credentials, channel_args);
  remote->admin_ = flyteidl::service::AdminService::NewStub(channel);
  remote->signals_ = flyteidl::service::SignalService::NewStub(channel);
  return remote;
}

void Remote::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + kDeadline);
  if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
}

Status Remote::Converted(const grpc::Status& st) const {
  if (st.ok()) return Status::Ok();
  std::string message = st.error_message();
  std::replace(message.begin(), message.end(), '\n', ' ');
  switch (st.error_code()) {
    case grpc::StatusCode::NOT_FOUND: return NotFound(message);
    case grpc::StatusCode::INVALID_ARGUMENT: return InvalidArgument(message);
    case grpc::StatusCode::ALREADY_EXISTS: return AlreadyExists(message);
    case grpc::StatusCode::FAILED_PRECONDITION: return FailedPrecondition(message);
    case grpc::StatusCode::UNIMPLEMENTED:
      return Unimplemented("server " + args_.server + " does not serve this: " + message);
    default:
      // Unreachable, refused, timed out: the server, not the request.
      return FailedPrecondition("server " + args_.server + ": " + message);
  }
}

core::WorkflowExecutionIdentifier Remote::ExecutionId(const std::string& name) const {
  core::WorkflowExecutionIdentifier id;
  id.set_project(args_.project);
  id.set_domain(args_.domain);
  id.set_name(name);
  return id;
}

namespace {

store::ExecutionRecord RecordOf(const admin::Execution& e) {
  store::ExecutionRecord r;
  const auto& c = e.closure();
  r.id = e.id().name();
  r.workflow_name =
      c.workflow_id().name().empty() ? e.spec().launch_plan().name() : c.workflow_id().name();
  r.phase = c.phase();
  r.created_ns = Ns(c.created_at());
  r.updated_ns = Ns(c.updated_at());
  if (c.has_error()) r.error = c.error();
  r.parent = e.spec().metadata().parent_node_execution().execution_id().name();
  r.project = e.id().project();
  r.domain = e.id().domain();
  return r;
}

}  // namespace

Result<store::ExecutionRecord> Remote::GetExecution(const std::string& name, bool data) {
  admin::WorkflowExecutionGetRequest request;
  *request.mutable_id() = ExecutionId(name);
  admin::Execution e;
  FLYTECPP_RETURN_IF_ERROR(
      Call(admin(), &flyteidl::service::AdminService::Stub::GetExecution, request, &e));
  store::ExecutionRecord r = RecordOf(e);
  if (data) {
    admin::WorkflowExecutionGetDataRequest dr;
    *dr.mutable_id() = ExecutionId(name);
    admin::WorkflowExecutionGetDataResponse d;
    FLYTECPP_RETURN_IF_ERROR(
        Call(admin(), &flyteidl::service::AdminService::Stub::GetExecutionData, dr, &d));
    r.inputs = std::make_shared<const core::LiteralMap>(d.full_inputs());
    if (d.has_full_outputs())
      r.outputs = std::make_shared<const core::LiteralMap>(d.full_outputs());
  }
  return r;
}

Result<std::vector<store::ExecutionRecord>> Remote::ListExecutions() {
  std::vector<store::ExecutionRecord> out;
  admin::ResourceListRequest request;
  request.mutable_id()->set_project(args_.project);
  request.mutable_id()->set_domain(args_.domain);
  request.set_limit(100);
  do {
    admin::ExecutionList page;
    FLYTECPP_RETURN_IF_ERROR(
        Call(admin(), &flyteidl::service::AdminService::Stub::ListExecutions, request, &page));
    for (const auto& e : page.executions()) out.push_back(RecordOf(e));
    request.set_token(page.token());
  } while (!request.token().empty());
  return out;
}

Result<std::vector<store::NodeRecord>> Remote::GetNodes(const std::string& name) {
  std::vector<store::NodeRecord> out;
  // Top level first, then the children of every parent node, breadth first.
  std::vector<std::string> parents = {""};
  for (size_t k = 0; k < parents.size(); ++k) {
    admin::NodeExecutionListRequest request;
    *request.mutable_workflow_execution_id() = ExecutionId(name);
    request.set_limit(1000);
    request.set_unique_parent_id(parents[k]);
    do {
      admin::NodeExecutionList page;
      FLYTECPP_RETURN_IF_ERROR(Call(
          admin(), &flyteidl::service::AdminService::Stub::ListNodeExecutions, request, &page));
      for (const auto& n : page.node_executions()) {
        store::NodeRecord r;
        r.execution_id = name;
        r.path = n.id().node_id();
        r.phase = n.closure().phase();
        r.attempts = std::atoi(n.metadata().retry_group().c_str());
        if (n.closure().has_error()) r.error = n.closure().error();
        r.queued_ns = Ns(n.closure().created_at());
        r.attempt_started_ns = Ns(n.closure().started_at());
        r.updated_ns = Ns(n.closure().updated_at());
        if (n.metadata().is_parent_node()) parents.push_back(r.path);
        out.push_back(std::move(r));
      }
      request.set_token(page.token());
    } while (!request.token().empty());
  }
  // As the store lists them: by when they were queued.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.queued_ns, a.path) < std::tie(b.queued_ns, b.path);
  });
  return out;
}

Result<std::vector<engine::SignalState>> Remote::Signals(const std::string& name) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord e, GetExecution(name, /*data=*/false));
  admin::SignalListRequest request;
  *request.mutable_workflow_execution_id() = ExecutionId(name);
  request.set_limit(1000);
  admin::SignalList list;
  FLYTECPP_RETURN_IF_ERROR(
      Call(signals(), &flyteidl::service::SignalService::Stub::ListSignals, request, &list));
  std::vector<engine::SignalState> out;
  for (const auto& s : list.signals()) {
    engine::SignalState state;
    state.execution_id = name;
    state.signal_id = s.id().signal_id();
    state.type = s.type();
    if (s.has_value()) state.value = s.value();
    // The API does not say whether a gate waits now: an unset signal of a
    // running execution is taken to be waited for.
    state.waiting = !s.has_value() && !idl::IsTerminal(e.phase);
    out.push_back(std::move(state));
  }
  return out;
}

Result<std::vector<admin::TaskExecution>> Remote::Attempts(const std::string& name,
                                                           const std::string& path) {
  admin::TaskExecutionListRequest request;
  *request.mutable_node_execution_id()->mutable_execution_id() = ExecutionId(name);
  request.mutable_node_execution_id()->set_node_id(path);
  request.set_limit(1000);
  admin::TaskExecutionList list;
  FLYTECPP_RETURN_IF_ERROR(
      Call(admin(), &flyteidl::service::AdminService::Stub::ListTaskExecutions, request, &list));
  std::vector<admin::TaskExecution> out(list.task_executions().begin(),
                                        list.task_executions().end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.id().retry_attempt() < b.id().retry_attempt();
  });
  return out;
}

Status Remote::Register(idl::Package package, const std::string& version, const std::string& where,
                        const std::function<void(const std::string&, bool)>& report) {
  bool missing_version = false;
  for (auto& e : package.entities) {
    Hydrate(&e.task, args_, version, &missing_version);
    Hydrate(&e.workflow, args_, version, &missing_version);
    Hydrate(&e.launch_plan, args_, version, &missing_version);
  }
  if (missing_version) {
    return InvalidArgument(where + ": its entities have no version: give --version");
  }
  using Stub = flyteidl::service::AdminService::Stub;
  for (const auto& e : package.entities) {
    Status st;
    switch (e.kind) {
      case idl::EntityKind::kTask: {
        admin::TaskCreateRequest request;
        *request.mutable_id() = e.task.template_().id();
        *request.mutable_spec() = e.task;
        admin::TaskCreateResponse response;
        st = Call(admin(), &Stub::CreateTask, request, &response);
        break;
      }
      case idl::EntityKind::kWorkflow: {
        admin::WorkflowCreateRequest request;
        *request.mutable_id() = e.workflow.template_().id();
        *request.mutable_spec() = e.workflow;
        admin::WorkflowCreateResponse response;
        st = Call(admin(), &Stub::CreateWorkflow, request, &response);
        break;
      }
      case idl::EntityKind::kLaunchPlan: {
        admin::LaunchPlanCreateRequest request;
        *request.mutable_id() = e.launch_plan.id();
        *request.mutable_spec() = e.launch_plan.spec();
        admin::LaunchPlanCreateResponse response;
        st = Call(admin(), &Stub::CreateLaunchPlan, request, &response);
        break;
      }
    }
    const std::string what = std::string(idl::EntityKindName(e.kind)) + " " + e.name();
    if (st.ok() || st.code() == StatusCode::kAlreadyExists) {
      report(what, !st.ok());
      continue;
    }
    // The server refused it, or could not be reached.
    return st.code() == StatusCode::kFailedPrecondition ? st
                                                        : st.WithContext(where + ": " + e.entry);
  }
  return Status::Ok();
}

Result<store::ExecutionRecord> Remote::WaitForEnd(const std::string& name) {
  auto pause = std::chrono::milliseconds(50);
  while (true) {
    FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord e, GetExecution(name, /*data=*/false));
    if (idl::IsTerminal(e.phase)) return GetExecution(name, /*data=*/true);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace flytecpp::cli
