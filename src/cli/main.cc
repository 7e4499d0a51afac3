// flytecpp: Flyte's task and workflow IDL, compiler and engine, locally.
#include <google/protobuf/stubs/common.h>

#include <iostream>

#include "commands.h"

namespace {
constexpr const char* kVersion =
    "flytecpp " FLYTECPP_VERSION " (flyteidl " FLYTECPP_FLYTEIDL_VERSION ")";
}  // namespace

int main(int argc, char** argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  CLI::App app{"flytecpp: run Flyte tasks and workflows locally, without Kubernetes"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough();

  int exit_code = flytecpp::cli::kExitOk;
  flytecpp::cli::RegisterInspect(app, &exit_code);
  flytecpp::cli::RegisterConvert(app, &exit_code);
  flytecpp::cli::RegisterPackage(app, &exit_code);
  flytecpp::cli::RegisterCompile(app, &exit_code);

  // CLI11 reports an unknown command as "a subcommand is required"; name it.
  auto is_command = [&app](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == name) return true;
    }
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::cerr << "flytecpp: unknown command \"" << argv[1] << "\" (see flytecpp --help)\n";
    return flytecpp::cli::kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors: one line, exit 2 (CLI11's own codes are not ours).
    std::cerr << "flytecpp: " << e.what() << " (see flytecpp --help)\n";
    return flytecpp::cli::kExitBadInput;
  }
  google::protobuf::ShutdownProtobufLibrary();
  return exit_code;
}
