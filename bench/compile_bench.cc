// Compile time of synthetic workflows: a chain, a wide fan-out and a lattice,
// at 1k, 10k and 100k nodes. Run through bench/run_compile_bench.sh, which
// prints the growth ratios (10x nodes should cost at most ~12x time).
#include <benchmark/benchmark.h>

#include <cmath>

#include "bench_util.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/builders.h"

namespace {

using namespace flytecpp::idl;
using flytecpp::compiler::CompiledTask;

using flytecpp::bench::BinaryTask;
using flytecpp::bench::UnaryTask;

std::string Id(int64_t i) { return "n" + std::to_string(i); }

// n0 <- start; n(i) <- n(i-1); the last one is the output.
WorkflowTemplate Chain(int64_t n, const TaskTemplate& t) {
  WorkflowBuilder wf("bench.chain");
  wf.Input("x", types::Int());
  wf.Add(TaskNode(Id(0), t).Bind("x", WorkflowInput("x")));
  for (int64_t i = 1; i < n; ++i) wf.Add(TaskNode(Id(i), t).Bind("x", Promise(Id(i - 1), "o0")));
  wf.Output("y", types::Int(), Promise(Id(n - 1), "o0"));
  return wf.Build();
}

// n0 <- start; every other node <- n0; all leaves end the workflow.
WorkflowTemplate FanOut(int64_t n, const TaskTemplate& t) {
  WorkflowBuilder wf("bench.fanout");
  wf.Input("x", types::Int());
  wf.Add(TaskNode(Id(0), t).Bind("x", WorkflowInput("x")));
  for (int64_t i = 1; i < n; ++i) wf.Add(TaskNode(Id(i), t).Bind("x", Promise(Id(0), "o0")));
  return wf.Build();
}

// Rows of width sqrt(n); each node reads two nodes of the row above.
WorkflowTemplate Lattice(int64_t n, const TaskTemplate& first, const TaskTemplate& t) {
  const int64_t width = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  WorkflowBuilder wf("bench.lattice");
  wf.Input("x", types::Int());
  for (int64_t i = 0; i < n; ++i) {
    int64_t row = i / width, col = i % width;
    if (row == 0) {
      wf.Add(TaskNode(Id(i), first).Bind("x", WorkflowInput("x")));
    } else {
      int64_t up = (row - 1) * width;
      wf.Add(TaskNode(Id(i), t)
                 .Bind("a", Promise(Id(up + col), "o0"))
                 .Bind("b", Promise(Id(up + (col + 1) % width), "o0")));
    }
  }
  return wf.Build();
}

std::vector<CompiledTask> Tasks(const std::vector<TaskTemplate>& ts) {
  std::vector<CompiledTask> out;
  for (const auto& t : ts) {
    CompiledTask c;
    *c.mutable_template_() = t;
    out.push_back(c);
  }
  return out;
}

void Run(benchmark::State& state, const WorkflowTemplate& wf,
         const std::vector<CompiledTask>& tasks) {
  for (auto _ : state) {
    auto closure = flytecpp::compiler::CompileWorkflow(wf, {}, tasks, {});
    if (!closure.ok()) state.SkipWithError(closure.status().ToString().c_str());
    benchmark::DoNotOptimize(closure);
  }
  state.SetComplexityN(state.range(0));
  state.counters["nodes/s"] = benchmark::Counter(static_cast<double>(state.range(0)),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_CompileChain(benchmark::State& state) {
  TaskTemplate t = UnaryTask();
  Run(state, Chain(state.range(0), t), Tasks({t}));
}

void BM_CompileFanOut(benchmark::State& state) {
  TaskTemplate t = UnaryTask();
  Run(state, FanOut(state.range(0), t), Tasks({t}));
}

void BM_CompileLattice(benchmark::State& state) {
  TaskTemplate first = UnaryTask(), t = BinaryTask();
  Run(state, Lattice(state.range(0), first, t), Tasks({first, t}));
}

// Baseline: only copying the workflow into a closure and destroying it, the
// protobuf work every compile does whatever it checks. Compile time minus
// this is the compiler's own.
void BM_CopyLatticeBaseline(benchmark::State& state) {
  TaskTemplate first = UnaryTask(), t = BinaryTask();
  WorkflowTemplate wf = Lattice(state.range(0), first, t);
  for (auto _ : state) {
    flyteidl::core::CompiledWorkflowClosure closure;
    *closure.mutable_primary()->mutable_template_() = wf;
    benchmark::DoNotOptimize(closure);
  }
  state.counters["nodes/s"] = benchmark::Counter(static_cast<double>(state.range(0)),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_CopyLatticeBaseline)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileChain)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);
BENCHMARK(BM_CompileFanOut)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);
BENCHMARK(BM_CompileLattice)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oN);

BENCHMARK_MAIN();
