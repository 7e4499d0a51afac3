// flytecpp serve [--grpc ADDR]: the FlyteAdmin API over the store, until
// SIGINT/SIGTERM. It prints where it listens, then serves.
#include <signal.h>

#include <iostream>
#include <thread>

#include "commands.h"
#include "engine_env.h"
#include "flytecpp/server/server.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace {

int RunServe(const CliEnv& env, const std::string& grpc_address) {
  server::ServerOptions options;
  options.store_dir = StoreDir(env);
  options.grpc_address = grpc_address;
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
  auto adopted = e.engine->AdoptOrphans();
  auto server = server::Server::Start(options);
  if (!server.ok()) return Fail(server.status(), kExitBadInput);
  const std::string host = grpc_address.substr(0, grpc_address.rfind(':'));
  std::cout << "flytecpp serve: gRPC on " << host << ":" << (*server)->grpc_port() << ", store "
            << options.store_dir.string();
  if (adopted.ok() && !adopted->empty()) std::cout << ", resumed " << adopted->size();
  std::cout << std::endl;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  return kExitOk;
}

}  // namespace

void RegisterServe(CLI::App& app, CliEnv* env, int* exit_code) {
  auto grpc = std::make_shared<std::string>("127.0.0.1:8089");
  auto* serve = app.add_subcommand(
      "serve", "Serve the FlyteAdmin API (gRPC) over the store, until interrupted");
  serve->add_option("--grpc", *grpc, "Listen here (host:port; port 0 picks a free one)")
      ->capture_default_str();
  serve->callback([env, grpc, exit_code] { *exit_code = RunServe(*env, *grpc); });
}

}  // namespace flytecpp::cli
