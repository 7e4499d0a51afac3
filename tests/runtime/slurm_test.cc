// The Slurm runtime on the one-node cluster the test command starts
// (tests/support/slurm.sh): process tasks as batch jobs, their outputs read
// as the process runtime reads them, and Slurm's end states as Flyte's.
#include "flytecpp/runtime/slurm.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../engine/engine_test_util.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/store/data_dir.h"

namespace flytecpp::runtime {
namespace {

using namespace flytecpp::engine::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SlurmTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    const char* dir = std::getenv("FLYTECPP_TEST_SLURM_DIR");
    if (dir == nullptr || !fs::exists(fs::path(dir) / "ready")) {
      GTEST_SKIP() << "NO SLURM CLUSTER: FLYTECPP_TEST_SLURM_DIR/ready missing (ctest starts one "
                      "as root: tests/support/slurm.sh); these tests did not run";
    }
    ::setenv("SLURM_CONF", (fs::path(dir) / "slurm.conf").c_str(), 1);
    runtime::SlurmOptions slurm;
    slurm.poll_interval = 100ms;
    ASSERT_TRUE(CheckSlurm(slurm).ok()) << CheckSlurm(slurm).ToString();
    slurm_ = MakeSlurmRuntime(ProcessRuntimeOptions{}, slurm);
    if (!slurm_->CheckSandbox().ok()) GTEST_SKIP() << "bubblewrap cannot run here";
  }

  engine::EngineOptions OnSlurm() {
    auto o = Options();
    o.runtimes = {slurm_.get()};
    o.clock = nullptr;  // real jobs, real time
    o.max_system_retries = 0;
    return o;
  }

  static TaskTemplate Shell(const std::string& name, const std::string& script) {
    return TaskBuilder(name, "raw-container")
        .Input("x", types::Int())
        .Output("y", types::Int())
        .Container(ContainerBuilder("debian:12")
                       .Command({"sh", "-c", script})
                       .DataConfig("/var/inputs", "/var/outputs"))
        .Build();
  }

  // Every job the controller knows, as squeue --json tells them.
  static std::vector<google::protobuf::Struct> Jobs() {
    FILE* p = ::popen("squeue --json --states=all", "r");
    std::string text;
    char buf[4096];
    for (size_t n; p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
    if (p != nullptr) ::pclose(p);
    google::protobuf::Struct listing;
    std::vector<google::protobuf::Struct> out;
    if (!google::protobuf::util::JsonStringToMessage(text, &listing).ok()) return out;
    for (const auto& j : listing.fields().at("jobs").list_value().values()) {
      out.push_back(j.struct_value());
    }
    return out;
  }
  // "<state> <name>" of job `id`.
  static std::string JobState(const std::string& id) {
    for (const auto& j : Jobs()) {
      const auto& f = j.fields();
      if (std::to_string(static_cast<int64_t>(f.at("job_id").number_value())) == id) {
        return f.at("job_state").string_value() + " " + f.at("name").string_value();
      }
    }
    return "not found";
  }
  static std::string Read(const std::string& file) {
    auto text = idl::ReadFileBytes(file);
    return text.ok() ? *text : "(" + text.status().message() + ")";
  }
  static int JobsNamed(const std::string& name) {
    int n = 0;
    for (const auto& j : Jobs()) n += j.fields().at("name").string_value() == name;
    return n;
  }

  // A workflow mapping `task` (x: int -> y: int) over `xs`: ys.
  Result<compiler::CompiledWorkflowClosure> ArrayOf(const TaskTemplate& task, int parallelism,
                                                    int retries = 0) {
    WorkflowBuilder wf("slurm.array_of_" + task.id().name());
    wf.Input("xs", types::List(types::Int()));
    wf.Add(ArrayNode("a", TaskNode("a-sub", task).Retries(retries))
               .Parallelism(parallelism)
               .Bind("x", WorkflowInput("xs"))
               .OriginalSubNodeInterface());
    wf.Output("ys", types::List(types::Int()), Promise("a", "y"));
    return CompileIt(wf.Build(), {task});
  }
  // {"xs": [0, 1, ..., n-1]}
  static core::LiteralMap Xs(int n) {
    std::vector<core::Literal> xs;
    for (int i = 0; i < n; ++i) xs.push_back(lit::Int(i));
    return lit::Inputs({{"xs", lit::List(xs)}});
  }

  // Submits execution `id` to an engine in a process of its own, which dies
  // without a word (_exit) once `ready` holds for the store (its jobs go on).
  bool SubmitAndDie(const compiler::CompiledWorkflowClosure& closure, core::LiteralMap inputs,
                    const std::string& id, std::function<bool(store::Store&)> ready) {
    const pid_t child = ::fork();
    if (child == 0) {
      auto store = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
      if (!store.ok()) ::_exit(3);
      runtime::SlurmOptions slurm;
      slurm.poll_interval = 100ms;
      auto runtime = MakeSlurmRuntime(ProcessRuntimeOptions{}, slurm);
      engine::EngineOptions o;
      o.store = store->get();
      o.runtimes = {runtime.get()};
      auto* engine = new engine::Engine(o);  // never destroyed: it dies with the process
      if (!engine->Submit({.closure = closure, .inputs = std::move(inputs), .execution_id = id})
               .ok()) {
        ::_exit(4);
      }
      auto reader = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
      for (int i = 0; i < 3000 && reader.ok(); ++i) {
        if (ready(**reader)) ::_exit(0);
        std::this_thread::sleep_for(10ms);
      }
      ::_exit(5);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child) return false;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  std::unique_ptr<ProcessRuntime> slurm_;
};

TEST_F(SlurmTest, AWorkflowOfProcessTasksRunsAsJobsWithTheRightOutputs) {
  const TaskTemplate twice =
      Shell("slurm.twice", "echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y");
  const TaskTemplate plus1 =
      Shell("slurm.plus1", "echo $(( $(cat /var/inputs/x) + 1 )) > /var/outputs/y");
  WorkflowBuilder wf("slurm.wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", twice).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", plus1).Bind("x", Promise("n0", "y")));
  wf.Output("y", types::Int(), Promise("n1", "y"));
  auto closure = CompileIt(wf.Build(), {twice, plus1});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  engine::Engine engine(OnSlurm());
  auto r = engine.Run({.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(20)}})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  ASSERT_EQ(r->outputs.literals().count("y"), 1u);
  EXPECT_EQ(Int(r->outputs, "y"), 41);
  // Each attempt was a job: its handle names it, and Slurm knows it, completed.
  const store::NodeRecord n1 = Row(r->execution_id, "n1");
  EXPECT_EQ(n1.runtime, "slurm");
  ASSERT_EQ(n1.handle.rfind("slurm:", 0), 0u) << n1.handle;
  EXPECT_EQ(JobState(n1.handle.substr(6)), "COMPLETED flytecpp:slurm.plus1");
}

TEST_F(SlurmTest, AFailingTaskFailsWithItsExitCodeAndWhatItPrinted) {
  const TaskTemplate fails = Shell("slurm.fails", "echo boom >&2; exit 3");
  auto r = RunTask(fails, lit::Inputs({{"x", lit::Int(1)}}), OnSlurm());
  ASSERT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->code().find("ContainerFailed"), std::string::npos) << r.error->code();
  EXPECT_NE(r.error->message().find("exit code 3: boom"), std::string::npos) << r.error->message();
}

TEST_F(SlurmTest, AJobCancelledFromOutsideIsASystemFailure) {
  const TaskTemplate sleeps = Shell("slurm.sleeps", "sleep 600");
  WorkflowBuilder wf("slurm.sleepy");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", sleeps).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("n0", "y"));
  auto closure = CompileIt(wf.Build(), {sleeps});
  ASSERT_TRUE(closure.ok());
  engine::Engine engine(OnSlurm());
  auto id = engine.Submit({.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok());
  std::string handle;
  ASSERT_TRUE(Eventually([&] {
    for (const auto& n : *reader_->GetNodes(*id)) {
      if (n.path == "n0") handle = n.handle;
    }
    return !handle.empty();
  }));
  ASSERT_EQ(handle.rfind("slurm:", 0), 0u) << handle;
  ASSERT_EQ(std::system(("scancel " + handle.substr(6)).c_str()), 0);
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r->error.has_value());
  EXPECT_NE(r->error->code().find("JobCancelled"), std::string::npos) << r->error->code();
  // Who did it, where the cluster keeps accounting (slurmdbd).
  const bool accounting =
      fs::exists(fs::path(std::getenv("FLYTECPP_TEST_SLURM_DIR")) / "slurmdbd.conf");
  const passwd* me = ::getpwuid(::geteuid());
  ASSERT_NE(me, nullptr);
  EXPECT_NE(r->error->message().find(
                "SYSTEM::job " + handle.substr(6) + " was cancelled " +
                (accounting ? "by " + std::string(me->pw_name) + " " : std::string()) +
                "outside flytecpp"),
            std::string::npos)
      << r->error->message();
  if (!accounting) GTEST_SKIP() << "NO ACCOUNTING on the test cluster: who cancelled not checked";
}

TEST_F(SlurmTest, TheTaskTimeoutIsTheJobsTimeLimit) {
  TaskTemplate quick = Shell("slurm.quick", "echo 1 > /var/outputs/y");
  quick.mutable_metadata()->mutable_timeout()->set_seconds(90);
  auto r = RunTask(quick, lit::Inputs({{"x", lit::Int(1)}}), OnSlurm());
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  const std::string job = Row(r.execution_id, "n0").handle.substr(6);
  for (const auto& j : Jobs()) {
    const auto& f = j.fields();
    if (std::to_string(static_cast<int64_t>(f.at("job_id").number_value())) != job) continue;
    ASSERT_EQ(f.count("time_limit"), 1u);
    EXPECT_EQ(f.at("time_limit").number_value(), 2);  // 1:30, in whole minutes as Slurm keeps it
    return;
  }
  ADD_FAILURE() << "job " << job << " not found";
}

// Slurm's own record of the jobs that ended (JobCompType=jobcomp/filetxt):
// one map of its fields per job.
std::vector<std::map<std::string, std::string>> CompletedJobs() {
  std::vector<std::map<std::string, std::string>> out;
  std::ifstream log(fs::path(std::getenv("FLYTECPP_TEST_SLURM_DIR")) / "log" / "jobcomp.log");
  for (std::string line; std::getline(log, line);) {
    std::map<std::string, std::string> fields;
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    out.push_back(std::move(fields));
  }
  return out;
}

// The most jobs of `jobs` that ran at the same time, from their start and
// end seconds ([start, end): Slurm starts a task in a freed slot no earlier
// than the second the previous one ended).
int MostAtOnce(const std::vector<std::map<std::string, std::string>>& jobs) {
  std::vector<std::pair<std::string, int>> edges;  // ISO times sort as text
  for (const auto& j : jobs) {
    edges.emplace_back(j.at("StartTime"), +1);
    edges.emplace_back(j.at("EndTime"), -1);
  }
  std::sort(edges.begin(), edges.end());  // at equal times, ends (-1) first
  int now = 0, most = 0;
  for (const auto& [time, delta] : edges) most = std::max(most, now += delta);
  return most;
}

// An array node is one job array, `--array=0-99%10`: Slurm runs no more than
// ten of its tasks at once; an element that fails is retried as a job of
// its own; the outputs are gathered in order.
TEST_F(SlurmTest, AnArrayNodeIsOneJobArrayHonouringItsParallelism) {
  const std::string name = "slurm.double" + std::to_string(::getpid());
  TaskTemplate twice = Shell(name,
                             "if [ $FLYTE_K8S_ARRAY_INDEX = 7 ] && [ $FLYTE_ATTEMPT_NUMBER = 0 ]; "
                             "then echo flaky >&2; exit 1; fi; sleep 1; "
                             "echo element $FLYTE_K8S_ARRAY_INDEX; "
                             "echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y");
  auto closure = ArrayOf(twice, /*parallelism=*/10, /*retries=*/1);
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  engine::Engine engine(OnSlurm());
  auto r = engine.Run({.closure = *closure, .inputs = Xs(100)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  ASSERT_EQ(r->outputs.literals().count("ys"), 1u);
  const auto& ys = r->outputs.literals().at("ys").collection().literals();
  ASSERT_EQ(ys.size(), 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ys[i].scalar().primitive().integer(), 2 * i) << i;
  auto elements = reader_->GetElements(r->execution_id, "a");
  ASSERT_TRUE(elements.ok());
  for (const auto& e : *elements) EXPECT_EQ(e.attempts, e.index == 7 ? 1 : 0) << e.index;
  // Each element's logs are its attempt's (what `flytecpp logs` shows).
  store::DataDir data(store_->data_dir(), r->execution_id);
  EXPECT_EQ(Read(data.OutputDir("a/42", 0) + "/stdout.log"), "element 42\n");
  EXPECT_EQ(Read(data.OutputDir("a/7", 0) + "/stderr.log"), "flaky\n");
  EXPECT_EQ(Read(data.OutputDir("a/7", 1) + "/stdout.log"), "element 7\n");

  // Slurm's record: one array of 100 tasks, at most 10 (and more than one)
  // at once, and one job more, for the retry.
  std::vector<std::map<std::string, std::string>> array, single;
  ASSERT_TRUE(Eventually([&] {
    array.clear();
    single.clear();
    for (auto& j : CompletedJobs()) {
      if (j["Name"] != "flytecpp:" + name) continue;
      (j.count("ArrayJobId") ? array : single).push_back(j);
    }
    return array.size() + single.size() >= 101;
  })) << array.size()
      << " array tasks and " << single.size() << " jobs recorded";
  ASSERT_EQ(array.size(), 100u);
  ASSERT_EQ(single.size(), 1u);
  std::set<std::string> array_ids;
  for (const auto& j : array) array_ids.insert(j.at("ArrayJobId"));
  EXPECT_EQ(array_ids.size(), 1u);
  const int most = MostAtOnce(array);
  EXPECT_LE(most, 10);
  EXPECT_GE(most, 3) << "the tasks hardly overlapped: the limit was not exercised";
  EXPECT_EQ(single[0].at("JobState"), "COMPLETED");
}

// An array larger than the cluster's MaxArraySize (here: as configured, 4)
// is split into job arrays that share the parallelism; task ids count from
// each part's first element where the indices would not fit.
TEST_F(SlurmTest, AnArrayLargerThanMaxArraySizeIsSplit) {
  const std::string name = "slurm.split" + std::to_string(::getpid());
  TaskTemplate twice = Shell(name, "echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y");
  auto closure = ArrayOf(twice, /*parallelism=*/4);
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  SlurmOptions small;
  small.poll_interval = 100ms;
  small.max_array_size = 4;
  auto runtime = MakeSlurmRuntime(ProcessRuntimeOptions{}, small);
  auto o = OnSlurm();
  o.runtimes = {runtime.get()};
  engine::Engine engine(o);
  auto r = engine.Run({.closure = *closure, .inputs = Xs(10)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  const auto& ys = r->outputs.literals().at("ys").collection().literals();
  ASSERT_EQ(ys.size(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ys[i].scalar().primitive().integer(), 2 * i) << i;
  std::map<std::string, std::vector<std::map<std::string, std::string>>> arrays;
  ASSERT_TRUE(Eventually([&] {
    arrays.clear();
    size_t n = 0;
    for (auto& j : CompletedJobs()) {
      if (j["Name"] != "flytecpp:" + name || !j.count("ArrayJobId")) continue;
      arrays[j["ArrayJobId"]].push_back(j);
      ++n;
    }
    return n >= 10;
  }));
  std::multiset<std::string> parts;  // each part's task ids
  std::vector<std::map<std::string, std::string>> all;
  for (const auto& [id, tasks] : arrays) {
    std::set<int> ids;
    for (const auto& t : tasks) ids.insert(std::stoi(t.at("ArrayTaskId")));
    std::string text;
    for (int i : ids) text += std::to_string(i);
    parts.insert(text);
    EXPECT_LE(MostAtOnce(tasks), 1);  // 4 shared by 3 parts: one task of each at a time
    all.insert(all.end(), tasks.begin(), tasks.end());
  }
  EXPECT_EQ(parts, (std::multiset<std::string>{"0123", "0123", "01"}));
  EXPECT_LE(MostAtOnce(all), 4);
}

// This process's threads, from /proc.
int ThreadCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& t : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Thousands of jobs in flight hold no thread each: the launcher submits and
// follows them all from one thread, the runtime waits on them from its
// reactor.
TEST_F(SlurmTest, ATwoThousandElementArrayHoldsNoThreadPerJob) {
  constexpr int kElements = 2000;
  const std::string name = "slurm.wide" + std::to_string(::getpid());
  auto closure = ArrayOf(Shell(name, "sleep 60"), /*parallelism=*/0);
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  std::atomic<bool> stop{false};
  std::atomic<int> most{0};
  std::thread sampler([&] {
    while (!stop) {
      most = std::max(most.load(), ThreadCount());
      std::this_thread::sleep_for(10ms);
    }
  });
  engine::Engine engine(OnSlurm());
  const int before = ThreadCount();  // the sampler, the engine and the runtime's reactor among them
  const std::string exec = "wide" + std::to_string(::getpid());
  ASSERT_TRUE(
      engine.Submit({.closure = *closure, .inputs = Xs(kElements), .execution_id = exec}).ok());
  // Every element submitted (its job's handle recorded): all in flight.
  size_t submitted = 0;
  EXPECT_TRUE(Eventually(
      [&] {
        submitted = 0;
        auto elements = reader_->GetElements(exec, "a");
        for (const auto& e : elements.ok() ? *elements : std::vector<store::ElementRecord>{}) {
          submitted += !e.handle.empty();
        }
        return submitted == kElements;
      },
      std::chrono::milliseconds(120000)))
      << submitted << " of " << kElements << " submitted";
  std::this_thread::sleep_for(300ms);  // a few polls of them all
  stop = true;
  sampler.join();
  // The launcher's one thread, started with the first job; the engine's and
  // SQLite's own stay as they were.
  EXPECT_LE(most.load() - before, 2) << before << " threads before, at most " << most.load()
                                     << " while " << kElements << " jobs were in flight";
  ASSERT_TRUE(engine.Abort(exec, "enough").ok());
  auto r = engine.Wait(exec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::ABORTED);
}

// Above the memory it asked for, the job ends OUT_OF_MEMORY: a retryable
// USER OOMKilled, as Flyte reports an OOM-killed pod.
TEST_F(SlurmTest, AJobOverItsMemoryIsOOMKilled) {
  if (!fs::exists(fs::path(std::getenv("FLYTECPP_TEST_SLURM_DIR")) / "cgroup.conf")) {
    GTEST_SKIP() << "THE TEST CLUSTER LIMITS NO MEMORY: no cgroup v1 memory controller here "
                    "(tests/support/slurm.sh); this test did not run";
  }
  const std::string name = "slurm.hungry" + std::to_string(::getpid());
  TaskTemplate hungry =
      TaskBuilder(name, "raw-container")
          .Input("x", types::Int())
          .Output("y", types::Int())
          .Container(ContainerBuilder("debian:12")
                         .Command({"python3", "-c",
                                   "import time; x = bytearray(400 << 20); time.sleep(3)"})
                         .MemoryRequest("100Mi")
                         .MemoryLimit("100Mi")
                         .DataConfig("/var/inputs", "/var/outputs"))
          .Build();
  auto r = RunTask(hungry, lit::Inputs({{"x", lit::Int(1)}}), OnSlurm());
  ASSERT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind(), core::ExecutionError::USER);
  EXPECT_NE(r.error->code().find("OOMKilled"), std::string::npos)
      << r.error->code() << ": " << r.error->message();
  std::vector<std::string> states;  // of its job (a failed attempt's handle is not kept)
  for (const auto& j : Jobs()) {
    const auto& f = j.fields();
    if (f.at("name").string_value() == "flytecpp:" + name) {
      states.push_back(f.at("job_state").string_value());
    }
  }
  EXPECT_EQ(states, std::vector<std::string>{"OUT_OF_MEMORY"});
}

TEST(SlurmConfigTest, SelectsTasksByTypeImageOrTheirOwnConfig) {
  flytecpp::testing::TempDir dir;
  const auto config = dir.path() / "config.yaml";
  std::ofstream(config) << "slurm:\n  partition: batch\n  interruptible_qos: preempt\n"
                           "  task_types: [mpi]\n  images: [\"ghcr.io/acme/hpc-*\"]\n";
  auto loaded = LoadRuntimeConfig(config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->slurm.has_value());
  const SlurmOptions* o = &*loaded->slurm;
  EXPECT_EQ(o->partition, "batch");
  EXPECT_EQ(o->interruptible_qos, "preempt");
  auto task = [](const std::string& type, const std::string& image) {
    return TaskBuilder("t", type).Container(ContainerBuilder(image).Command({"true"})).Build();
  };
  EXPECT_TRUE(SelectedForSlurm(*o, task("mpi", "debian:12")));
  EXPECT_TRUE(SelectedForSlurm(*o, task("raw-container", "ghcr.io/acme/hpc-solver:1")));
  EXPECT_FALSE(SelectedForSlurm(*o, task("raw-container", "debian:12")));
  TaskTemplate asks = task("raw-container", "debian:12");
  (*asks.mutable_config())["flytecpp.runtime"] = "slurm";
  EXPECT_TRUE(SelectedForSlurm(*o, asks));
  TaskTemplate opts_out = task("mpi", "debian:12");  // its own config wins over its type
  (*opts_out.mutable_config())["flytecpp.runtime"] = "process";
  EXPECT_FALSE(SelectedForSlurm(*o, opts_out));

  std::ofstream(config) << "slurm:\n  partitoin: batch\n";
  auto bad = LoadRuntimeConfig(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("slurm.partitoin: unknown field"), std::string::npos);
  std::ofstream(config) << "images: []\n";
  auto without = LoadRuntimeConfig(config);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_FALSE(without->slurm.has_value());
  std::ofstream(config) << "slrum:\n  partition: batch\n";  // a section's name mistyped
  auto mistyped = LoadRuntimeConfig(config);
  ASSERT_FALSE(mistyped.ok());
  EXPECT_NE(
      mistyped.status().message().find("slrum: unknown field (images, slurm, sql, notifications)"),
      std::string::npos)
      << mistyped.status().ToString();
}

// The attempts' directory must be one the compute nodes see. The cluster
// here is one node, this machine; another machine's node is what `sinfo`
// (a script standing in for it) lists.
TEST(SlurmCheckTest, ADirectoryOnLocalDisksIsRefusedWhenNodesAreOtherMachines) {
  if (!fs::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm (tmpfs) here";
  flytecpp::testing::TempDir dir;
  const fs::path shared = fs::path("/dev/shm") / ("flytecpp-check-" + std::to_string(::getpid()));
  fs::create_directories(shared);
  auto sinfo = [&](const std::string& address) {
    const fs::path script = dir.path() / ("sinfo-" + address);
    std::ofstream(script) << "#!/bin/sh\necho '{\"nodes\": [{\"name\": \"n7\", \"hostname\": "
                             "\"n7\", \"address\": \""
                          << address << "\"}]}'\n";
    fs::permissions(script, fs::perms::owner_all);
    return script.string();
  };
  SlurmOptions o;
  o.squeue = "true";  // the controller answers
  o.sinfo = sinfo("10.1.2.7");
  Status st = CheckSlurm(o, shared);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(shared.string() + " is on this machine's own file system (tmpfs), "
                                                "which the cluster's node n7 cannot see"),
            std::string::npos)
      << st.message();
  o.sinfo = sinfo("127.0.0.1");  // every node is this machine
  EXPECT_TRUE(CheckSlurm(o, shared).ok());
  o.sinfo = "false";  // a shared directory is not checked without a reason
  EXPECT_TRUE(CheckSlurm(o).ok());
  o.squeue = "false";
  st = CheckSlurm(o, shared);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("the Slurm controller does not answer"), std::string::npos);
  fs::remove_all(shared);
}

// kill -9 of the engine while its job runs: a new engine resumes the
// execution and waits on the same job (none submitted again).
TEST_F(SlurmTest, AResumedExecutionWaitsOnTheSameJob) {
  const std::string name = "slurm.slow" + std::to_string(::getpid());
  const TaskTemplate slow =
      Shell(name, "sleep 3; echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y");
  WorkflowBuilder wf("slurm.slow_wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", slow).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("n0", "y"));
  auto closure = CompileIt(wf.Build(), {slow});
  ASSERT_TRUE(closure.ok());
  const std::string id = "resumed-" + std::to_string(::getpid());
  ASSERT_TRUE(
      SubmitAndDie(*closure, lit::Inputs({{"x", lit::Int(21)}}), id, [&](store::Store& store) {
        for (const auto& n : *store.GetNodes(id)) {
          if (n.path == "n0" && !n.handle.empty()) return true;
        }
        return false;
      }));
  const std::string handle = Row(id, "n0").handle;
  ASSERT_EQ(handle.rfind("slurm:", 0), 0u) << handle;
  const std::string job = handle.substr(6);
  EXPECT_TRUE(JobState(job).ends_with(" flytecpp:" + name)) << JobState(job);

  engine::Engine engine(OnSlurm());
  ASSERT_TRUE(engine.Resume(id).ok());
  auto r = engine.Wait(id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 42);
  const store::NodeRecord n0 = Row(id, "n0");
  EXPECT_EQ(n0.handle, handle);  // the same job
  EXPECT_EQ(n0.attempts, 0);     // not run again
  EXPECT_EQ(JobState(job), "COMPLETED flytecpp:" + name);
  EXPECT_EQ(JobsNamed("flytecpp:" + name), 1);
}

// kill -9 of the engine while its job array runs: the new engine follows
// every element's task of the same array; nothing is submitted again.
TEST_F(SlurmTest, AResumedArrayWaitsOnTheSameJobArray) {
  const std::string name = "slurm.slow_element" + std::to_string(::getpid());
  const TaskTemplate slow =
      Shell(name, "sleep 2; echo $(( $(cat /var/inputs/x) + 100 )) > /var/outputs/y");
  auto closure = ArrayOf(slow, /*parallelism=*/2);
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  const std::string id = "resumed-array-" + std::to_string(::getpid());
  auto handles_in = [&](store::Store& store) {
    std::set<std::string> out;
    auto rows = store.GetElements(id, "a");
    for (const auto& e : rows.ok() ? *rows : std::vector<store::ElementRecord>{}) {
      if (!e.handle.empty()) out.insert(e.handle);
    }
    return out;
  };
  ASSERT_TRUE(SubmitAndDie(*closure, Xs(6), id,
                           [&](store::Store& store) { return handles_in(store).size() == 6; }));
  const std::set<std::string> handles = handles_in(*reader_);  // all submitted
  ASSERT_EQ(handles.size(), 6u);
  engine::Engine engine(OnSlurm());
  ASSERT_TRUE(engine.Resume(id).ok());
  auto r = engine.Wait(id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  const auto& ys = r->outputs.literals().at("ys").collection().literals();
  ASSERT_EQ(ys.size(), 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ys[i].scalar().primitive().integer(), 100 + i) << i;
  for (const auto& e : *reader_->GetElements(id, "a")) EXPECT_EQ(e.attempts, 0) << e.index;
  // One array, its six tasks, each run once: the handles the first engine recorded.
  std::set<std::string> recorded;
  ASSERT_TRUE(Eventually([&] {
    recorded.clear();
    for (auto& j : CompletedJobs()) {
      if (j["Name"] != "flytecpp:" + name) continue;
      recorded.insert("slurm:" + j["ArrayJobId"] + "_" + j["ArrayTaskId"]);
    }
    return recorded.size() >= 6;
  }));
  EXPECT_EQ(recorded, handles);
}

}  // namespace
}  // namespace flytecpp::runtime
