// Process DAGs side by side with ninja: the same graph of `true` tasks run
// by flytecpp's process runtime (sandboxed or not) and as a build.ninja run
// by `ninja -j J`, in the same run, on the same machine. Shapes: chain-500,
// fan-out-1000, layered-1000 (50 layers of 20; each node after up to three
// random nodes of the layer before, seed 1). Prints a markdown table of the
// median (min–max) wall time of R runs of each, and the ratios.
//
//   dag_bench [--runs R] [--jobs J] [--dir DIR] [--shapes a,b] [--modes plain,sandboxed]
//   dag_bench --flyte [--runs R] [--dir DIR]
//   DIR (default: the temp directory) holds the stores and the ninja trees:
//   /dev/shm leaves the disk out. --flyte runs the shapes of Flyte's own
//   benchmark (chains of 100 and 500, fan-outs of 1,000 and 6,000 no-op
//   tasks) in process and as processes, beside its published figures.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/runtime/process.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;
namespace fs = std::filesystem;
using Wall = std::chrono::steady_clock;
using namespace flytecpp::bench;

// One run of `shape` as a build.ninja in `dir`: each node a `true` that
// writes its stamp, after the stamps of the nodes it follows.
double RunNinja(const Shape& shape, const fs::path& dir, int jobs) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "build.ninja");
    out << "rule t\n  command = true > $out\n";
    for (size_t i = 0; i < shape.after.size(); ++i) {
      out << "build n" << i << ": t";
      for (int d : shape.after[i]) out << " n" << d;
      out << "\n";
    }
  }
  const std::string command =
      "ninja -j " + std::to_string(jobs) + " -C '" + dir.string() + "' >/dev/null";
  const auto start = Wall::now();
  if (std::system(command.c_str()) != 0) {
    Die("ninja failed in " + dir.string());
  }
  return std::chrono::duration<double>(Wall::now() - start).count();
}

compiler::CompiledWorkflowClosure Workflow(const Shape& shape) {
  TaskTemplate task = TaskBuilder("bench.true", "raw-container")
                          .Container(ContainerBuilder("debian:12").Command({"true"}))
                          .Build();
  WorkflowBuilder wf("bench." + shape.name);
  for (size_t i = 0; i < shape.after.size(); ++i) {
    NodeBuilder node = TaskNode("n" + std::to_string(i), task);
    for (int d : shape.after[i]) node.After("n" + std::to_string(d));
    wf.Add(node);
  }
  compiler::CompiledTask t;
  *t.mutable_template_() = task;
  auto closure = compiler::CompileWorkflow(wf.Build(), {}, {t}, {});
  if (!closure.ok()) {
    Die(closure.status().ToString());
  }
  return *closure;
}

enum class Mode { kInProcess, kPlain, kSandboxed };

// One run of `closure` by an engine with a store of its own in `dir`: its
// tasks as no-op C++ functions, or as `true` processes with or without the
// sandbox.
double RunFlytecpp(const compiler::CompiledWorkflowClosure& closure, const fs::path& dir, int jobs,
                   Mode mode) {
  fs::remove_all(dir);
  auto store = store::OpenSqliteStore(dir, store::Durability::kNormal);
  if (!store.ok()) Die(store.status().ToString());
  runtime::ProcessRuntimeOptions options;
  options.jobs = jobs;
  options.sandbox = mode == Mode::kSandboxed;
  runtime::ProcessRuntime process(std::move(options));
  runtime::InProcessRuntime in_process(jobs);
  in_process.Register("bench.true", [](const flyteidl::core::LiteralMap&) -> runtime::TaskOutcome {
    return flyteidl::core::LiteralMap();
  });
  runtime::Runtime* runs_it =
      mode == Mode::kInProcess ? static_cast<runtime::Runtime*>(&in_process) : &process;
  engine::Engine engine({.store = store->get(), .runtimes = {runs_it}});
  const auto start = Wall::now();
  auto r = engine.Run({.closure = closure});
  const double secs = std::chrono::duration<double>(Wall::now() - start).count();
  if (!r.ok() || r->phase != flyteidl::core::WorkflowExecution::SUCCEEDED) {
    Die(std::string("the ") + (mode == Mode::kSandboxed ? "sandboxed" : "unsandboxed") +
        " run failed: " +
        (!r.ok()    ? r.status().ToString()
         : r->error ? r->failed_node + ": " + r->error->message()
                    : "phase " + std::to_string(r->phase)));
  }
  return secs;
}

// Flyte's published orchestration figures for its own benchmark's shapes
// (flyte-benchmarks, "core-sleep" leaves: no task pods), seconds.
struct FlyteFigure {
  const char* shape;
  double v1, v2;
};
constexpr FlyteFigure kFlyte[] = {{"chain-100", 74, 16},
                                  {"chain-500", 365, 56},
                                  {"fan-out-1000", 124, 29},
                                  {"fan-out-6000", 717, 115}};

void FlyteShapes(int runs, const fs::path& dir, int jobs) {
  std::printf(
      "| shape | Flyte v1 | Flyte v2 | flytecpp, in-process no-op | v1 / ours | flytecpp, `true` "
      "processes | v1 / ours |\n|---|---|---|---|---|---|---|\n");
  for (const auto& f : kFlyte) {
    Shape shape;
    ShapeNamed(f.shape, &shape);
    const auto closure = Workflow(shape);
    std::vector<double> in_process, plain;
    for (int r = 0; r < runs; ++r) {
      in_process.push_back(RunFlytecpp(closure, dir / "in-process", jobs, Mode::kInProcess));
      plain.push_back(RunFlytecpp(closure, dir / "plain", jobs, Mode::kPlain));
    }
    const Stats i = Of(in_process), p = Of(plain);
    std::printf("| %s | %.0f s | %.0f s | %s | %.0f× | %s | %.0f× |\n", f.shape, f.v1, f.v2,
                Text(i, "%.3f").c_str(), f.v1 / i.median, Text(p).c_str(), f.v1 / p.median);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Process DAGs side by side with ninja"};
  int runs = 5, jobs = 2;
  std::string base = fs::temp_directory_path().string();
  std::vector<std::string> shapes = {"chain-500", "fan-out-1000", "layered-1000"};
  std::vector<std::string> modes = {"plain", "sandboxed"};
  bool flyte = false;
  app.add_option("--runs", runs, "runs of each (median, min, max)")->check(CLI::PositiveNumber);
  app.add_option("--jobs", jobs, "tasks at once (ninja -j)")->check(CLI::PositiveNumber);
  app.add_option("--dir", base, "where stores and ninja trees live");
  app.add_option("--shapes", shapes)->delimiter(',');
  app.add_option("--modes", modes)->delimiter(',')->check(CLI::IsMember({"plain", "sandboxed"}));
  app.add_flag("--flyte", flyte, "Flyte's benchmark shapes beside its published figures");
  CLI11_PARSE(app, argc, argv);
  if (std::system("ninja --version >/dev/null 2>&1") != 0) {
    Die("dag_bench: ninja is not installed (apt-get install ninja-build)");
  }
  const fs::path dir = fs::path(base) / ("flytecpp-dag-bench-" + std::to_string(::getpid()));
  std::printf("%s; %d runs each (median, min–max); -j %d; stores and trees in %s\n\n",
              Machine().c_str(), runs, jobs, base.c_str());
  if (flyte) {
    FlyteShapes(runs, dir, jobs);
    fs::remove_all(dir);
    return 0;
  }
  const bool plain = std::count(modes.begin(), modes.end(), "plain") > 0;
  const bool sandboxed = std::count(modes.begin(), modes.end(), "sandboxed") > 0;
  std::printf("| shape | ninja -j %d |%s%s\n", jobs, plain ? " flytecpp, no sandbox | ratio |" : "",
              sandboxed ? " sandboxed | ratio |" : "");
  std::printf("|---|---|%s%s\n", plain ? "---|---|" : "", sandboxed ? "---|---|" : "");
  for (const std::string& name : shapes) {
    Shape shape;
    if (!ShapeNamed(name, &shape)) Die("unknown shape " + name);
    const auto closure = Workflow(shape);
    std::vector<double> ninja, ours_plain, ours_sandboxed;
    for (int r = 0; r < runs; ++r) {  // interleaved: the machine's drift hits all alike
      ninja.push_back(RunNinja(shape, dir / "ninja", jobs));
      if (plain) ours_plain.push_back(RunFlytecpp(closure, dir / "plain", jobs, Mode::kPlain));
      if (sandboxed) {
        ours_sandboxed.push_back(RunFlytecpp(closure, dir / "sandboxed", jobs, Mode::kSandboxed));
      }
    }
    const Stats n = Of(ninja);
    std::printf("| %s | %s |", name.c_str(), Text(n).c_str());
    for (const auto* v : {&ours_plain, &ours_sandboxed}) {
      if (v->empty()) continue;
      const Stats o = Of(*v);
      std::printf(" %s | %.1f× |", Text(o).c_str(), o.median / n.median);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  return 0;
}
