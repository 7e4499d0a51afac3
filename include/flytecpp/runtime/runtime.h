// Where tasks run. A Runtime starts task attempts asynchronously and reports
// on each through callbacks, from any thread. The engine owns all execution
// state; runtimes never touch it.
//
// Implementations: InProcessRuntime (C++ callables) and EchoRuntime (below),
// ProcessRuntime (sandboxed local processes, process.h) with its Slurm
// launcher (slurm.h), SqlRuntime (sql.h).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/core/dynamic_job.pb.h"
#include "flyteidl/core/execution.pb.h"
#include "flyteidl/core/literals.pb.h"
#include "flyteidl/core/tasks.pb.h"

namespace flytecpp::runtime {

namespace core = flyteidl::core;

// Identifies one attempt of one node of one execution.
struct AttemptId {
  std::string execution_id;
  std::string node_path;
  int attempt = 0;
  uint64_t token = 0;  // unique per started attempt within an engine
};

// A task's own failure.
struct TaskError {
  core::ExecutionError::ErrorKind kind = core::ExecutionError::USER;
  std::string code = "TaskFailed";
  std::string message;
  bool retryable = false;  // Flyte: RECOVERABLE
};

// What an attempt came to: its outputs, its error, or — a dynamic task — the
// workflow it generated (flytekit's futures.pb), which the engine compiles
// and runs in its place; that workflow's outputs become the task's.
using TaskOutcome = std::variant<core::LiteralMap, TaskError, core::DynamicJobSpec>;

struct AttemptSpec {
  AttemptId id;
  // The execution's project, domain and workflow name (Flyte hands them to
  // a task as FLYTE_INTERNAL_EXECUTION_*); empty when it has none.
  std::string project, domain, workflow;
  std::shared_ptr<const core::TaskTemplate> task;
  std::shared_ptr<const core::LiteralMap> inputs;
  std::filesystem::path data_dir;    // the node's: holds inputs.pb
  std::filesystem::path output_dir;  // this attempt's own, never reused: outputs.pb / error.pb
  bool interruptible = false;
  // An array element: its index. `inputs` are the element's own; `data_dir`
  // holds the array's inputs.pb, from which a task may pick its element by
  // this index (Flyte's FLYTE_K8S_ARRAY_INDEX). -1: not an array element.
  int64_t array_index = -1;
  // For a runtime that runs_arrays: the elements the engine hands over
  // together share `array_batch` (unique within the engine); there are
  // `array_batch_size` of them, to run at most `array_parallelism` at once
  // (0: no limit). Empty for an element started alone (a retry).
  std::string array_batch;
  int64_t array_batch_size = 0;
  int64_t array_parallelism = 0;
};

// How a runtime reports on an attempt. Both may be called from any thread.
struct AttemptCallbacks {
  // The attempt's external handle (a pid and start time, a job id) is
  // known. The engine stores it with the attempt, so that an engine started
  // after this one died can hand it to Reattach. Optional, at most once.
  std::function<void(const AttemptId&, std::string handle)> started;
  // The attempt ended. Called exactly once, unless Abort came first.
  std::function<void(const AttemptId&, TaskOutcome)> done;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string_view name() const = 0;
  // Whether this runtime runs `task`.
  virtual bool CanRun(const core::TaskTemplate& task) const = 0;
  // How many attempts may run at once; 0 = no limit (the runtime queues
  // work itself). The engine keeps ready attempts waiting until a slot frees.
  virtual int max_in_flight() const { return 0; }
  // Whether an attempt may start before the engine has recorded that it
  // started. By default the engine commits first, so that an attempt the
  // store does not know of never runs and no attempt directory is reused.
  // A runtime whose attempts leave nothing behind that outlives the engine
  // (no files, no processes) may say yes and save the wait.
  virtual bool may_start_unrecorded() const { return false; }
  // Whether attempts of `task` read their inputs from `data_dir`/inputs.pb
  // (processes, batch jobs). The engine keeps small inputs in its database
  // and writes the file only for attempts that read it.
  virtual bool ReadsInputFiles(const core::TaskTemplate&) const { return true; }
  // Whether the runtime runs an array node's elements as one batch and
  // honours the array's parallelism itself (a batch system's job arrays).
  // The engine then starts every element at once, telling each its batch
  // (AttemptSpec::array_batch); retries start alone.
  virtual bool runs_arrays() const { return false; }
  // Starts an attempt. An error means it did not start (no callback follows).
  virtual Status Start(AttemptSpec spec, AttemptCallbacks callbacks) = 0;
  // Stops an attempt (best effort); its completion, if any, is ignored.
  virtual void Abort(const AttemptId& id) = 0;
  // After a restart: `spec` was running, with `handle` (empty if it was
  // never reported), when the engine that started it died. Returns true if
  // the runtime watches the attempt again (callbacks follow as after Start);
  // false if the attempt is gone, in which case nothing of it may still run
  // when this returns. The default: work does not outlive its engine.
  virtual Result<bool> Reattach(AttemptSpec spec, const std::string& handle,
                                AttemptCallbacks callbacks) {
    return false;
  }
};

// Which of `runtimes` runs `task`: the first that can (a program puts its
// own first); nullptr if none can. The one rule, for the engine and the CLI.
inline Runtime* RuntimeFor(const std::vector<Runtime*>& runtimes, const core::TaskTemplate& task) {
  for (Runtime* r : runtimes) {
    if (r->CanRun(task)) return r;
  }
  return nullptr;
}

// Runs C++ callables registered by task name on a pool of worker threads.
// For embedders, tests and benchmarks. A callable that throws fails its
// attempt with a USER error naming the exception. Aborted or timed-out
// callables cannot be interrupted: they run to the end and are ignored.
class InProcessRuntime : public Runtime {
 public:
  using TaskFn = std::function<TaskOutcome(const core::LiteralMap& inputs)>;

  explicit InProcessRuntime(int workers = 0);  // 0: one per core
  ~InProcessRuntime() override;

  // REQUIRES: before the first Start.
  void Register(std::string task_name, TaskFn fn);

  std::string_view name() const override { return "in-process"; }
  bool CanRun(const core::TaskTemplate& task) const override;
  // Callables get no directory and die with their engine.
  bool may_start_unrecorded() const override { return true; }
  bool ReadsInputFiles(const core::TaskTemplate&) const override {
    return false;  // callables get the map
  }
  Status Start(AttemptSpec spec, AttemptCallbacks callbacks) override;
  void Abort(const AttemptId& id) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Flyte's echo plugin: a task of type "echo" (flytekit's Echo) succeeds at
// once with its inputs as its outputs. No process, no directory.
class EchoRuntime : public Runtime {
 public:
  std::string_view name() const override { return "echo"; }
  bool CanRun(const core::TaskTemplate& task) const override { return task.type() == "echo"; }
  bool may_start_unrecorded() const override { return true; }
  bool ReadsInputFiles(const core::TaskTemplate&) const override { return false; }
  Status Start(AttemptSpec spec, AttemptCallbacks callbacks) override;
  void Abort(const AttemptId&) override {}  // it has ended before anyone can abort it
};

}  // namespace flytecpp::runtime
