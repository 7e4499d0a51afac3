// The execution engine: runs compiled workflows locally, durably and fast.
//
//   auto store = store::OpenSqliteStore(dir);
//   runtime::InProcessRuntime tasks;
//   tasks.Register("demo.square", [](const LiteralMap& in) -> runtime::TaskOutcome {...});
//   engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
//   auto result = engine.Run({.closure = compiled, .inputs = inputs});
//
// One thread (the caller of Run/Resume) owns all execution state: task
// attempts report back through a queue, timers and abort requests arrive on
// it too, and each batch of transitions is committed to the store in one
// transaction. Semantics (phases, retries, timeouts, failure policies) are
// Flyte's; docs/semantics.md lists them one rule per line.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/runtime/runtime.h"
#include "flytecpp/store/store.h"
#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/execution.pb.h"
#include "flyteidl/core/interface.pb.h"
#include "flyteidl/core/literals.pb.h"

namespace flytecpp::engine {

namespace core = flyteidl::core;

// What a launch-plan node runs: the launch plan's compiled workflow and its
// fixed and default inputs.
struct LaunchPlanTarget {
  core::CompiledWorkflowClosure closure;
  core::LiteralMap fixed_inputs;
  core::ParameterMap default_inputs;
};
using LaunchPlanResolver = std::function<Result<LaunchPlanTarget>(const core::Identifier&)>;

// A snapshot for progress displays, at most every `progress_interval`.
struct Progress {
  std::string execution_id;
  std::map<core::NodeExecution::Phase, int> nodes_by_phase;  // every node seen so far
  std::vector<std::string> running;                          // a few running node paths
  std::chrono::nanoseconds elapsed{0};
};

struct EngineOptions {
  store::Store* store = nullptr;            // required
  std::vector<runtime::Runtime*> runtimes;  // the first that CanRun a task runs it
  LaunchPlanResolver launch_plans;          // for launch-plan nodes; optional
  std::function<void(const Progress&)> on_progress;
  std::chrono::milliseconds progress_interval{100};
  int max_system_retries = 3;  // system failures retried per node, beside user retries
};

struct RunRequest {
  core::CompiledWorkflowClosure closure;
  core::LiteralMap inputs;
  core::ParameterMap defaults;  // default inputs (e.g. a launch plan's); given inputs win
  std::string execution_id;     // empty: a fresh one
};

struct ExecutionResult {
  std::string execution_id;
  core::WorkflowExecution::Phase phase = core::WorkflowExecution::UNDEFINED;
  core::LiteralMap outputs;
  std::optional<core::ExecutionError> error;
  std::string failed_node;  // the node whose failure failed the workflow, if any
};

class Engine {
 public:
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Checks the inputs against the workflow interface (bad input: an error
  // before anything is recorded), records the execution and runs it to a
  // terminal phase. A failed workflow is a result, not an error.
  Result<ExecutionResult> Run(RunRequest request);

  // Continues an execution from the store after the process that ran it
  // died: succeeded nodes keep their outputs; interrupted attempts restart.
  Result<ExecutionResult> Resume(const std::string& execution_id);

  // Thread-safe: aborts the execution being run (running nodes are aborted,
  // the workflow ends ABORTED).
  void RequestAbort(const std::string& reason);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A new execution name: 20 lowercase letters and digits, starting with a letter.
std::string NewExecutionId();

// The result of a stored execution (outputs read from its data directory).
Result<ExecutionResult> StoredResult(store::Store& store, const std::string& execution_id);

}  // namespace flytecpp::engine
