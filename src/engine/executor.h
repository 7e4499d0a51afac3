// The engine's inside: per-execution state (mutable, owned by one thread)
// over immutable plans, an event loop, and one handler per node kind:
//   executor.cc        the loop, node transitions, retries, timers, failure policy
//   nodes/task.cc      task nodes: attempts on runtimes
//   nodes/branch.cc    branch nodes: conditions, the taken case
//   nodes/workflow.cc  sub-workflow and launch-plan nodes: child scopes
//   recovery.cc        rebuilding state from the store (resume)
//   events.cc          flyteidl.event messages for every transition
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "flytecpp/engine/engine.h"
#include "flytecpp/store/data_dir.h"
#include "flyteidl/event/event.pb.h"
#include "plan.h"

namespace flytecpp::engine::internal {

using NodePhase = core::NodeExecution::Phase;
using WorkflowPhase = core::WorkflowExecution::Phase;

struct Scope;

// Mutable state of one node in one scope. UNDEFINED = not started yet.
struct NodeState {
  NodePhase phase = core::NodeExecution::UNDEFINED;
  int attempts = 0;         // attempts retried so far (the running one is `attempts`)
  int system_failures = 0;  // of those, system failures
  int pending = 0;          // upstream nodes not yet finished
  bool upstream_failed = false;
  std::shared_ptr<const core::LiteralMap> inputs;
  std::shared_ptr<const core::LiteralMap> outputs;
  std::optional<core::ExecutionError> error;
  int64_t queued_ns = 0;
  int64_t started_ns = 0;
  uint64_t token = 0;  // the attempt in flight (tasks)
  runtime::Runtime* runtime = nullptr;
  int taken = -1;                // branch: the case node running
  std::unique_ptr<Scope> child;  // sub-workflow or launch plan
};

// One running workflow: the primary, a sub-workflow instance, or a launch
// plan's child execution.
struct Scope {
  enum class State { kRunning, kFailing, kHandlingFailure, kDone };
  const Plan* plan = nullptr;
  std::unique_ptr<PlanSet> owned_plans;  // launch-plan children own theirs
  std::string execution_id;
  std::string prefix;  // node path prefix: "" or "<parent path>/"
  Scope* parent = nullptr;
  int parent_node = -1;
  bool is_execution = false;  // primary or launch-plan child: has its own record
  std::vector<NodeState> nodes;
  std::shared_ptr<const core::LiteralMap> inputs;
  State state = State::kRunning;
  WorkflowPhase phase = core::WorkflowExecution::UNDEFINED;
  int active = 0;  // nodes started and not finished
  std::optional<core::ExecutionError> error;
  std::string failed_node;
  std::unique_ptr<store::DataDir> data;
  store::ExecutionRecord record;  // is_execution only
  int64_t started_ns = 0;

  std::string Path(int node) const { return prefix + plan->nodes[node].id; }
};

class Executor {
 public:
  explicit Executor(EngineOptions options);
  ~Executor();

  Result<ExecutionResult> Run(RunRequest request);
  Result<ExecutionResult> Resume(const std::string& execution_id);
  void RequestAbort(const std::string& reason);

 private:
  // ---- executor.cc: the loop and generic transitions
  Result<ExecutionResult> Loop(Scope* root);
  void Ready(Scope* s, int i) { ready_.push_back({s, i}); }
  void Launch(Scope* s, int i);
  void Succeed(Scope* s, int i, std::shared_ptr<const core::LiteralMap> outputs);
  void Fail(Scope* s, int i, core::ExecutionError error, bool timed_out = false);
  void Skip(Scope* s, int i);
  void AbortNode(Scope* s, int i, const std::string& reason);
  void NodeFinished(Scope* s, int i);
  void FailScope(Scope* s, const core::ExecutionError& error, const std::string& failed_node);
  void FinishScope(Scope* s, WorkflowPhase phase);
  void StartScope(Scope* s);
  void SetNodePhase(Scope* s, int i, NodePhase phase, bool emit_event = true);
  void SetWorkflowPhase(Scope* s, WorkflowPhase phase);
  Result<core::LiteralMap> InputsFor(Scope* s, int i);
  void WriteOutputs(Scope* s, int i, const core::LiteralMap& outputs);
  void Flush();
  void ReportProgress(bool force);
  Status CheckStoreError();
  std::unique_ptr<Scope> NewScope(const Plan* plan, std::string execution_id, std::string prefix,
                                  Scope* parent, int parent_node);

  // ---- nodes/task.cc
  void LaunchTask(Scope* s, int i);
  void StartAttempt(Scope* s, int i);
  void AttemptDone(uint64_t token, runtime::TaskOutcome outcome);
  void AttemptTimedOut(uint64_t token);
  void ActiveDeadline(Scope* s, int i, uint64_t token);
  void RetryOrFail(Scope* s, int i, core::ExecutionError error, bool retryable);

  // ---- nodes/branch.cc
  void LaunchBranch(Scope* s, int i);

  // ---- nodes/workflow.cc
  void LaunchSubWorkflow(Scope* s, int i);
  void LaunchLaunchPlan(Scope* s, int i);
  void ChildFinished(Scope* child);

  // ---- recovery.cc
  void RestoreScope(Scope* s);

  // ---- events.cc
  void EmitWorkflowEvent(Scope* s);
  void EmitNodeEvent(Scope* s, int i);
  void EmitTaskEvent(Scope* s, int i, core::TaskExecution::Phase phase,
                     const core::ExecutionError* error);

  int64_t Now() const;

  // Timers: attempt deadlines and active deadlines, by due time.
  struct Timer {
    int64_t due_ns;
    enum class Kind { kAttempt, kActive } kind;
    uint64_t token;  // the attempt the timer belongs to
    Scope* scope;
    int node;
    bool operator>(const Timer& o) const { return due_ns > o.due_ns; }
  };

  // Completions posted by runtimes from their threads.
  struct Completion {
    uint64_t token;
    runtime::TaskOutcome outcome;
  };

  EngineOptions options_;
  std::unique_ptr<PlanSet> plans_;
  std::unique_ptr<Scope> root_;

  std::deque<std::pair<Scope*, int>> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::unordered_map<uint64_t, std::pair<Scope*, int>> attempts_;  // token -> node
  uint64_t next_token_ = 0;

  // What other threads hand the loop. Shared with runtime callbacks, so an
  // attempt finishing after the executor is gone posts into a live mailbox.
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Completion> completions;      // guarded by mu
    std::optional<std::string> abort_reason;  // guarded by mu
  };
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();

  store::Batch batch_;
  Status store_error_;                                 // sticky: once a commit fails, the run stops
  std::map<std::string, store::NodeRecord> restored_;  // resume: records by path
  int64_t last_abort_poll_ns_ = 0;
  int64_t last_progress_ns_ = 0;
  std::map<NodePhase, int> counts_;
  std::set<std::string> running_;
};

// "<KIND>::<message>" as Flyte prints errors in retry messages.
std::string ErrorKindName(core::ExecutionError::ErrorKind kind);
core::ExecutionError MakeError(core::ExecutionError::ErrorKind kind, std::string code,
                               std::string message);

}  // namespace flytecpp::engine::internal
