// Durability: a runner holding 8 executions of the crash workflow (tasks, a
// branch, a sub-workflow, a launch plan, a sleep gate, a failure node;
// crash_workflow.h)
// is killed with SIGKILL at random moments, then the executions are resumed
// — by one engine adopting the orphans, or by `resume` per execution,
// alternately. Succeeded nodes must not run again, and every result must
// equal an uninterrupted run's.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "crash_workflow.h"
#include "engine_test_util.h"

extern char** environ;

namespace flytecpp::engine {
namespace {

using namespace testing;
namespace fs = std::filesystem;

constexpr int kExecutions = 8;
constexpr int kTrialsWanted = 50;

// Starts FLYTECPP_CRASH_RUNNER with `args` and extra environment entries.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> all_env;
  for (char** e = environ; *e != nullptr; ++e) all_env.emplace_back(*e);
  all_env.insert(all_env.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  std::string bin = FLYTECPP_CRASH_RUNNER;
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

// What a finished execution came to: phase, outputs, error code, failure node.
struct Outcome {
  core::WorkflowExecution::Phase phase;
  std::string outputs;
  std::string error_code;
  core::NodeExecution::Phase cleanup;
  bool operator==(const Outcome& o) const {
    return phase == o.phase && outputs == o.outputs && error_code == o.error_code &&
           cleanup == o.cleanup;
  }
};

Outcome OutcomeOf(store::Store& s, const std::string& id) {
  auto r = StoredResult(s, id);
  EXPECT_TRUE(r.ok()) << id << ": " << r.status().ToString();
  Outcome o{};
  if (!r.ok()) return o;
  o.phase = r->phase;
  o.outputs = ShortString(r->outputs);
  o.error_code = r->error ? r->error->code() : "";
  for (const auto& n : *s.GetNodes(id)) {
    if (n.path == "cleanup") o.cleanup = n.phase;
  }
  return o;
}

// The log key of node `path` of execution `exec` (a child's nodes under "lp/").
std::string LogKey(const std::string& root, const std::string& exec, const std::string& path) {
  return root + ":" + (exec == root ? path : "lp/" + path);
}

TEST(CrashTest, KillNineAtRandomPointsThenResume) {
  flytecpp::testing::TempDir dir;
  const fs::path store_dir = dir.path() / "store";
  const std::string store_arg = store_dir.string();
  const std::vector<std::string> env = {"FLYTECPP_CRASH_SLEEP_MS=3"};

  // The uninterrupted run gives the expected outcomes, and how long a run
  // takes here (sanitizer builds start much slower), so kills land mid-run.
  const auto t0 = std::chrono::steady_clock::now();
  pid_t ref = Spawn({"--store", store_arg, "crash-run", std::to_string(kExecutions), "ref"}, env);
  ASSERT_EQ(Wait(ref), 0);
  const int run_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  auto store = store::OpenSqliteStore(store_dir);
  ASSERT_TRUE(store.ok());
  std::vector<Outcome> expected;
  for (int k = 0; k < kExecutions; ++k) {
    expected.push_back(OutcomeOf(**store, "ref-" + std::to_string(k)));
  }
  // The workflow does what it says: failures ran the failure node.
  EXPECT_EQ(expected[0].phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(expected[3].phase, core::WorkflowExecution::FAILED);
  EXPECT_EQ(expected[3].error_code, "Planned");
  EXPECT_EQ(expected[3].cleanup, core::NodeExecution::SUCCEEDED);
  EXPECT_NE(expected[0].outputs, expected[5].outputs);  // x < 4 and x >= 4 take other cases

  std::mt19937 rng(20261202);
  int interrupted = 0;
  int mid_sleep = 0;    // executions killed while their sleep gate slept
  int mid_array = 0;    // ... while their array ran
  int mid_dynamic = 0;  // ... inside their dynamic workflow
  for (int trial = 0; trial < 200 && interrupted < kTrialsWanted; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const std::string prefix = "t" + std::to_string(trial);
    const fs::path log = dir.path() / (prefix + ".log");
    std::vector<std::string> trial_env = env;
    trial_env.push_back("FLYTECPP_CRASH_LOG=" + log.string());
    pid_t pid =
        Spawn({"--store", store_arg, "crash-run", std::to_string(kExecutions), prefix}, trial_env);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(run_ms / 10, run_ms * 9 / 10)(rng)));
    ::kill(pid, SIGKILL);
    Wait(pid);

    // What was recorded, and which nodes had succeeded, before the resume.
    std::vector<std::string> recorded;
    bool mid_run = false;
    std::set<std::string> succeeded_before;  // log keys
    for (int k = 0; k < kExecutions; ++k) {
      const std::string id = prefix + "-" + std::to_string(k);
      auto record = (*store)->GetExecution(id);
      if (!record.ok()) continue;  // killed before it was recorded
      recorded.push_back(id);
      mid_run = mid_run || record->phase == core::WorkflowExecution::RUNNING ||
                record->phase == core::WorkflowExecution::FAILING;
      for (const std::string& exec : {id, id + "-lp"}) {
        for (const auto& n : *(*store)->GetNodes(exec)) {
          if (n.phase == core::NodeExecution::SUCCEEDED) {
            succeeded_before.insert(LogKey(id, exec, n.path));
          }
          if (n.path == "nap" && n.phase == core::NodeExecution::RUNNING) ++mid_sleep;
          if (n.path == "arr" && n.phase == core::NodeExecution::RUNNING) ++mid_array;
          if (n.path == "dy/d1" && n.phase != core::NodeExecution::SUCCEEDED) ++mid_dynamic;
        }
      }
    }
    auto runs_before = CountLines(log);

    // Resume: one engine adopting everything, or `resume` execution by execution.
    if (trial % 2 == 0) {
      ASSERT_EQ(Wait(Spawn({"--store", store_arg, "crash-resume"}, trial_env)), 0);
    } else {
      for (const auto& id : recorded) {
        const int rc = Wait(Spawn({"--store", store_arg, "resume", id}, trial_env));
        ASSERT_TRUE(rc == 0 || rc == 1) << id << " exited " << rc;  // 1: the planned failure
      }
    }

    auto runs_after = CountLines(log);
    for (const auto& id : recorded) {
      const int k = std::stoi(id.substr(prefix.size() + 1));
      const Outcome got = OutcomeOf(**store, id);
      EXPECT_TRUE(got == expected[k])
          << id << ": " << core::WorkflowExecution::Phase_Name(got.phase) << " " << got.outputs
          << " " << got.error_code << " cleanup " << core::NodeExecution::Phase_Name(got.cleanup)
          << " vs " << expected[k].outputs << " cleanup "
          << core::NodeExecution::Phase_Name(expected[k].cleanup);
      // Every task of the workflow ran at least once overall.
      for (const char* tag : {"a0", "a1", "sw/s1", "lp/c1", "b1", "f", "arr", "dy", "dy/d1"}) {
        EXPECT_GE(runs_after[id + ":" + tag], 1) << id << " " << tag;
      }
    }
    for (const auto& key : succeeded_before) {
      EXPECT_EQ(runs_after[key], runs_before[key]) << key << " ran again after resume";
    }
    if (mid_run) ++interrupted;
  }
  EXPECT_GE(interrupted, kTrialsWanted) << "too few trials were killed mid-run";
  EXPECT_GE(mid_sleep, 1) << "no execution was killed while its gate slept";
  EXPECT_GE(mid_array, 1) << "no execution was killed while its array ran";
  EXPECT_GE(mid_dynamic, 1) << "no execution was killed inside its dynamic workflow";
  std::cout << "[ trials   ] " << interrupted << " interrupted mid-run, " << mid_sleep
            << " mid-sleep, " << mid_array << " mid-array, " << mid_dynamic
            << " mid-dynamic (a run takes " << run_ms << " ms here)\n";
}

}  // namespace
}  // namespace flytecpp::engine
