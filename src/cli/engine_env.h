// What the commands that run workflows share: the store, the runtimes (the
// program's, then a process runtime for container tasks), an engine over
// them, and the progress line fed by the engine's events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "commands.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/nodes.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/runtime/process.h"
#include "flytecpp/runtime/sql.h"

namespace flytecpp::cli {

struct EngineEnv {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<runtime::EchoRuntime> echo;  // Flyte's echo tasks
  std::unique_ptr<runtime::SqlRuntime> sql;    // before process: SQLite3Task has a container too
  std::unique_ptr<runtime::ProcessRuntime> slurm;  // --runtime slurm: before process
  std::unique_ptr<runtime::ProcessRuntime> process;
  std::vector<runtime::Runtime*> runtimes;
  runtime::NotificationSettings notifications;  // config.yaml's, for flytecpp serve
  std::unique_ptr<engine::Engine> engine;       // declared last: stops first
};

// Opens the store, makes the runtimes (checking --config) and starts an
// engine. Errors are the user's (bad paths, bad config).
Result<std::unique_ptr<EngineEnv>> MakeEngineEnv(const CliEnv& env);

// Whether `task` runs in the sandbox: the runtime that runs it is the
// process runtime, or Slurm's (the same sandbox, on the cluster's node).
bool RunsSandboxed(const EngineEnv& e, const flyteidl::core::TaskTemplate& task);

// "<user>@<host> (flytecpp <command>)": who set a signal.
std::string SignalOrigin(const std::string& command);

using idl::Gate;
using idl::GatesOf;
// The command that releases `gate` of execution `exec` ("" for sleeps).
std::string ReleaseCommand(const std::string& exec, const Gate& gate);

// One line on a terminal, rewritten, for an execution and its children:
// elapsed time, nodes by phase (queued = waiting for a slot), a few running,
// and the command that releases a gate waiting. When stdin is a terminal
// too, a gate that waits for a signal is asked about right there.
class ProgressLine {
 public:
  // Subscribes to `engine` if stderr is a terminal; otherwise shows nothing.
  ProgressLine(engine::Engine& engine, std::string execution_id, std::map<std::string, Gate> gates);
  ~ProgressLine();  // ends the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  struct Waiting {
    std::string exec, path;
    Gate gate;
  };
  void OnEvent(const engine::Event& e);
  void Print();  // REQUIRES: mu_
  void Ask();    // the prompting thread
  bool AskOne(const Waiting& w, const std::string& key);

  engine::Engine& engine_;
  const std::string id_;
  const std::map<std::string, Gate> gates_;
  uint64_t subscription_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> phase_of_;  // guarded by mu_: "<exec>/<path>" -> NodeExecution::Phase
  std::map<int, int> count_;             // guarded by mu_: phase -> nodes
  int cached_ = 0;                       // guarded by mu_: nodes that succeeded from the cache
  std::set<std::string> running_;        // guarded by mu_
  std::map<std::string, Waiting> waiting_;  // guarded by mu_: gates waiting, by "<exec>/<path>"
  std::deque<std::string> to_ask_;          // guarded by mu_: keys of waiting_
  bool asking_ = false;                     // guarded by mu_: a question is on the screen
  bool stopping_ = false;                   // guarded by mu_
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_print_{};
  bool printed_ = false;
  std::thread asker_;
};

}  // namespace flytecpp::cli
