// Durability: the runner is killed with SIGKILL at random moments, then
// `flytecpp resume` finishes the execution. Succeeded nodes must not run
// again, and the outputs must equal those of an uninterrupted run.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <random>
#include <thread>

#include "engine_test_util.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/core/workflow_closure.pb.h"

extern char** environ;

namespace flytecpp::engine {
namespace {

using namespace testing;
namespace fs = std::filesystem;

// Starts FLYTECPP_DEMO_BIN with `args` and extra environment entries.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> all_env;
  for (char** e = environ; *e != nullptr; ++e) all_env.emplace_back(*e);
  all_env.insert(all_env.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  std::string bin = FLYTECPP_DEMO_BIN;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : all_env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::map<std::string, int> CountLines(const fs::path& log) {
  std::map<std::string, int> out;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) ++out[line];
  return out;
}

// Two independent chains of demo.step nodes (A: 8 long, B: 5 long).
fs::path WriteWorkflow(const fs::path& dir) {
  TaskTemplate step =
      Task("demo.step", {{"x", types::Int()}, {"tag", types::String()}}, {{"o0", types::Int()}});
  WorkflowBuilder wf("crash.chains");
  wf.Input("x", types::Int());
  for (auto [chain, length] : {std::pair{std::string("a"), 8}, std::pair{std::string("b"), 5}}) {
    for (int i = 0; i < length; ++i) {
      std::string id = chain + std::to_string(i);
      auto node = TaskNode(id, step).Bind("tag", Constant(lit::String(id)));
      node.Bind("x", i == 0 ? WorkflowInput("x") : Promise(chain + std::to_string(i - 1), "o0"));
      wf.Add(node);
    }
    wf.Output("y" + chain, types::Int(), Promise(chain + std::to_string(length - 1), "o0"));
  }
  core::WorkflowClosure closure;
  *closure.mutable_workflow() = wf.Build();
  *closure.add_tasks() = step;
  fs::path path = dir / "chains.pb";
  EXPECT_TRUE(idl::WriteMessage(path, closure).ok());
  return path;
}

TEST(CrashTest, KillNineAtRandomPointsThenResume) {
  flytecpp::testing::TempDir dir;
  const fs::path wf = WriteWorkflow(dir.path());
  const fs::path store_dir = dir.path() / "store";
  const std::vector<std::string> env = {"FLYTECPP_DEMO_SLEEP_MS=10"};

  // The uninterrupted run gives the expected outputs, and how long a run
  // takes here (sanitizer builds start much slower), so kills land mid-run.
  const auto t0 = std::chrono::steady_clock::now();
  pid_t ref = Spawn({"--store", store_dir.string(), "run", wf.string(), "--input", "x=1",
                     "--exec-id", "reference"},
                    env);
  ASSERT_EQ(Wait(ref), 0);
  const int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  auto store = store::OpenSqliteStore(store_dir);
  ASSERT_TRUE(store.ok());
  auto expected = StoredResult(**store, "reference");
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(expected->phase, core::WorkflowExecution::SUCCEEDED);

  std::mt19937 rng(20261127);
  int interrupted = 0;
  for (int trial = 0; trial < 100 && interrupted < 20; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const std::string id = "crash" + std::to_string(trial);
    const fs::path log = dir.path() / (id + ".log");
    std::vector<std::string> trial_env = env;
    trial_env.push_back("FLYTECPP_DEMO_LOG=" + log.string());
    pid_t pid = Spawn(
        {"--store", store_dir.string(), "run", wf.string(), "--input", "x=1", "--exec-id", id},
        trial_env);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(run_ms / 10, run_ms * 9 / 10)(rng)));
    ::kill(pid, SIGKILL);
    Wait(pid);

    auto record = (*store)->GetExecution(id);
    if (!record.ok()) continue;  // killed before it was recorded: nothing to resume
    const bool mid_run = record->phase == core::WorkflowExecution::RUNNING;
    std::set<std::string> succeeded_before;
    for (const auto& n : *(*store)->GetNodes(id)) {
      if (n.phase == core::NodeExecution::SUCCEEDED) succeeded_before.insert(n.path);
    }
    auto runs_before = CountLines(log);

    pid_t resumer = Spawn({"--store", store_dir.string(), "resume", id}, trial_env);
    ASSERT_EQ(Wait(resumer), 0);

    auto result = StoredResult(**store, id);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->phase, core::WorkflowExecution::SUCCEEDED);
    EXPECT_TRUE(LiteralMapEquals(result->outputs, expected->outputs))
        << ShortString(result->outputs) << " vs " << ShortString(expected->outputs);
    auto runs_after = CountLines(log);
    for (const auto& node : succeeded_before) {
      if (node == "start-node" || node == "end-node") continue;
      EXPECT_EQ(runs_after[node], runs_before[node]) << node << " ran again after resume";
    }
    // Every node ran at least once overall.
    for (const char* n : {"a0", "a7", "b0", "b4"}) EXPECT_GE(runs_after[n], 1) << n;
    if (mid_run) ++interrupted;
  }
  EXPECT_GE(interrupted, 20) << "too few trials were killed mid-run";
}

}  // namespace
}  // namespace flytecpp::engine
