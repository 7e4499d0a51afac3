// flytecpp register PKG [--server ADDR] [--project P] [--domain D] [--version V]:
// registers a pyflyte package with a FlyteAdmin server (flytecpp serve, or
// flyteadmin itself) as `flytectl register files --archive` does: in the
// package's order, every identifier given the project, domain and version
// (flytectl's hydration), an entity already registered identically counted
// as registered. The first refusal stops it, naming the file.
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "commands.h"
#include "flytecpp/idl/package.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "report.h"
#include "token.h"

namespace flytecpp::cli {

namespace {

namespace admin = flyteidl::admin;
namespace core = flyteidl::core;

struct RegisterArgs {
  std::string package, server = "127.0.0.1:8089", project = "flytesnacks", domain = "development",
                       version;
  std::string token_file, tls_ca;
};

// flytectl's hydration: every core.Identifier in `m` gets the project,
// domain and version where it has none (or a {{ registration.* }} placeholder).
void Hydrate(google::protobuf::Message* m, const RegisterArgs& a, bool* missing_version) {
  if (m->GetDescriptor() == core::Identifier::descriptor()) {
    auto* id = static_cast<core::Identifier*>(m);
    auto fill = [](std::string* field, const std::string& value) {
      if (field->empty() || field->rfind("{{", 0) == 0) *field = value;
    };
    fill(id->mutable_project(), a.project);
    fill(id->mutable_domain(), a.domain);
    if (id->version().empty() || id->version().rfind("{{", 0) == 0) {
      if (a.version.empty()) *missing_version = true;
      *id->mutable_version() = a.version;
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
        Hydrate(reflection->MutableRepeatedMessage(m, f, i), a, missing_version);
      }
    } else {
      Hydrate(reflection->MutableMessage(m, f), a, missing_version);
    }
  }
}

int RunRegister(const RegisterArgs& a) {
  auto package = idl::ReadPackage(a.package);
  if (!package.ok()) return Fail(package.status(), kExitBadInput);
  bool missing_version = false;
  for (auto& e : package->entities) {
    Hydrate(&e.task, a, &missing_version);
    Hydrate(&e.workflow, a, &missing_version);
    Hydrate(&e.launch_plan, a, &missing_version);
  }
  if (missing_version) {
    return Fail(InvalidArgument(a.package + ": its entities have no version: give --version"),
                kExitBadInput);
  }
  std::string token;
  if (!a.token_file.empty()) {
    auto t = ReadTokenFile(a.token_file);
    if (!t.ok()) return Fail(t.status(), kExitBadInput);
    token = *t;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!a.tls_ca.empty()) {
    auto ca = idl::ReadFileBytes(a.tls_ca);
    if (!ca.ok()) return Fail(ca.status().WithContext("--tls-ca"), kExitBadInput);
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    credentials = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateChannel(a.server, credentials);
  auto stub = flyteidl::service::AdminService::NewStub(channel);
  int registered = 0, existing = 0;
  for (const auto& e : package->entities) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    grpc::Status st;
    switch (e.kind) {
      case idl::EntityKind::kTask: {
        admin::TaskCreateRequest request;
        *request.mutable_id() = e.task.template_().id();
        *request.mutable_spec() = e.task;
        admin::TaskCreateResponse response;
        st = stub->CreateTask(&context, request, &response);
        break;
      }
      case idl::EntityKind::kWorkflow: {
        admin::WorkflowCreateRequest request;
        *request.mutable_id() = e.workflow.template_().id();
        *request.mutable_spec() = e.workflow;
        admin::WorkflowCreateResponse response;
        st = stub->CreateWorkflow(&context, request, &response);
        break;
      }
      case idl::EntityKind::kLaunchPlan: {
        admin::LaunchPlanCreateRequest request;
        *request.mutable_id() = e.launch_plan.id();
        *request.mutable_spec() = e.launch_plan.spec();
        admin::LaunchPlanCreateResponse response;
        st = stub->CreateLaunchPlan(&context, request, &response);
        break;
      }
    }
    const std::string what = std::string(idl::EntityKindName(e.kind)) + " " + e.name();
    if (st.ok()) {
      ++registered;
      std::cout << "registered  " << what << "\n";
    } else if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      ++existing;
      std::cout << "exists      " << what << " (identical)\n";
    } else {
      std::cout << std::flush;
      const bool unreachable = st.error_code() == grpc::StatusCode::UNAVAILABLE ||
                               st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                               st.error_code() == grpc::StatusCode::UNAUTHENTICATED;
      std::string message = st.error_message();
      for (char& c : message) c = c == '\n' ? ' ' : c;
      return Fail(
          Status(unreachable ? StatusCode::kFailedPrecondition : StatusCode::kInvalidArgument,
                 (unreachable ? "server " + a.server + ": " : a.package + ": " + e.entry + ": ") +
                     message),
          unreachable ? kExitFailed : kExitBadInput);
    }
  }
  std::cout << registered << " registered, " << existing << " already registered, on " << a.server
            << " (" << a.project << "/" << a.domain << ")\n";
  return kExitOk;
}

}  // namespace

void RegisterRegister(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<RegisterArgs>();
  auto* cmd = app.add_subcommand(
      "register", "Register a pyflyte package with a FlyteAdmin server (flytecpp serve)");
  cmd->add_option("PACKAGE", a->package, "The package (.tgz, .tar.gz, .tar)")->required();
  cmd->add_option("--server", a->server, "The server's gRPC address")->capture_default_str();
  cmd->add_option("--project", a->project, "Project of ids that name none")->capture_default_str();
  cmd->add_option("--domain", a->domain, "Domain of ids that name none")->capture_default_str();
  cmd->add_option("--version", a->version, "Version of ids that name none");
  cmd->add_option("--token-file", a->token_file, "Send this bearer token (the server's)");
  cmd->add_option("--tls-ca", a->tls_ca, "Speak TLS, trusting this CA certificate (PEM)");
  cmd->callback([a, exit_code] { *exit_code = RunRegister(*a); });
}

}  // namespace flytecpp::cli
