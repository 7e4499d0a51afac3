// In-process DAGs side by side with oneTBB's flow_graph: the same graph of
// no-op C++ tasks run through flytecpp's engine (every node's inputs
// resolved from its upstream outputs, every transition recorded) and as a
// flow_graph of continue_nodes, in the same run. Both timings cover building
// the graph (the engine: its plan), running it and tearing it down.
//
//   inproc_bench --shapes chain-10000,fan-out-100000,lattice-100x100
//                [--runs R] [--dir DIR] [--durability off|normal|full|memory]
//   (memory: store::OpenMemoryStore, an in-memory database: nothing on disk)
//   inproc_bench --memory 10000,1000000 [--dir DIR]    engine state per node
//   inproc_bench --executions 1000 [--dir DIR]         many small executions
//
// DIR holds the stores (/dev/shm leaves the disk out). Prints markdown rows.
#include <tbb/flow_graph.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "bench_util.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;
using namespace flytecpp::bench;
namespace fs = std::filesystem;
namespace core = flyteidl::core;
using Wall = std::chrono::steady_clock;

double Since(Wall::time_point start) {
  return std::chrono::duration<double>(Wall::now() - start).count();
}

// `shape` as a workflow: a node after one node reads its output, after two
// reads both, after none reads the workflow's input; the last node's output
// is the workflow's.
compiler::CompiledWorkflowClosure Workflow(const Shape& shape) {
  const TaskTemplate unary = UnaryTask(), binary = BinaryTask();
  WorkflowBuilder wf("bench." + shape.name);
  wf.Input("x", types::Int());
  auto id = [](int i) { return "n" + std::to_string(i); };
  for (size_t i = 0; i < shape.after.size(); ++i) {
    const auto& after = shape.after[i];
    if (after.size() > 2) Die(shape.name + ": in-process shapes take at most two inputs");
    if (after.empty()) {
      wf.Add(TaskNode(id(i), unary).Bind("x", WorkflowInput("x")));
    } else if (after.size() == 1) {
      wf.Add(TaskNode(id(i), unary).Bind("x", Promise(id(after[0]), "o0")));
    } else {
      wf.Add(TaskNode(id(i), binary)
                 .Bind("a", Promise(id(after[0]), "o0"))
                 .Bind("b", Promise(id(after[1]), "o0")));
    }
  }
  wf.Output("y", types::Int(), Promise(id(static_cast<int>(shape.after.size()) - 1), "o0"));
  std::vector<compiler::CompiledTask> tasks(2);
  *tasks[0].mutable_template_() = unary;
  *tasks[1].mutable_template_() = binary;
  auto closure = compiler::CompileWorkflow(wf.Build(), {}, tasks, {});
  if (!closure.ok()) Die(closure.status().ToString());
  return *std::move(closure);
}

void RegisterTasks(runtime::InProcessRuntime& tasks) {
  tasks.Register("bench.unary", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", in.literals().at("x")}});
  });
  tasks.Register("bench.binary", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", in.literals().at("a")}});
  });
}

store::Durability DurabilityNamed(const std::string& name) {
  if (name == "off") return store::Durability::kOff;
  if (name == "full") return store::Durability::kFull;
  return store::Durability::kNormal;
}

// One run through a fresh engine and store in `dir`: seconds.
double RunFlytecpp(const compiler::CompiledWorkflowClosure& closure, const fs::path& dir,
                   const std::string& durability) {
  fs::remove_all(dir);
  auto store = durability == "memory" ? store::OpenMemoryStore(dir / "data")
                                      : store::OpenSqliteStore(dir, DurabilityNamed(durability));
  if (!store.ok()) Die(store.status().ToString());
  runtime::InProcessRuntime tasks;
  RegisterTasks(tasks);
  engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
  const auto start = Wall::now();
  auto r = engine.Run({.closure = closure, .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  const double secs = Since(start);
  if (!r.ok()) Die("run failed: " + r.status().ToString());
  if (r->phase != core::WorkflowExecution::SUCCEEDED || r->outputs.literals().count("y") == 0) {
    Die("run failed: " + (r->error ? r->error->message() : std::string("no output y")));
  }
  return secs;
}

// The same graph as a oneTBB flow_graph of continue_nodes: each body reads
// its predecessors' values and writes its own.
double RunTbb(const Shape& shape) {
  const auto start = Wall::now();
  {
    tbb::flow::graph g;
    tbb::flow::broadcast_node<tbb::flow::continue_msg> source(g);
    const size_t n = shape.after.size();
    std::vector<int64_t> value(n, 0);
    std::vector<std::unique_ptr<tbb::flow::continue_node<tbb::flow::continue_msg>>> nodes;
    nodes.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      nodes.push_back(std::make_unique<tbb::flow::continue_node<tbb::flow::continue_msg>>(
          g, [&, i](const tbb::flow::continue_msg&) {
            int64_t v = 1;
            for (int p : shape.after[i]) v = std::max(v, value[p] + 1);
            value[i] = v;
          }));
      if (shape.after[i].empty()) tbb::flow::make_edge(source, *nodes[i]);
      for (int p : shape.after[i]) tbb::flow::make_edge(*nodes[p], *nodes[i]);
    }
    source.try_put(tbb::flow::continue_msg());
    g.wait_for_all();
    if (value[n - 1] == 0) Die("the flow graph did not run");
  }
  return Since(start);
}

void Shapes(const std::vector<std::string>& names, int runs, const fs::path& dir,
            const std::string& durability) {
  std::printf(
      "| shape | oneTBB flow_graph, µs/node | flytecpp (durability %s), µs/node | ratio |\n",
      durability.c_str());
  std::printf("|---|---|---|---|\n");
  for (const auto& name : names) {
    Shape shape;
    if (!ShapeNamed(name, &shape)) Die("unknown shape " + name);
    const auto closure = Workflow(shape);
    const double per_node = 1e6 / static_cast<double>(shape.after.size());
    std::vector<double> tbb, ours;
    for (int r = 0; r < runs; ++r) {  // interleaved: drift hits both alike
      tbb.push_back(RunTbb(shape) * per_node);
      ours.push_back(RunFlytecpp(closure, dir / "store", durability) * per_node);
    }
    const Stats t = Of(tbb), o = Of(ours);
    std::printf("| %s | %s | %s | %.0f× |\n", name.c_str(), Text(t, "%.2f", "").c_str(),
                Text(o, "%.1f", "").c_str(), o.median / t.median);
    std::fflush(stdout);
  }
  fs::remove_all(dir / "store");
}

// In a child process (a fresh heap): the engine's peak memory above what the
// process held before the run, for a fan-out of `n` nodes. Prints
// "<peak above before, KiB> <seconds>".
int Probe(int n, const fs::path& dir) {
  const auto closure = Workflow(FanOut(n));
  ResetPeakRss();
  const long before = StatusKb("VmRSS");
  const double secs = RunFlytecpp(closure, dir / ("probe-" + std::to_string(n)), "normal");
  std::printf("%ld %.3f\n", StatusKb("VmHWM") - before, secs);
  fs::remove_all(dir / ("probe-" + std::to_string(n)));
  return 0;
}

void Memory(const std::vector<int>& sizes, const fs::path& dir) {
  std::printf("| fan-out nodes | run | engine peak above before the run | per node |\n");
  std::printf("|---|---|---|---|\n");
  std::vector<std::pair<int, long>> points;
  for (int n : sizes) {
    // Resolved here: in the shell popen starts, /proc/self/exe is the shell.
    const std::string command = fs::read_symlink("/proc/self/exe").string() + " --probe " +
                                std::to_string(n) + " --dir '" + dir.string() + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    long kb = 0;
    double secs = 0;
    if (pipe == nullptr || std::fscanf(pipe, "%ld %lf", &kb, &secs) != 2) {
      Die("the memory probe of " + std::to_string(n) + " nodes failed");
    }
    if (::pclose(pipe) != 0) Die("the memory probe of " + std::to_string(n) + " nodes failed");
    points.emplace_back(n, kb);
    std::printf("| %d | %.1f s | %.1f MiB | %.0f B |\n", n, secs, kb / 1024.0, kb * 1024.0 / n);
    std::fflush(stdout);
  }
  if (points.size() >= 2) {
    const auto& [n0, k0] = points.front();
    const auto& [n1, k1] = points.back();
    std::printf("\nEngine state per node (slope %d → %d nodes): **%.0f bytes**\n", n0, n1,
                (k1 - k0) * 1024.0 / (n1 - n0));
  }
}

// `count` executions of a 3-node chain submitted at once (from 4 threads)
// to one engine: executions/s, and submit-to-end latency.
void Executions(int count, const fs::path& dir) {
  const auto closure = Workflow(Chain(3));
  fs::remove_all(dir / "many");
  auto store = store::OpenSqliteStore(dir / "many", store::Durability::kNormal);
  if (!store.ok()) Die(store.status().ToString());
  runtime::InProcessRuntime tasks;
  RegisterTasks(tasks);
  // Declared before the engine: its listener uses them until the engine stops.
  std::mutex mu;
  std::map<std::string, Wall::time_point> submitted, ended;
  engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
  engine.Subscribe([&](const engine::Event& e) {
    if (e.kind != store::EventKind::kWorkflow || e.phase != core::WorkflowExecution::SUCCEEDED) {
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    ended[e.execution_id] = Wall::now();
  });
  const auto start = Wall::now();
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&, t] {
      for (int k = t; k < count; k += 4) {
        const std::string id = engine::NewExecutionId();
        {
          std::lock_guard<std::mutex> lock(mu);
          submitted[id] = Wall::now();
        }
        auto r = engine.Submit(
            {.closure = closure, .inputs = lit::Inputs({{"x", lit::Int(k)}}), .execution_id = id});
        if (!r.ok()) Die("submit failed: " + r.status().ToString());
      }
    });
  }
  for (auto& t : submitters) t.join();
  for (const auto& [id, at] : submitted) {
    auto r = engine.Wait(id);
    if (!r.ok() || r->phase != core::WorkflowExecution::SUCCEEDED)
      Die("execution " + id + " failed");
  }
  const double secs = Since(start);
  std::vector<double> latency;
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [id, at] : submitted) {
    auto end = ended.find(id);
    if (end == ended.end()) Die("no end event for " + id);
    latency.push_back(std::chrono::duration<double, std::milli>(end->second - at).count());
  }
  std::sort(latency.begin(), latency.end());
  std::printf("| executions | wall | executions/s | latency p50 | p99 | max |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| %d × chain-3 | %.2f s | %.0f | %.1f ms | %.1f ms | %.1f ms |\n", count, secs,
              count / secs, latency[latency.size() / 2], latency[latency.size() * 99 / 100],
              latency.back());
  fs::remove_all(dir / "many");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"In-process DAGs side by side with oneTBB flow_graph"};
  std::vector<std::string> shapes;
  std::vector<int> memory;
  int runs = 5, executions = 0, probe = 0;
  std::string dir = fs::temp_directory_path().string(), durability = "normal";
  app.add_option("--shapes", shapes, "shapes to run")->delimiter(',');
  app.add_option("--runs", runs, "runs of each (median, min, max)")->check(CLI::PositiveNumber);
  app.add_option("--dir", dir, "where the stores live");
  app.add_option("--durability", durability)
      ->check(CLI::IsMember({"off", "normal", "full", "memory"}));
  app.add_option("--memory", memory, "fan-out sizes whose engine memory to measure")
      ->delimiter(',');
  app.add_option("--executions", executions, "small executions to submit at once");
  app.add_option("--probe", probe)->group("");  // the memory probe's child
  CLI11_PARSE(app, argc, argv);
  const fs::path base = fs::path(dir) / ("flytecpp-inproc-bench-" + std::to_string(::getpid()));
  if (probe > 0) return Probe(probe, fs::path(dir));
  std::printf("%s; stores in %s\n\n", Machine().c_str(), dir.c_str());
  if (!shapes.empty()) Shapes(shapes, runs, base, durability);
  if (!memory.empty()) Memory(memory, base);
  if (executions > 0) Executions(executions, base);
  fs::remove_all(base);
  return 0;
}
