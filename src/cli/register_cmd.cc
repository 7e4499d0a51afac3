// flytecpp register PKG [--server ADDR] [--project P] [--domain D] [--version V]:
// registers a pyflyte package with a FlyteAdmin server (flytecpp serve, or
// flyteadmin itself) as `flytectl register files --archive` does: in the
// package's order, every identifier given the project, domain and version
// (flytectl's hydration), an entity already registered identically counted
// as registered. The first refusal stops it, naming the file.
#include <iostream>

#include "admin_client.h"
#include "commands.h"
#include "flytecpp/idl/package.h"
#include "report.h"

namespace flytecpp::cli {

namespace {

struct RegisterArgs {
  RegisterArgs() { remote.server = "127.0.0.1:8089"; }  // flyteadmin's gRPC port
  std::string package, version;
  AdminArgs remote;
};

int RunRegister(const CliEnv& env, const RegisterArgs& a) {
  auto package = idl::ReadPackage(a.package);
  if (!package.ok()) return Fail(package.status(), kExitBadInput);
  auto client = AdminClient::Open(env, a.remote);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  int registered = 0, existing = 0;
  Status st = (*client)->Register(std::move(package).value(), a.version, a.package,
                                  [&](const std::string& what, bool existed) {
                                    ++(existed ? existing : registered);
                                    std::cout << (existed ? "exists      " : "registered  ") << what
                                              << (existed ? " (identical)\n" : "\n");
                                  });
  if (!st.ok()) {
    std::cout << std::flush;
    // Refused: the package is at fault; unreachable: the server is.
    return Fail(st, st.code() == StatusCode::kFailedPrecondition ? kExitFailed : kExitBadInput);
  }
  std::cout << registered << " registered, " << existing << " already registered, on "
            << (*client)->Where() << " (" << a.remote.project << "/" << a.remote.domain << ")\n";
  return kExitOk;
}

}  // namespace

void RegisterRegister(CLI::App& app, CliEnv* env, int* exit_code) {
  auto a = std::make_shared<RegisterArgs>();
  auto* cmd = app.add_subcommand(
      "register", "Register a pyflyte package with a FlyteAdmin server (flytecpp serve)");
  cmd->add_option("PACKAGE", a->package, "The package (.tgz, .tar.gz, .tar)")->required();
  cmd->add_option("--version", a->version, "Version of ids that name none");
  AddAdminOptions(cmd, &a->remote);
  cmd->callback([env, a, exit_code] { *exit_code = RunRegister(*env, *a); });
}

}  // namespace flytecpp::cli
