// Where tasks run. A Runtime starts task attempts asynchronously and reports
// each one's end through a callback, from any thread. The engine owns all
// execution state; runtimes never touch it.
//
// Implementations: InProcessRuntime (C++ callables, below); the process
// runtime (sandboxed local processes) and others come later.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "flytecpp/util/status.h"
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

using TaskOutcome = std::variant<core::LiteralMap, TaskError>;

struct AttemptSpec {
  AttemptId id;
  std::shared_ptr<const core::TaskTemplate> task;
  std::shared_ptr<const core::LiteralMap> inputs;
  std::filesystem::path data_dir;    // holds inputs.pb
  std::filesystem::path output_dir;  // for outputs.pb / error.pb
  bool interruptible = false;
};

class Runtime {
 public:
  using Completion = std::function<void(const AttemptId&, TaskOutcome)>;
  virtual ~Runtime() = default;
  virtual std::string_view name() const = 0;
  // Whether this runtime runs `task`.
  virtual bool CanRun(const core::TaskTemplate& task) const = 0;
  // Starts an attempt; `done` is called exactly once, unless Abort comes first.
  virtual Status Start(AttemptSpec spec, Completion done) = 0;
  // Stops an attempt (best effort); its completion, if any, is ignored.
  virtual void Abort(const AttemptId& id) = 0;
};

// Runs C++ callables registered by task name on a pool of worker threads.
// For embedders, tests and benchmarks. A callable that throws fails its
// attempt with a USER error naming the exception. Aborted or timed-out
// callables cannot be interrupted: they run to the end and are ignored.
class InProcessRuntime : public Runtime {
 public:
  using TaskFn = std::function<TaskOutcome(const core::LiteralMap& inputs)>;

  explicit InProcessRuntime(int workers = 0);  // 0: one per core
  ~InProcessRuntime() override;

  void Register(std::string task_name, TaskFn fn);

  std::string_view name() const override { return "in-process"; }
  bool CanRun(const core::TaskTemplate& task) const override;
  Status Start(AttemptSpec spec, Completion done) override;
  void Abort(const AttemptId& id) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::runtime
