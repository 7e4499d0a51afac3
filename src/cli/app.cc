// The flytecpp command's parser and subcommand table.
#include <google/protobuf/stubs/common.h>

#include <charconv>
#include <iostream>

#include "commands.h"
#include "flytecpp/cli/cli.h"

namespace flytecpp::cli {

namespace {
constexpr const char* kVersion =
    "flytecpp " FLYTECPP_VERSION " (flyteidl " FLYTECPP_FLYTEIDL_VERSION ")";
}  // namespace

CLI::Validator AtLeast(int min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        int value = 0;
        const char* end = text.data() + text.size();
        auto [at, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || at != end || value < min) {
          return "must be a whole number, " + std::to_string(min) + " or more (got " + text + ")";
        }
        return "";
      },
      "N>=" + std::to_string(min));
}

int RunCli(int argc, char** argv, std::vector<runtime::Runtime*> runtimes) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  CLI::App app{"flytecpp: run Flyte tasks and workflows locally, without Kubernetes"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough();

  CliEnv env;
  env.runtimes = std::move(runtimes);
  app.add_option("--store", env.store_dir,
                 "Store directory (default: $FLYTECPP_HOME, else ~/.flytecpp), or a PostgreSQL "
                 "database (postgres://user@host/db) that several servers share");
  app.add_option("--home", env.home,
                 "With a PostgreSQL store: the directory of literal data, config and secrets "
                 "(default: $FLYTECPP_HOME, else ~/.flytecpp); servers sharing the database "
                 "share it");
  app.add_flag("--no-sandbox", env.no_sandbox,
               "Run container tasks as plain processes, without the bubblewrap sandbox");
  app.add_option("--runtime", env.runtime,
                 "Where container tasks run: process (this machine) or slurm (jobs on the "
                 "cluster SLURM_CONF names; slurm: in the config sets partition, account, qos)")
      ->check(CLI::IsMember({"process", "slurm"}))
      ->capture_default_str();
  app.add_option("--config", env.config,
                 "Config file (default: <store>/config.yaml): image mappings");
  app.add_option("-j,--jobs", env.jobs, "Process tasks running at once (default: one per core)")
      ->check(AtLeast(1));

  int exit_code = kExitOk;
  RegisterInspect(app, &exit_code);
  RegisterConvert(app, &exit_code);
  RegisterPackage(app, &exit_code);
  RegisterCompile(app, &exit_code);
  RegisterRun(app, &env, &exit_code);
  RegisterExecutions(app, &env, &exit_code);
  RegisterSignals(app, &env, &exit_code);
  RegisterCache(app, &env, &exit_code);
  RegisterSecrets(app, &env, &exit_code);
  RegisterServe(app, &env, &exit_code);
  RegisterRegister(app, &env, &exit_code);
  RegisterConfig(app, &exit_code);
  RegisterSchedules(app, &env, &exit_code);
  RegisterNotifications(app, &env, &exit_code);

  // CLI11 reports an unknown command as "a subcommand is required"; name it.
  auto is_command = [&app](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == name) return true;
    }
    return false;
  };
  int first = 1;
  while (first < argc && argv[first][0] == '-') {
    const std::string flag = argv[first];
    const bool has_value = flag == "--store" || flag == "--home" || flag == "--config" ||
                           flag == "--runtime" || flag == "-j" || flag == "--jobs";
    first += has_value ? 2 : 1;
  }
  if (first < argc && !is_command(argv[first])) {
    std::cerr << "flytecpp: unknown command \"" << argv[first] << "\" (see flytecpp --help)\n";
    return kExitBadInput;
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
    return kExitBadInput;
  }
  return exit_code;
}

}  // namespace flytecpp::cli
