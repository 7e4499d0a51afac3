// What the commands that run workflows share: the store, the runtimes (the
// program's, then a process runtime for container tasks), an engine over
// them, and the progress line fed by the engine's events.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "commands.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/runtime/process.h"

namespace flytecpp::cli {

struct EngineEnv {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<runtime::ProcessRuntime> process;
  std::vector<runtime::Runtime*> runtimes;
  std::unique_ptr<engine::Engine> engine;  // declared last: stops first
};

// Opens the store, makes the runtimes (checking --config) and starts an
// engine. Errors are the user's (bad paths, bad config).
Result<std::unique_ptr<EngineEnv>> MakeEngineEnv(const CliEnv& env);

// Whether the program's own runtimes leave a task to the process runtime.
bool RunsAsProcess(const EngineEnv& e, const CliEnv& env, const flyteidl::core::TaskTemplate& task);

// One line on a terminal, rewritten, for an execution and its children:
// elapsed time, nodes by phase (queued = waiting for a slot), a few running.
class ProgressLine {
 public:
  // Subscribes to `engine` if stderr is a terminal; otherwise shows nothing.
  ProgressLine(engine::Engine& engine, std::string execution_id);
  ~ProgressLine();  // ends the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void OnEvent(const engine::Event& e);
  void Print();

  engine::Engine& engine_;
  const std::string id_;
  uint64_t subscription_ = 0;
  std::mutex mu_;
  std::map<std::string, int> phase_of_;  // guarded by mu_: "<exec>/<path>" -> NodeExecution::Phase
  std::map<int, int> count_;             // guarded by mu_: phase -> nodes
  std::set<std::string> running_;        // guarded by mu_
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_print_{};
  bool printed_ = false;
};

}  // namespace flytecpp::cli
