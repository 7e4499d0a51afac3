// An array node of N elements (default 1,000,000) mapping an in-process
// no-op task over a list of ints: wall time, peak RSS, and bytes of peak RSS
// per element above the same process's RSS before the run.
//
//   array_bench [N]     store under $FLYTECPP_BENCH_DIR (default: the temp dir)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;

long CurrentRssKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  TaskTemplate noop = TaskBuilder("bench.noop")
                          .Input("x", types::List(types::Int()))
                          .Output("o0", types::List(types::Int()))
                          .Container(ContainerBuilder("img").Command({"run"}))
                          .Build();
  WorkflowBuilder wf("bench.array");
  wf.Input("xs", types::List(types::Int()));
  wf.Add(ArrayNode("map", TaskNode("map-sub", noop)).Bind("x", WorkflowInput("xs")));
  wf.Output("ys", types::List(types::Int()), Promise("map", "o0"));
  compiler::CompiledTask t;
  *t.mutable_template_() = noop;
  auto closure = compiler::CompileWorkflow(wf.Build(), {}, {t}, {});
  if (!closure.ok()) {
    std::fprintf(stderr, "%s\n", closure.status().ToString().c_str());
    return 2;
  }
  runtime::InProcessRuntime tasks;
  tasks.Register("bench.noop", [](const flyteidl::core::LiteralMap& in) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", in.literals().at("x")}});
  });
  const char* base = std::getenv("FLYTECPP_BENCH_DIR");
  const auto root =
      std::filesystem::path(base != nullptr ? base : std::filesystem::temp_directory_path()) /
      "flytecpp-array-bench";
  std::filesystem::remove_all(root);
  auto store = store::OpenSqliteStore(root, store::Durability::kNormal);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 2;
  }
  const long rss_before = CurrentRssKb();
  const auto t0 = std::chrono::steady_clock::now();
  // The input list is built inside the measured region: it is part of what
  // an execution of this size holds.
  flyteidl::core::LiteralMap inputs;
  auto* xs = (*inputs.mutable_literals())["xs"].mutable_collection()->mutable_literals();
  xs->Reserve(static_cast<int>(n));
  for (int64_t i = 0; i < n; ++i) xs->Add()->mutable_scalar()->mutable_primitive()->set_integer(i);
  int64_t last = -1;
  bool ok = false;
  {
    engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
    auto r = engine.Run({.closure = *closure, .inputs = std::move(inputs)});
    ok = r.ok() && r->phase == flyteidl::core::WorkflowExecution::SUCCEEDED;
    if (ok) {
      const auto& ys = r->outputs.literals().at("ys").collection();
      last = ys.literals(ys.literals_size() - 1).scalar().primitive().integer();
    } else {
      std::fprintf(
          stderr, "run failed: %s\n",
          r.ok() ? (r->error ? r->error->message().c_str() : "?") : r.status().ToString().c_str());
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long peak = PeakRssKb();
  std::printf(
      "array of %lld elements: %s, %.1f s, %.1f us/element, peak RSS %.0f MiB, "
      "%.0f bytes/element above the %.0f MiB before\n",
      static_cast<long long>(n), ok && last == n - 1 ? "ok" : "FAILED", secs,
      secs * 1e6 / static_cast<double>(n), peak / 1024.0,
      (peak - rss_before) * 1024.0 / static_cast<double>(n), rss_before / 1024.0);
  std::filesystem::remove_all(root);
  return ok && last == n - 1 ? 0 : 1;
}
