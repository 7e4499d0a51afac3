// flytecpp serve [--grpc ADDR] [--http ADDR]: the FlyteAdmin API over the store, until
// SIGINT/SIGTERM. It prints where it listens, then serves.
// flytecpp ui [--http ADDR]: the same server for one person on a laptop: the
// web console's URL is what it prints; gRPC listens on a free loopback port.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>
#include <tuple>

#include "client_config.h"
#include "commands.h"
#include "engine_env.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/server/server.h"
#include "report.h"
#include "store_util.h"
#include "token.h"

namespace flytecpp::cli {

namespace {

struct ServeArgs {
  std::string grpc = "127.0.0.1:8089";
  std::string http = "127.0.0.1:8088";
  std::string token_file, tls_cert, tls_key;
  std::string catch_up = "all";
  bool ui = false;  // print the console's URL
};

// What a task needs to call this server as flytekit's FlyteRemote does
// (flytekit's environment configuration): an eager task's sub-tasks are
// executions it creates. A server on every interface is reached by this
// host's name (Slurm's nodes too), one on loopback by loopback.
std::vector<std::pair<std::string, std::string>> AdminEnvironment(
    std::string host, int port, const server::ServerOptions& options, const ServeArgs& a) {
  if (host == "0.0.0.0" || host == "[::]" || host == "::") {
    char name[256] = {};
    host = gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
  }
  std::vector<std::pair<std::string, std::string>> env = {
      {"FLYTE_PLATFORM_URL", host + ":" + std::to_string(port)},
      {"FLYTE_PLATFORM_INSECURE", options.tls_cert_pem.empty() ? "true" : "false"},
  };
  std::error_code error;
  if (!a.tls_cert.empty()) {  // its own certificate is what to trust
    env.emplace_back("FLYTE_PLATFORM_CA_CERT_FILE_PATH",
                     std::filesystem::absolute(a.tls_cert, error).string());
  }
  if (!a.token_file.empty()) {
    env.emplace_back("FLYTE_CREDENTIALS_AUTH_MODE", "ExternalCommand");
    env.emplace_back("FLYTE_CREDENTIALS_COMMAND",
                     "cat," + std::filesystem::absolute(a.token_file, error).string());
  }
  return env;
}

// What Flyte's clients need to reach this server: the command that writes
// their config, and what it writes.
std::string ClientHint(const ServeArgs& a, const server::ServerOptions& options,
                       const std::string& grpc_host, const server::Server& server) {
  ClientConfig config;
  config.grpc_address = grpc_host + ":" + std::to_string(server.grpc_port());
  config.tls = !options.tls_cert_pem.empty();
  if (!options.http_address.empty()) {
    std::string http_host = options.http_address.substr(0, options.http_address.rfind(':'));
    if (http_host == "0.0.0.0" || http_host == "[::]") http_host = "localhost";
    config.console_url = (config.tls ? "https://" : "http://") + http_host + ":" +
                         std::to_string(server.http_port());
  }
  std::error_code error;
  if (!a.token_file.empty()) config.token_file = std::filesystem::absolute(a.token_file, error);
  auto yaml = FlyteClientConfigYaml(config);
  if (!yaml.ok()) return "";
  std::string command = "flytecpp config init --server " + config.grpc_address + " --console " +
                        (config.console_url.empty() ? "none" : config.console_url);
  if (config.tls) command += " --tls";
  if (!config.token_file.empty()) command += " --token-file " + config.token_file;
  std::string out = "Flyte clients (pyflyte, FlyteRemote, flytectl): `" + command +
                    "` writes ~/.flyte/config.yaml:\n";
  size_t start = 0;
  while (start < yaml->size()) {
    const size_t end = yaml->find('\n', start);
    out += "  " + yaml->substr(start, end - start) + "\n";
    start = end == std::string::npos ? yaml->size() : end + 1;
  }
  return out;
}

int RunServe(const CliEnv& env, const ServeArgs& a) {
  server::ServerOptions options;
  options.store_dir = StoreDir(env);
  options.store_url = StoreUrl(env);
  options.grpc_address = a.grpc;
  options.http_address = a.http == "none" ? "" : a.http;
  options.schedule_catch_up = a.catch_up;
  if (a.ui && options.http_address.empty()) {
    return Fail(InvalidArgument("ui --http none: the console is served over HTTP; give host:port"),
                kExitBadInput);
  }
  if (!a.token_file.empty()) {
    auto token = ReadTokenFile(a.token_file);
    if (!token.ok()) return Fail(token.status(), kExitBadInput);
    options.token = *token;
  }
  for (auto [file, pem, flag] : {std::tuple{&a.tls_cert, &options.tls_cert_pem, "--tls-cert"},
                                 std::tuple{&a.tls_key, &options.tls_key_pem, "--tls-key"}}) {
    if (file->empty()) continue;
    auto text = idl::ReadFileBytes(*file);
    if (!text.ok()) return Fail(text.status().WithContext(flag), kExitBadInput);
    *pem = *text;
  }
  const std::string& grpc_address = a.grpc;
  // Stop on SIGINT/SIGTERM: wait for them on a thread of our own.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  // The engine that runs what the API creates: the same as `flytecpp run`'s
  // (store, runtimes, config). Executions an engine left behind resume.
  auto made = MakeEngineEnv(env);
  if (!made.ok()) return Fail(made.status(), kExitBadInput);
  EngineEnv& e = **made;
  if (Status st = e.process->CheckSandbox(); !st.ok()) return Fail(st, kExitBadInput);
  options.engine = e.engine.get();
  options.notification_settings = e.notifications;
  options.secrets_dir = SecretsDir(env);
  auto server = server::Server::Start(options);
  if (!server.ok()) return Fail(server.status(), kExitBadInput);
  const std::string host = grpc_address.substr(0, grpc_address.rfind(':'));
  // Tasks learn where the API is before any runs (eager tasks call it).
  const auto task_env = AdminEnvironment(host, (*server)->grpc_port(), options, a);
  for (runtime::ProcessRuntime* r : {e.process.get(), e.slurm.get()}) {
    if (r != nullptr) r->SetTaskEnvironment(task_env);
  }
  auto adopted = e.engine->AdoptOrphans();
  if (a.ui) {
    std::string http_host = options.http_address.substr(0, options.http_address.rfind(':'));
    if (http_host == "0.0.0.0" || http_host == "[::]") http_host = "localhost";
    std::cout << "flytecpp ui: " << (options.tls_cert_pem.empty() ? "http://" : "https://")
              << http_host << ":" << (*server)->http_port() << "/  (store "
              << (options.store_url.empty() ? options.store_dir.string()
                                            : store::StoreDisplayName(options.store_url))
              << "; gRPC on " << host << ":" << (*server)->grpc_port() << "; Ctrl-C stops)"
              << std::endl;
  } else {
    std::cout << "flytecpp serve: gRPC" << (options.tls_cert_pem.empty() ? "" : " (TLS)") << " on "
              << host << ":" << (*server)->grpc_port();
    if (!options.http_address.empty()) {
      std::cout << ", HTTP on " << options.http_address.substr(0, options.http_address.rfind(':'))
                << ":" << (*server)->http_port();
    }
    std::cout << ", store "
              << (options.store_url.empty() ? options.store_dir.string()
                                            : store::StoreDisplayName(options.store_url));
    if (adopted.ok() && !adopted->empty()) std::cout << ", resumed " << adopted->size();
    std::cout << "\n" << ClientHint(a, options, host, **server) << std::flush;
  }
  // Serving goes on; what was left behind stays where it is until a restart.
  if (!adopted.ok()) {
    std::cerr << "flytecpp serve: could not resume the executions left behind: "
              << adopted.status().ToString() << std::endl;
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  return kExitOk;
}

// --token-file, --tls-cert, --tls-key: the same for serve and ui.
void AddSecurityOptions(CLI::App* cmd, ServeArgs* a) {
  cmd->add_option("--token-file", a->token_file,
                  "Every call must carry this bearer token (needed beyond loopback)");
  cmd->add_option("--tls-cert", a->tls_cert, "TLS certificate (PEM)");
  cmd->add_option("--tls-key", a->tls_key, "TLS private key (PEM)");
}

}  // namespace

void RegisterServe(CLI::App& app, CliEnv* env, int* exit_code) {
  auto a = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand(
      "serve", "Serve the FlyteAdmin API (gRPC and HTTP) over the store, until interrupted");
  serve->add_option("--grpc", a->grpc, "Listen here (host:port; port 0 picks a free one)")
      ->capture_default_str();
  serve
      ->add_option("--http", a->http,
                   "HTTP/JSON gateway at flyteadmin's /api/v1 paths here (host:port, or none)")
      ->capture_default_str();
  AddSecurityOptions(serve, a.get());
  serve
      ->add_option("--schedule-catch-up", a->catch_up,
                   "Slots of launch plans' schedules missed while no server ran: fire all of "
                   "them, oldest first, or only the latest")
      ->check(CLI::IsMember({"all", "latest"}))
      ->capture_default_str();
  serve->callback([env, a, exit_code] { *exit_code = RunServe(*env, *a); });

  auto u = std::make_shared<ServeArgs>();
  u->ui = true;
  u->grpc = "127.0.0.1:0";
  auto* ui = app.add_subcommand(
      "ui", "Serve the web console over the store (and the API it uses), until interrupted");
  ui->add_option("--http", u->http, "Serve it here (host:port; port 0 picks a free one)")
      ->capture_default_str();
  AddSecurityOptions(ui, u.get());
  ui->callback([env, u, exit_code] { *exit_code = RunServe(*env, *u); });
}

}  // namespace flytecpp::cli
