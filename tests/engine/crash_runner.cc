// The program the crash test kills: the flytecpp command with the crash
// workflow's tasks in-process, plus two modes of its own:
//
//   crash_runner --store DIR crash-run N PREFIX   submit N executions of the
//       crash workflow to one engine (ids PREFIX-0..N-1), wait for all
//   crash_runner --store DIR crash-resume         adopt every orphan, wait for all
//
// The crash workflow has every node kind the engine runs (tasks, a branch, a
// sub-workflow, a launch plan, a sleep gate, an array, a dynamic task, a
// failure node). Execution k gets x = k and
// fails on purpose (running its failure node) when k % 4 == 3. Each task
// appends "<run>:<tag>" to $FLYTECPP_CRASH_LOG, where run is the execution
// and tag the node's path (launch-plan child nodes: "lp/<path>"), and sleeps
// $FLYTECPP_CRASH_SLEEP_MS first.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "crash_workflow.h"
#include "flytecpp/cli/cli.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/literals.h"

using namespace flytecpp;
using flyteidl::core::LiteralMap;

namespace {

void Log(const LiteralMap& in) {
  if (const char* ms = std::getenv("FLYTECPP_CRASH_SLEEP_MS")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(ms)));
  }
  if (const char* log = std::getenv("FLYTECPP_CRASH_LOG")) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    std::ofstream(log, std::ios::app)
        << *idl::FromLiteral<std::string>(in.literals().at("run")) << ":"
        << *idl::FromLiteral<std::string>(in.literals().at("tag")) << "\n"
        << std::flush;
  }
}

void RegisterTasks(runtime::InProcessRuntime& tasks) {
  auto step = [](const LiteralMap& in) -> runtime::TaskOutcome {
    Log(in);
    const int64_t x = *idl::FromLiteral<int64_t>(in.literals().at("x"));
    return idl::lit::Inputs({{"o0", idl::lit::Int(3 * x + 1)}});
  };
  tasks.Register(crash::kStep, step);
  tasks.Register(crash::kMapped, step);
  tasks.Register(crash::kMaybeFail, [](const LiteralMap& in) -> runtime::TaskOutcome {
    Log(in);
    if (*idl::FromLiteral<bool>(in.literals().at("fail"))) {
      return runtime::TaskError{flyteidl::core::ExecutionError::USER, "Planned",
                                "failing on purpose", false};
    }
    return idl::lit::Inputs({{"o0", in.literals().at("x")}});
  });
  tasks.Register(crash::kDynamic, [](const LiteralMap& in) -> runtime::TaskOutcome {
    Log(in);
    return crash::Generated(*idl::FromLiteral<int64_t>(in.literals().at("x")),
                            *idl::FromLiteral<std::string>(in.literals().at("run")));
  });
  tasks.Register(crash::kCleanup, [](const LiteralMap& in) -> runtime::TaskOutcome {
    Log(in);
    return LiteralMap();
  });
}

int CrashRun(const std::string& store_dir, int n, const std::string& prefix,
             runtime::InProcessRuntime& tasks) {
  auto store = store::OpenSqliteStore(store_dir);
  if (!store.ok()) {
    std::cerr << store.status().ToString() << "\n";
    return 2;
  }
  auto workflow = crash::Build();
  if (!workflow.ok()) {
    std::cerr << workflow.status().ToString() << "\n";
    return 2;
  }
  Status registered =
      engine::RegisterLaunchPlan(**store, workflow->launch_plan, workflow->launch_plan_target);
  if (!registered.ok()) {
    std::cerr << registered.ToString() << "\n";
    return 2;
  }
  engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
  std::vector<std::string> ids;
  for (int k = 0; k < n; ++k) {
    const std::string id = prefix + "-" + std::to_string(k);
    auto submitted = engine.Submit(
        {.closure = workflow->closure, .inputs = crash::Inputs(id, k), .execution_id = id});
    if (!submitted.ok()) {
      std::cerr << submitted.status().ToString() << "\n";
      return 2;
    }
    ids.push_back(id);
  }
  for (const auto& id : ids) {
    if (!engine.Wait(id).ok()) return 1;
  }
  return 0;
}

int CrashResume(const std::string& store_dir, runtime::InProcessRuntime& tasks) {
  auto store = store::OpenSqliteStore(store_dir);
  if (!store.ok()) return 2;
  engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
  auto adopted = engine.AdoptOrphans();
  if (!adopted.ok()) {
    std::cerr << adopted.status().ToString() << "\n";
    return 2;
  }
  for (const auto& id : *adopted) {
    if (!engine.Wait(id).ok()) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  runtime::InProcessRuntime tasks(8);  // tasks mostly sleep: more workers than cores
  RegisterTasks(tasks);
  if (argc >= 4 && std::strcmp(argv[1], "--store") == 0) {
    const std::string mode = argv[3];
    if (mode == "crash-run" && argc == 6)
      return CrashRun(argv[2], std::atoi(argv[4]), argv[5], tasks);
    if (mode == "crash-resume" && argc == 4) return CrashResume(argv[2], tasks);
  }
  return cli::RunCli(argc, argv, {&tasks});
}
