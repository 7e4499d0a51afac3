// flytecpp serve under load, on loopback: C concurrent gRPC clients create N
// executions of a registered launch plan (a one-node workflow of an
// in-process task), then every execution is awaited and its outputs checked.
// Prints CreateExecution latency (p50, p99), executions/s end to end, and the
// same N executions submitted straight to an engine in the same run (the
// peer: what the API costs on top of the engine).
//
//   server_load [--clients C] [--executions N]   (defaults 50, 2000)
//
// Exits 1 if any execution is lost, fails or has the wrong output.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/server/server.h"
#include "flyteidl/service/admin.grpc.pb.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;
namespace admin = flyteidl::admin;
namespace core = flyteidl::core;
using Clock = std::chrono::steady_clock;

constexpr char kProject[] = "load", kDomain[] = "development", kVersion[] = "v1";

core::Identifier Id(core::ResourceType type, const std::string& name) {
  core::Identifier id;
  id.set_resource_type(type);
  id.set_project(kProject);
  id.set_domain(kDomain);
  id.set_name(name);
  id.set_version(kVersion);
  return id;
}

runtime::TaskOutcome Add1(const core::LiteralMap& in) {
  return lit::Inputs({{"y", lit::Int(in.literals().at("x").scalar().primitive().integer() + 1)}});
}

struct Workload {
  TaskTemplate task;
  WorkflowTemplate workflow;
};

Workload MakeWorkload() {
  Workload w;
  w.task = TaskBuilder("load.add1")
               .Input("x", types::Int())
               .Output("y", types::Int())
               .Container(ContainerBuilder("img").Command({"run"}))
               .Build();
  *w.task.mutable_id() = Id(core::TASK, "load.add1");
  WorkflowBuilder wf("load.wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", w.task).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("n0", "y"));
  w.workflow = wf.Build();
  *w.workflow.mutable_id() = Id(core::WORKFLOW, "load.wf");
  return w;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

bool Check(const grpc::Status& st, const char* what) {
  if (st.ok()) return true;
  std::fprintf(stderr, "%s: %s\n", what, st.error_message().c_str());
  return false;
}

// Through the API. Returns executions/s end to end, or a negative number on loss.
double ThroughServer(const std::filesystem::path& dir, const Workload& w, int clients, int n) {
  auto store = store::OpenSqliteStore(dir / "server", store::Durability::kNormal);
  if (!store.ok()) return -1;
  runtime::InProcessRuntime tasks;
  tasks.Register("load.add1", Add1);
  engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
  server::ServerOptions options;
  options.store_dir = dir / "server";
  options.grpc_address = "127.0.0.1:0";
  options.engine = &engine;
  options.adopt_interval = std::chrono::milliseconds(0);
  auto server = server::Server::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return -1;
  }
  const std::string address = "127.0.0.1:" + std::to_string((*server)->grpc_port());
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto admin_stub = flyteidl::service::AdminService::NewStub(channel);
  {
    grpc::ClientContext c1, c2, c3;
    admin::TaskCreateRequest task;
    *task.mutable_id() = w.task.id();
    *task.mutable_spec()->mutable_template_() = w.task;
    admin::TaskCreateResponse r1;
    admin::WorkflowCreateRequest wf;
    *wf.mutable_id() = w.workflow.id();
    *wf.mutable_spec()->mutable_template_() = w.workflow;
    admin::WorkflowCreateResponse r2;
    admin::LaunchPlanCreateRequest lp;
    *lp.mutable_id() = Id(core::LAUNCH_PLAN, "load.wf");
    *lp.mutable_spec()->mutable_workflow_id() = w.workflow.id();
    admin::LaunchPlanCreateResponse r3;
    if (!Check(admin_stub->CreateTask(&c1, task, &r1), "CreateTask") ||
        !Check(admin_stub->CreateWorkflow(&c2, wf, &r2), "CreateWorkflow") ||
        !Check(admin_stub->CreateLaunchPlan(&c3, lp, &r3), "CreateLaunchPlan")) {
      return -1;
    }
  }

  // Each client has a channel of its own, as separate processes would.
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int> errors{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("flytecpp.client", c);  // distinct arguments: distinct connections
      auto stub = flyteidl::service::AdminService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
      for (int k = c; k < n; k += clients) {
        admin::ExecutionCreateRequest req;
        req.set_project(kProject);
        req.set_domain(kDomain);
        req.set_name("e" + std::to_string(k));
        *req.mutable_spec()->mutable_launch_plan() = Id(core::LAUNCH_PLAN, "load.wf");
        (*req.mutable_inputs()->mutable_literals())["x"] = lit::Int(k);
        admin::ExecutionCreateResponse resp;
        grpc::ClientContext ctx;
        const auto start = Clock::now();
        if (!Check(stub->CreateExecution(&ctx, req, &resp), "CreateExecution")) {
          ++errors;
          continue;
        }
        latencies[c].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  // Every one ends (timed, as the peer's are), then has y = x + 1 (not timed).
  int wrong = 0;
  for (int k = 0; k < n; ++k) {
    auto r = engine.Wait("e" + std::to_string(k));
    if (!r.ok() || r->phase != core::WorkflowExecution::SUCCEEDED) ++wrong;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  for (int k = 0; k < n; ++k) {
    admin::WorkflowExecutionGetDataRequest req;
    req.mutable_id()->set_project(kProject);
    req.mutable_id()->set_domain(kDomain);
    req.mutable_id()->set_name("e" + std::to_string(k));
    admin::WorkflowExecutionGetDataResponse data;
    grpc::ClientContext ctx;
    if (!admin_stub->GetExecutionData(&ctx, req, &data).ok() ||
        data.full_outputs().literals().count("y") == 0 ||
        data.full_outputs().literals().at("y").scalar().primitive().integer() != k + 1) {
      ++wrong;
    }
  }
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::printf(
      "server: %d clients, %d executions: %d create errors, %d lost or wrong; CreateExecution "
      "p50 %.0f us, p99 %.0f us; %.0f executions/s end to end\n",
      clients, n, errors.load(), wrong, Percentile(all, 0.50), Percentile(all, 0.99), n / secs);
  return errors == 0 && wrong == 0 ? n / secs : -1;
}

// The peer: the same executions submitted straight to an engine.
double ThroughEngine(const std::filesystem::path& dir, const Workload& w, int clients, int n) {
  auto store = store::OpenSqliteStore(dir / "engine", store::Durability::kNormal);
  if (!store.ok()) return -1;
  runtime::InProcessRuntime tasks;
  tasks.Register("load.add1", Add1);
  compiler::CompiledTask t;
  *t.mutable_template_() = w.task;
  auto closure = compiler::CompileWorkflow(w.workflow, {}, {t}, {});
  if (!closure.ok()) return -1;
  engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int k = c; k < n; k += clients) {
        (void)engine.Submit({.closure = *closure,
                             .inputs = lit::Inputs({{"x", lit::Int(k)}}),
                             .execution_id = "e" + std::to_string(k)});
      }
    });
  }
  for (auto& th : threads) th.join();
  int wrong = 0;
  for (int k = 0; k < n; ++k) {
    auto r = engine.Wait("e" + std::to_string(k));
    if (!r.ok() || r->phase != core::WorkflowExecution::SUCCEEDED) ++wrong;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("engine: %d submitters, %d executions: %d lost or failed; %.0f executions/s\n",
              clients, n, wrong, n / secs);
  return wrong == 0 ? n / secs : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 50, n = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--clients") == 0) clients = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--executions") == 0) n = std::atoi(argv[i + 1]);
  }
  if (clients <= 0 || n <= 0) {
    std::fprintf(stderr, "usage: server_load [--clients C] [--executions N]\n");
    return 2;
  }
  const char* base = std::getenv("FLYTECPP_BENCH_DIR");
  const auto dir =
      std::filesystem::path(base != nullptr ? base : std::filesystem::temp_directory_path()) /
      ("flytecpp-server-load-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const Workload w = MakeWorkload();
  const double served = ThroughServer(dir, w, clients, n);
  const double direct = ThroughEngine(dir, w, clients, n);
  if (served > 0 && direct > 0) {
    std::printf("ratio: the API runs at %.2fx the engine's own rate\n", served / direct);
  }
  std::filesystem::remove_all(dir);
  return served > 0 && direct > 0 ? 0 : 1;
}
