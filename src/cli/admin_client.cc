#include "admin_client.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <thread>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/phases.h"
#include "store_util.h"
#include "token.h"

namespace flytecpp::cli {

namespace {

using google::protobuf::util::TimeUtil;

int64_t Ns(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToNanoseconds(t); }

}  // namespace

void Hydrate(google::protobuf::Message* m, const AdminArgs& a, const std::string& version,
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

void AddAdminOptions(CLI::App* cmd, AdminArgs* args) {
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

Result<std::unique_ptr<AdminClient>> AdminClient::Open(const CliEnv& env, const AdminArgs& args) {
  std::unique_ptr<AdminClient> client(new AdminClient(env, args));
  if (!args.server.empty()) {
    flytecpp::admin::AdminConnection connection;
    connection.address = args.server;
    if (!args.token_file.empty()) {
      FLYTECPP_ASSIGN_OR_RETURN(client->token_, ReadTokenFile(args.token_file));
      connection.token = client->token_;
    }
    if (!args.tls_ca.empty()) {
      auto ca = idl::ReadFileBytes(args.tls_ca);
      if (!ca.ok()) return ca.status().WithContext("--tls-ca");
      connection.tls_ca_pem = *ca;
    }
    client->api_ = flytecpp::admin::ConnectAdmin(connection);
    return client;
  }
  flytecpp::admin::LocalAdminOptions local;
  const std::string url = StoreUrl(env);
  local.store = url.empty() ? StoreDir(env).string() : url;
  local.data_dir = (StoreDir(env) / "data").string();
  AdminClient* self = client.get();
  local.engine = [self]() { return self->local_engine(); };
  FLYTECPP_ASSIGN_OR_RETURN(client->api_, flytecpp::admin::OpenLocalAdmin(local));
  return client;
}

std::string AdminClient::Where() const {
  return args_.server.empty() ? "the local store" : "server " + args_.server;
}

core::WorkflowExecutionIdentifier AdminClient::ExecutionId(const std::string& name) const {
  core::WorkflowExecutionIdentifier id;
  id.set_project(args_.project);
  id.set_domain(args_.domain);
  id.set_name(name);
  return id;
}

Result<store::Store*> AdminClient::local_store() {
  if (!args_.server.empty()) return static_cast<store::Store*>(nullptr);
  if (local_store_ == nullptr) {
    FLYTECPP_ASSIGN_OR_RETURN(local_store_, OpenStore(env_));
  }
  return local_store_.get();
}

Result<engine::Engine*> AdminClient::local_engine() {
  if (!args_.server.empty()) return static_cast<engine::Engine*>(nullptr);
  if (local_ == nullptr) {
    FLYTECPP_ASSIGN_OR_RETURN(local_, MakeEngineEnv(env_));
  }
  return local_->engine.get();
}

Result<admin::Execution> AdminClient::GetExecution(const std::string& name) {
  admin::WorkflowExecutionGetRequest request;
  *request.mutable_id() = ExecutionId(name);
  return api_->GetExecution(request);
}

Result<admin::WorkflowExecutionGetDataResponse> AdminClient::GetExecutionData(
    const std::string& name) {
  admin::WorkflowExecutionGetDataRequest request;
  *request.mutable_id() = ExecutionId(name);
  return api_->GetExecutionData(request);
}

Result<std::vector<admin::Execution>> AdminClient::ListExecutions() {
  std::vector<admin::Execution> out;
  admin::ResourceListRequest request;
  request.mutable_id()->set_project(args_.project);
  request.mutable_id()->set_domain(args_.domain);
  request.set_limit(1000);
  do {
    FLYTECPP_ASSIGN_OR_RETURN(admin::ExecutionList page, api_->ListExecutions(request));
    for (auto& e : *page.mutable_executions()) out.push_back(std::move(e));
    request.set_token(page.token());
  } while (!request.token().empty());
  return out;
}

Result<std::vector<admin::NodeExecution>> AdminClient::ListNodes(const std::string& name) {
  std::vector<admin::NodeExecution> out;
  // Top level first, then the children of every parent node, breadth first.
  std::vector<std::string> parents = {""};
  for (size_t k = 0; k < parents.size(); ++k) {
    admin::NodeExecutionListRequest request;
    *request.mutable_workflow_execution_id() = ExecutionId(name);
    request.set_limit(1000);
    request.set_unique_parent_id(parents[k]);
    do {
      FLYTECPP_ASSIGN_OR_RETURN(admin::NodeExecutionList page, api_->ListNodeExecutions(request));
      for (auto& n : *page.mutable_node_executions()) {
        if (n.metadata().is_parent_node()) parents.push_back(n.id().node_id());
        out.push_back(std::move(n));
      }
      request.set_token(page.token());
    } while (!request.token().empty());
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const int64_t qa = Ns(a.closure().created_at()), qb = Ns(b.closure().created_at());
    return std::tie(qa, a.id().node_id()) < std::tie(qb, b.id().node_id());
  });
  return out;
}

Result<std::vector<admin::Signal>> AdminClient::ListSignals(const std::string& name) {
  std::vector<admin::Signal> out;
  admin::SignalListRequest request;
  *request.mutable_workflow_execution_id() = ExecutionId(name);
  request.set_limit(1000);
  do {
    FLYTECPP_ASSIGN_OR_RETURN(admin::SignalList page, api_->ListSignals(request));
    for (auto& s : *page.mutable_signals()) out.push_back(std::move(s));
    request.set_token(page.token());
  } while (!request.token().empty());
  return out;
}

Result<std::vector<admin::TaskExecution>> AdminClient::ListAttempts(const std::string& name,
                                                                    const std::string& path) {
  admin::TaskExecutionListRequest request;
  *request.mutable_node_execution_id()->mutable_execution_id() = ExecutionId(name);
  request.mutable_node_execution_id()->set_node_id(path);
  request.set_limit(1000);
  FLYTECPP_ASSIGN_OR_RETURN(admin::TaskExecutionList list, api_->ListTaskExecutions(request));
  std::vector<admin::TaskExecution> out(list.task_executions().begin(),
                                        list.task_executions().end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.id().retry_attempt() < b.id().retry_attempt();
  });
  return out;
}

Status AdminClient::Register(idl::Package package, const std::string& version,
                             const std::string& where,
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
  for (const auto& e : package.entities) {
    Status st;
    switch (e.kind) {
      case idl::EntityKind::kTask: {
        admin::TaskCreateRequest request;
        *request.mutable_id() = e.task.template_().id();
        *request.mutable_spec() = e.task;
        st = api_->CreateTask(request).status();
        break;
      }
      case idl::EntityKind::kWorkflow: {
        admin::WorkflowCreateRequest request;
        *request.mutable_id() = e.workflow.template_().id();
        *request.mutable_spec() = e.workflow;
        st = api_->CreateWorkflow(request).status();
        break;
      }
      case idl::EntityKind::kLaunchPlan: {
        admin::LaunchPlanCreateRequest request;
        *request.mutable_id() = e.launch_plan.id();
        *request.mutable_spec() = e.launch_plan.spec();
        st = api_->CreateLaunchPlan(request).status();
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

Result<admin::Execution> AdminClient::WaitForEnd(const std::string& name) {
  auto pause = std::chrono::milliseconds(50);
  while (true) {
    FLYTECPP_ASSIGN_OR_RETURN(admin::Execution e, GetExecution(name));
    if (idl::IsTerminal(e.closure().phase())) return e;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace flytecpp::cli
