// Engine overhead per node: a chain of N no-op in-process tasks (each node
// reads the previous one's output), run start to end, with the store at
// each durability level. Time per node = everything the engine does for a
// node: input resolution, data files, store rows and events, scheduling, the
// hand-off to a worker thread and back.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;

compiler::CompiledWorkflowClosure Chain(int64_t n) {
  TaskTemplate noop = TaskBuilder("bench.noop")
                          .Input("x", types::Int())
                          .Output("o0", types::Int())
                          .Container(ContainerBuilder("img").Command({"run"}))
                          .Build();
  WorkflowBuilder wf("bench.chain");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", noop).Bind("x", WorkflowInput("x")));
  for (int64_t i = 1; i < n; ++i) {
    wf.Add(TaskNode("n" + std::to_string(i), noop)
               .Bind("x", Promise("n" + std::to_string(i - 1), "o0")));
  }
  wf.Output("y", types::Int(), Promise("n" + std::to_string(n - 1), "o0"));
  compiler::CompiledTask t;
  *t.mutable_template_() = noop;
  return *compiler::CompileWorkflow(wf.Build(), {}, {t}, {});
}

void BM_EngineChain(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto durability = static_cast<store::Durability>(state.range(1));
  const auto closure = Chain(n);
  runtime::InProcessRuntime tasks(1);
  tasks.Register("bench.noop", [](const flyteidl::core::LiteralMap& in) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", in.literals().at("x")}});
  });
  // $FLYTECPP_BENCH_DIR picks the filesystem (e.g. /dev/shm to leave the disk out).
  const char* base = std::getenv("FLYTECPP_BENCH_DIR");
  const auto root =
      std::filesystem::path(base != nullptr ? base : std::filesystem::temp_directory_path()) /
      "flytecpp-engine-bench";
  int run = 0;
  // Wall time of the runs, measured here: Google Benchmark divides rate
  // counters by the benchmark thread's CPU time, and that thread mostly
  // waits while the engine's own thread works.
  std::chrono::nanoseconds wall{0};
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(root);
    auto store = store::OpenSqliteStore(root / std::to_string(run++), durability);
    engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    auto r = engine.Run({.closure = closure, .inputs = lit::Inputs({{"x", lit::Int(1)}})});
    wall += std::chrono::steady_clock::now() - start;
    if (!r.ok() || r->phase != flyteidl::core::WorkflowExecution::SUCCEEDED) {
      state.SkipWithError("run failed");
    }
  }
  std::filesystem::remove_all(root);
  // Wall microseconds per node.
  state.counters["us/node"] = std::chrono::duration<double, std::micro>(wall).count() /
                              static_cast<double>(state.iterations() * n);
}

}  // namespace

// Args: nodes, durability (0 full: fsync per commit, 1 normal: WAL, 2 off).
BENCHMARK(BM_EngineChain)
    ->ArgNames({"nodes", "durability"})
    ->Args({10000, 2})
    ->Args({10000, 1})
    ->Args({10000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()  // the engine works on its own thread: wall time is the cost
    ->Iterations(2);

BENCHMARK_MAIN();
