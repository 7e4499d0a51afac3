// The Slurm runtime on the one-node cluster the test command starts
// (tests/support/slurm.sh): process tasks as batch jobs, their outputs read
// as the process runtime reads them, and Slurm's end states as Flyte's.
#include "flytecpp/runtime/slurm.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "../engine/engine_test_util.h"
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
  static int JobsNamed(const std::string& name) {
    int n = 0;
    for (const auto& j : Jobs()) n += j.fields().at("name").string_value() == name;
    return n;
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
  EXPECT_NE(r->error->message().find("SYSTEM::job " + handle.substr(6) +
                                     " was cancelled outside flytecpp"),
            std::string::npos)
      << r->error->message();
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

TEST(SlurmConfigTest, SelectsTasksByTypeImageOrTheirOwnConfig) {
  flytecpp::testing::TempDir dir;
  const auto config = dir.path() / "config.yaml";
  std::ofstream(config) << "slurm:\n  partition: batch\n  interruptible_qos: preempt\n"
                           "  task_types: [mpi]\n  images: [\"ghcr.io/acme/hpc-*\"]\n";
  bool configured = false;
  auto o = LoadSlurmConfig(config, &configured);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(configured);
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
  auto bad = LoadSlurmConfig(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("slurm.partitoin: unknown field"), std::string::npos);
  std::ofstream(config) << "images: []\n";
  ASSERT_TRUE(LoadSlurmConfig(config, &configured).ok());
  EXPECT_FALSE(configured);
}

// kill -9 of the engine while its job runs: a new engine resumes the
// execution and waits on the same job (none submitted again).
TEST_F(SlurmTest, AResumedExecutionWaitsOnTheSameJob) {
  const TaskTemplate slow =
      Shell("slurm.slow", "sleep 3; echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y");
  WorkflowBuilder wf("slurm.slow_wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", slow).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("n0", "y"));
  auto closure = CompileIt(wf.Build(), {slow});
  ASSERT_TRUE(closure.ok());
  const std::string id = "resumed-" + std::to_string(::getpid());
  // The first engine: a process of its own, gone without a word (_exit)
  // once its job is recorded.
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
    if (!engine
             ->Submit({.closure = *closure,
                       .inputs = lit::Inputs({{"x", lit::Int(21)}}),
                       .execution_id = id})
             .ok()) {
      ::_exit(4);
    }
    auto reader = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
    for (int i = 0; i < 3000 && reader.ok(); ++i) {
      for (const auto& n : *(*reader)->GetNodes(id)) {
        if (n.path == "n0" && !n.handle.empty()) ::_exit(0);
      }
      std::this_thread::sleep_for(10ms);
    }
    ::_exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string handle = Row(id, "n0").handle;
  ASSERT_EQ(handle.rfind("slurm:", 0), 0u) << handle;
  const std::string job = handle.substr(6);
  EXPECT_NE(JobState(job).find("flytecpp:slurm.slow"), std::string::npos) << JobState(job);

  engine::Engine engine(OnSlurm());
  ASSERT_TRUE(engine.Resume(id).ok());
  auto r = engine.Wait(id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 42);
  const store::NodeRecord n0 = Row(id, "n0");
  EXPECT_EQ(n0.handle, handle);  // the same job
  EXPECT_EQ(n0.attempts, 0);     // not run again
  EXPECT_EQ(JobState(job), "COMPLETED flytecpp:slurm.slow");
  EXPECT_EQ(JobsNamed("flytecpp:slurm.slow"), 1);
}

}  // namespace
}  // namespace flytecpp::runtime
