// Slurm side by side, on the cluster SLURM_CONF names:
//  1. N trivial tasks (a fan-out of N independent nodes) run by flytecpp's
//     Slurm runtime, beside the same N trivial jobs submitted one by one with
//     `sbatch` directly;
//  2. an array node of N trivial elements (one job array), beside
//     `sbatch --array=0-<N-1>` directly.
// Prints tasks/s for each, the mean submit-to-start latency Slurm recorded
// for each (its submit_time and start_time), and the ratios.
//
//   SLURM_CONF=... slurm_bench [N] [--no-sandbox]
//   (N default 1000; tasks sandboxed as flytecpp runs them, unless --no-sandbox)
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "flytecpp/runtime/slurm.h"

namespace {

using namespace flytecpp;
using namespace flytecpp::idl;
using Wall = std::chrono::steady_clock;

std::string Run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  char buf[65536];
  for (size_t n; p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (p != nullptr) ::pclose(p);
  return out;
}

struct JobTimes {
  std::string state;
  double submit = 0, start = 0;
};

// Every job Slurm knows whose name starts with `prefix`, by id.
std::map<int64_t, JobTimes> Jobs(const std::string& prefix) {
  google::protobuf::Struct listing;
  std::map<int64_t, JobTimes> out;
  if (!google::protobuf::util::JsonStringToMessage(Run("squeue --json --states=all"), &listing)
           .ok()) {
    return out;
  }
  for (const auto& j : listing.fields().at("jobs").list_value().values()) {
    const auto& f = j.struct_value().fields();
    if (f.at("name").string_value().rfind(prefix, 0) != 0) continue;
    out[static_cast<int64_t>(f.at("job_id").number_value())] = {f.at("job_state").string_value(),
                                                                f.at("submit_time").number_value(),
                                                                f.at("start_time").number_value()};
  }
  return out;
}

double MeanLatency(const std::map<int64_t, JobTimes>& jobs) {
  double sum = 0;
  for (const auto& [id, j] : jobs) sum += j.start - j.submit;
  return jobs.empty() ? 0 : sum / static_cast<double>(jobs.size());
}

// Waits until `n` jobs named `name` completed; their times.
// Waits as cheaply as flytecpp follows its jobs (one filtered squeue a
// poll: `squeue --json` would load the controller with every job it knows).
std::map<int64_t, JobTimes> WaitCompleted(const std::string& name, int n) {
  for (;; std::this_thread::sleep_for(std::chrono::milliseconds(500))) {
    const std::string states =
        Run("squeue --noheader --states=all --name=" + name + " --Format=State");
    int completed = 0;
    for (size_t at = 0; (at = states.find("COMPLETED", at)) != std::string::npos; ++at) {
      ++completed;
    }
    if (completed == n) return Jobs(name);
  }
}

// Runs `workflow` (of `task`) on a Slurm runtime with a store of its own;
// whether it succeeded, and how long it took.
bool RunOnSlurm(const WorkflowTemplate& workflow, const TaskTemplate& task,
                flyteidl::core::LiteralMap inputs, const std::string& tag, bool sandbox,
                double* secs) {
  compiler::CompiledTask t;
  *t.mutable_template_() = task;
  auto closure = compiler::CompileWorkflow(workflow, {}, {t}, {});
  if (!closure.ok()) {
    std::fprintf(stderr, "%s\n", closure.status().ToString().c_str());
    return false;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("flytecpp-slurm-bench-" + tag);
  auto store = store::OpenSqliteStore(dir, store::Durability::kNormal);
  if (!store.ok()) return false;
  runtime::ProcessRuntimeOptions process;
  process.sandbox = sandbox;
  auto slurm_runtime = runtime::MakeSlurmRuntime(std::move(process), runtime::SlurmOptions{});
  const auto t0 = Wall::now();
  bool ok = false;
  {
    engine::Engine engine({.store = store->get(), .runtimes = {slurm_runtime.get()}});
    auto r = engine.Run({.closure = *closure, .inputs = std::move(inputs)});
    ok = r.ok() && r->phase == flyteidl::core::WorkflowExecution::SUCCEEDED;
    if (!ok) {
      std::fprintf(stderr, "%s\n",
                   r.ok() && r->error ? r->error->message().c_str() : "the run failed");
    }
  }
  *secs = std::chrono::duration<double>(Wall::now() - t0).count();
  std::filesystem::remove_all(dir);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const bool sandbox = !(argc > 2 && std::string(argv[2]) == "--no-sandbox");
  if (n <= 0 || std::getenv("SLURM_CONF") == nullptr) {
    std::fprintf(stderr, "usage: SLURM_CONF=... slurm_bench [N] [--no-sandbox]\n");
    return 2;
  }
  runtime::SlurmOptions slurm;
  if (Status st = runtime::CheckSlurm(slurm); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 2;
  }
  const std::string tag = std::to_string(::getpid());

  // The peer: sbatch directly, then wait for every job to complete.
  const auto t0 = Wall::now();
  for (int i = 0; i < n; ++i) {
    Run("sbatch --parsable --job-name=direct" + tag + " -o /dev/null --wrap true");
  }
  const auto direct = WaitCompleted("direct" + tag, n);
  const double direct_secs = std::chrono::duration<double>(Wall::now() - t0).count();

  // flytecpp: a fan-out of n independent trivial shell tasks.
  TaskTemplate trivial = TaskBuilder("bench" + tag, "raw-container")
                             .Container(ContainerBuilder("debian:12")
                                            .Command({"true"})
                                            .DataConfig("/var/inputs", "/var/outputs"))
                             .Build();
  WorkflowBuilder wf("bench.fanout");
  for (int i = 0; i < n; ++i) wf.Add(TaskNode("n" + std::to_string(i), trivial));
  double flytecpp_secs = 0;
  const bool ok = RunOnSlurm(wf.Build(), trivial, {}, tag, sandbox, &flytecpp_secs);
  const auto ours = Jobs("flytecpp:bench" + tag);

  // The array: sbatch --array directly, then an array node of n elements.
  const auto t2 = Wall::now();
  Run("sbatch --parsable --job-name=directarray" + tag + " -o /dev/null --array=0-" +
      std::to_string(n - 1) + " --wrap true");
  const auto direct_array = WaitCompleted("directarray" + tag, n);
  const double direct_array_secs = std::chrono::duration<double>(Wall::now() - t2).count();
  TaskTemplate element = TaskBuilder("bench_element" + tag, "raw-container")
                             .Input("x", types::Int())
                             .Container(ContainerBuilder("debian:12")
                                            .Command({"true"})
                                            .DataConfig("/var/inputs", "/var/outputs"))
                             .Build();
  WorkflowBuilder awf("bench.array");
  awf.Input("xs", types::List(types::Int()));
  awf.Add(ArrayNode("a", TaskNode("a-sub", element))
              .Bind("x", WorkflowInput("xs"))
              .OriginalSubNodeInterface());
  std::vector<flyteidl::core::Literal> xs;
  for (int i = 0; i < n; ++i) xs.push_back(lit::Int(i));
  double array_secs = 0;
  const bool array_ok = RunOnSlurm(awf.Build(), element, lit::Inputs({{"xs", lit::List(xs)}}),
                                   tag + "-array", sandbox, &array_secs);
  const auto our_array = Jobs("flytecpp:bench_element" + tag);

  std::printf("%d trivial tasks, each its own job%s:\n", n,
              sandbox ? "" : " (flytecpp: no sandbox)");
  std::printf("  sbatch directly: %.1f s, %.1f jobs/s, submit-to-start %.2f s (mean)\n",
              direct_secs, n / direct_secs, MeanLatency(direct));
  std::printf("  flytecpp slurm:  %.1f s, %.1f tasks/s, submit-to-start %.2f s (mean)%s\n",
              flytecpp_secs, n / flytecpp_secs, MeanLatency(ours), ok ? "" : "  FAILED");
  std::printf("  ratio: flytecpp takes %.2fx sbatch's time\n", flytecpp_secs / direct_secs);
  std::printf("an array node of %d trivial elements, one job array:\n", n);
  std::printf("  sbatch --array:  %.1f s, %.1f tasks/s, submit-to-start %.2f s (mean)\n",
              direct_array_secs, n / direct_array_secs, MeanLatency(direct_array));
  std::printf("  flytecpp slurm:  %.1f s, %.1f tasks/s, submit-to-start %.2f s (mean)%s\n",
              array_secs, n / array_secs, MeanLatency(our_array), array_ok ? "" : "  FAILED");
  std::printf("  ratio: flytecpp takes %.2fx sbatch's time\n", array_secs / direct_array_secs);
  return ok && array_ok ? 0 : 1;
}
