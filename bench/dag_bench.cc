// Process DAGs side by side with ninja: the same graph of `true` tasks run
// by flytecpp's process runtime (sandboxed or not) and as a build.ninja run
// by `ninja -j J`, in the same run, on the same machine. Shapes: chain-500,
// fan-out-1000, layered-1000 (50 layers of 20; each node after up to three
// random nodes of the layer before, seed 1). Prints a markdown table of the
// median (min–max) wall time of R runs of each, and the ratios.
//
//   dag_bench [--runs R] [--jobs J] [--dir DIR]
//   DIR (default: the temp directory) holds the stores and the ninja trees:
//   /dev/shm leaves the disk out.
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

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/runtime/process.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;
namespace fs = std::filesystem;
using Wall = std::chrono::steady_clock;

struct Shape {
  std::string name;
  std::vector<std::vector<int>> after;  // per node: the nodes it runs after
};

Shape Chain(int n) {
  Shape s{"chain-" + std::to_string(n), std::vector<std::vector<int>>(n)};
  for (int i = 1; i < n; ++i) s.after[i] = {i - 1};
  return s;
}

Shape FanOut(int n) { return {"fan-out-" + std::to_string(n), std::vector<std::vector<int>>(n)}; }

Shape Layered(int layers, int width) {
  Shape s{"layered-" + std::to_string(layers * width),
          std::vector<std::vector<int>>(layers * width)};
  std::mt19937 random(1);
  for (int l = 1; l < layers; ++l) {
    for (int k = 0; k < width; ++k) {
      std::vector<int>& after = s.after[l * width + k];
      const int count = 1 + static_cast<int>(random() % 3);
      for (int d = 0; d < count; ++d) after.push_back((l - 1) * width + random() % width);
      std::sort(after.begin(), after.end());
      after.erase(std::unique(after.begin(), after.end()), after.end());
    }
  }
  return s;
}

struct Stats {
  double median = 0, min = 0, max = 0;
};

Stats Of(std::vector<double> secs) {
  std::sort(secs.begin(), secs.end());
  return {secs[secs.size() / 2], secs.front(), secs.back()};
}

std::string Text(const Stats& s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f s (%.2f–%.2f)", s.median, s.min, s.max);
  return buf;
}

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
    std::fprintf(stderr, "ninja failed in %s\n", dir.c_str());
    std::exit(1);
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
    std::fprintf(stderr, "%s\n", closure.status().ToString().c_str());
    std::exit(1);
  }
  return *closure;
}

// One run of `closure` by an engine with a store of its own in `dir`.
double RunFlytecpp(const compiler::CompiledWorkflowClosure& closure, const fs::path& dir, int jobs,
                   bool sandbox) {
  fs::remove_all(dir);
  auto store = store::OpenSqliteStore(dir, store::Durability::kNormal);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  runtime::ProcessRuntimeOptions options;
  options.jobs = jobs;
  options.sandbox = sandbox;
  runtime::ProcessRuntime process(std::move(options));
  engine::Engine engine({.store = store->get(), .runtimes = {&process}});
  const auto start = Wall::now();
  auto r = engine.Run({.closure = closure});
  const double secs = std::chrono::duration<double>(Wall::now() - start).count();
  if (!r.ok() || r->phase != flyteidl::core::WorkflowExecution::SUCCEEDED) {
    std::fprintf(stderr, "the %s run failed\n", sandbox ? "sandboxed" : "unsandboxed");
    std::exit(1);
  }
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5, jobs = 2;
  fs::path base = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--runs") {
      runs = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--jobs") {
      jobs = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--dir") {
      base = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: dag_bench [--runs R] [--jobs J] [--dir DIR]\n");
      return 2;
    }
  }
  if (std::system("ninja --version >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "dag_bench: ninja is not installed (apt-get install ninja-build)\n");
    return 2;
  }
  const fs::path dir = base / ("flytecpp-dag-bench-" + std::to_string(::getpid()));
  std::printf("%u cores; %d runs each (median, min–max); -j %d; stores and trees in %s\n\n",
              std::thread::hardware_concurrency(), runs, jobs, base.c_str());
  std::printf("| shape | ninja | flytecpp, no sandbox | ratio | sandboxed | ratio |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const Shape& shape : {Chain(500), FanOut(1000), Layered(50, 20)}) {
    const auto closure = Workflow(shape);
    std::vector<double> ninja, plain, sandboxed;
    for (int r = 0; r < runs; ++r) {  // interleaved: the machine's drift hits all three alike
      ninja.push_back(RunNinja(shape, dir / "ninja", jobs));
      plain.push_back(RunFlytecpp(closure, dir / "plain", jobs, false));
      sandboxed.push_back(RunFlytecpp(closure, dir / "sandboxed", jobs, true));
    }
    const Stats n = Of(ninja), p = Of(plain), s = Of(sandboxed);
    std::printf("| %s | %s | %s | %.1f× | %s | %.1f× |\n", shape.name.c_str(), Text(n).c_str(),
                Text(p).c_str(), p.median / n.median, Text(s).c_str(), s.median / n.median);
    std::fflush(stdout);
  }
  fs::remove_all(dir);
  return 0;
}
