// Slurm side by side: N trivial tasks (a fan-out of N independent nodes) run
// by flytecpp's Slurm runtime, beside the same N trivial jobs submitted with
// `sbatch` directly, on the cluster SLURM_CONF names. Prints tasks/s for
// each, the mean submit-to-start latency Slurm recorded for each (its
// submit_time and start_time), and the ratios.
//
//   SLURM_CONF=... slurm_bench [N]   (default 1000; the sandbox as flytecpp runs it)
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

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (n <= 0 || std::getenv("SLURM_CONF") == nullptr) {
    std::fprintf(stderr, "usage: SLURM_CONF=... slurm_bench [N]\n");
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
  std::map<int64_t, JobTimes> direct;
  for (bool done = false; !done; std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    direct = Jobs("direct" + tag);
    done = static_cast<int>(direct.size()) == n;
    for (const auto& [id, j] : direct) done = done && j.state == "COMPLETED";
  }
  const double direct_secs = std::chrono::duration<double>(Wall::now() - t0).count();

  // flytecpp: a fan-out of n independent trivial shell tasks.
  TaskTemplate trivial = TaskBuilder("bench" + tag, "raw-container")
                             .Container(ContainerBuilder("debian:12")
                                            .Command({"true"})
                                            .DataConfig("/var/inputs", "/var/outputs"))
                             .Build();
  WorkflowBuilder wf("bench.fanout");
  for (int i = 0; i < n; ++i) wf.Add(TaskNode("n" + std::to_string(i), trivial));
  compiler::CompiledTask t;
  *t.mutable_template_() = trivial;
  auto closure = compiler::CompileWorkflow(wf.Build(), {}, {t}, {});
  if (!closure.ok()) {
    std::fprintf(stderr, "%s\n", closure.status().ToString().c_str());
    return 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("flytecpp-slurm-bench-" + tag);
  auto store = store::OpenSqliteStore(dir, store::Durability::kNormal);
  if (!store.ok()) return 2;
  auto slurm_runtime = runtime::MakeSlurmRuntime(runtime::ProcessRuntimeOptions{}, slurm);
  const auto t1 = Wall::now();
  bool ok = false;
  {
    engine::Engine engine({.store = store->get(), .runtimes = {slurm_runtime.get()}});
    auto r = engine.Run({.closure = *closure});
    ok = r.ok() && r->phase == flyteidl::core::WorkflowExecution::SUCCEEDED;
  }
  const double flytecpp_secs = std::chrono::duration<double>(Wall::now() - t1).count();
  const auto ours = Jobs("flytecpp:bench" + tag);
  std::filesystem::remove_all(dir);

  std::printf("sbatch directly: %d jobs in %.1f s, %.1f jobs/s, submit-to-start %.2f s (mean)\n", n,
              direct_secs, n / direct_secs, MeanLatency(direct));
  std::printf(
      "flytecpp slurm:  %d tasks in %.1f s, %.1f tasks/s, submit-to-start %.2f s (mean)%s\n", n,
      flytecpp_secs, n / flytecpp_secs, MeanLatency(ours), ok ? "" : "  FAILED");
  std::printf("ratio: flytecpp takes %.2fx sbatch's time for the same jobs\n",
              flytecpp_secs / direct_secs);
  return ok ? 0 : 1;
}
