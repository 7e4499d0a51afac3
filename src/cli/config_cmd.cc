// flytecpp config init: writes the configuration Flyte's clients need to
// reach a flytecpp server (client_config.h).
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "client_config.h"
#include "commands.h"
#include "flytecpp/idl/io.h"
#include "report.h"

namespace flytecpp::cli {

namespace fs = std::filesystem;

Result<std::string> FlyteClientConfigYaml(const ClientConfig& config) {
  if (!config.token_file.empty() && !fs::path(config.token_file).is_absolute()) {
    return InvalidArgument("--token-file " + config.token_file +
                           ": must be an absolute path (clients read it from anywhere)");
  }
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "admin" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "endpoint" << YAML::Value << "dns:///" + config.grpc_address;
  out << YAML::Key << "insecure" << YAML::Value << !config.tls;
  if (!config.token_file.empty()) {
    out << YAML::Key << "authType" << YAML::Value << "ExternalCommand";
    out << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq << "cat"
        << config.token_file << YAML::EndSeq;
  }
  out << YAML::EndMap;
  if (!config.console_url.empty()) {
    out << YAML::Key << "console" << YAML::Value << YAML::BeginMap << YAML::Key << "endpoint"
        << YAML::Value << config.console_url << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

namespace {

struct ConfigArgs {
  ClientConfig config{"127.0.0.1:8089", "http://127.0.0.1:8088", false, ""};
  std::string output;
  bool force = false;
};

int RunConfigInit(const ConfigArgs& a) {
  std::string path = a.output;
  if (path.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      return Fail(InvalidArgument("HOME is not set: give --output"), kExitBadInput);
    }
    path = std::string(home) + "/.flyte/config.yaml";
  }
  ClientConfig config = a.config;
  if (config.console_url == "none") config.console_url.clear();
  auto text = FlyteClientConfigYaml(config);
  if (!text.ok()) return Fail(text.status(), kExitBadInput);
  std::error_code error;
  if (!a.force && fs::exists(path, error)) {
    return Fail(AlreadyExists(path + " exists; --force replaces it"), kExitBadInput);
  }
  fs::create_directories(fs::path(path).parent_path(), error);
  if (Status st = idl::WriteFileAtomic(path, *text); !st.ok()) return Fail(st, kExitBadInput);
  std::cout << "wrote " << path << " (pyflyte, FlyteRemote and flytectl read it)" << std::endl;
  return kExitOk;
}

}  // namespace

void RegisterConfig(CLI::App& app, int* exit_code) {
  auto* config = app.add_subcommand("config", "Configuration for Flyte's own clients");
  config->require_subcommand(1);
  auto a = std::make_shared<ConfigArgs>();
  auto* init = config->add_subcommand(
      "init",
      "Write ~/.flyte/config.yaml so pyflyte, FlyteRemote and flytectl reach a flytecpp server");
  init->add_option("--server", a->config.grpc_address, "The server's gRPC address (host:port)")
      ->capture_default_str();
  init->add_option("--console", a->config.console_url,
                   "Its HTTP address, where clients link executions (or none)")
      ->capture_default_str();
  init->add_flag("--tls", a->config.tls, "The server speaks TLS (serve --tls-cert)");
  init->add_option("--token-file", a->config.token_file,
                   "The server's bearer token is in this file (absolute; clients run cat on it)");
  init->add_option("-o,--output", a->output, "Write here instead of ~/.flyte/config.yaml");
  init->add_flag("--force", a->force, "Replace an existing file");
  init->callback([a, exit_code] { *exit_code = RunConfigInit(*a); });
}

}  // namespace flytecpp::cli
