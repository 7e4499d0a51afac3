// The engine's inside: one thread, its event loop, and the services node
// handlers use. Files:
//   executor.cc     the thread, the mailbox, commands, timers, group commit, leases
//   transitions.cc  generic node and workflow transitions, failure policy, failure node
//   attempts.cc     attempts on runtimes: slots, parallelism, retries, timeouts, reattach
//   recovery.cc     rebuilding state from the store (resume)
//   events.cc       flyteidl.event messages for every transition
//   nodes/*.cc      one handler per node kind
// Everything here runs on the engine's thread unless it says otherwise.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "flytecpp/engine/engine.h"
#include "handler.h"
#include "state.h"

namespace flytecpp::engine::internal {

class Executor {
 public:
  explicit Executor(EngineOptions options);
  ~Executor();  // stops the thread (see Engine::~Engine)

  // ---- Called from any thread: each posts a command and waits for its answer.
  Result<std::string> Submit(ExecutionRequest request);
  Status Resume(const std::string& id);
  Result<std::vector<std::string>> AdoptOrphans();
  Result<ExecutionResult> Wait(const std::string& id);
  Result<AbortOutcome> Abort(const std::string& id, const std::string& reason);
  Status Signal(const std::string& id, const std::string& signal_id, core::Literal value,
                std::string origin, std::string note);
  Result<std::vector<SignalState>> Signals(const std::string& id);
  Result<std::optional<ExecutionResult>> WaitUntilBlocked(const std::string& id);
  Status Settle();
  uint64_t Subscribe(EventListener listener);
  void Unsubscribe(uint64_t id);
  const std::string& owner() const { return owner_; }

  // ---- Services for node handlers (engine thread).
  const EngineOptions& options() const { return options_; }
  store::Store& store() { return *options_.store; }
  int64_t Now() const { return clock_->Now(); }

  // Node transitions.
  void SetPhase(Scope* s, int i, NodePhase phase, bool emit_event = true);
  void Succeed(Scope* s, int i, std::shared_ptr<const core::LiteralMap> outputs,
               NodePhase phase = core::NodeExecution::SUCCEEDED);
  // Recovering: the outputs node `i` had in the execution recovered from,
  // if it succeeded there; null when it must run.
  std::shared_ptr<const core::LiteralMap> RecoveredOutputs(Scope* s, int i);
  void Fail(Scope* s, int i, core::ExecutionError error, bool timed_out = false);
  void AbortNode(Scope* s, int i, const std::string& reason);
  // Starts node `owned` of `s` for its owner (or resumes it, if interrupted).
  void StartOwned(Scope* s, int owned);

  // Scopes.
  std::unique_ptr<Scope> NewScope(Execution* exec, const Plan* plan, std::string execution_id,
                                  std::string prefix, Scope* parent, int parent_node);
  void StartScope(Scope* s);
  void RestoreScope(Scope* s);  // recovery.cc
  // Aborts the scope's running nodes (the failure node too, unless kept).
  void AbortScope(Scope* s, const std::string& reason, bool keep_failure_node = false);
  // Aborts what runs in `child` and ends it ABORTED, without reporting to
  // the node that runs it (that node is being aborted).
  void AbortChild(Scope* child, const std::string& reason);
  // Node rows of `execution_id` read back for a resume (loaded on first use).
  const std::map<std::string, store::NodeRecord>& RestoredRows(Execution* exec,
                                                               const std::string& execution_id);

  // Attempts (attempts.cc). QueueAttempt: the node's attempt number
  // `attempts` waits for a slot (its execution's parallelism, then its
  // runtime's); it starts once the transition that started it is committed.
  void QueueAttempt(Scope* s, int i);
  // The same for element `element` of array node `i`: its runtime is the
  // node's (NodeState::runtime), its task, timeout and retries the sub-node's;
  // the handler supplies its spec and hears how it goes (handler.h).
  void QueueElementAttempt(Scope* s, int i, int64_t element);
  // Stops every element attempt of node `i` (running or waiting).
  void StopElementAttempts(Scope* s, int i);
  // Resume: an element's attempt was running on `previous` when its engine
  // stopped. True if the runtime watches it again; false if it is gone.
  bool ReattachElement(Scope* s, int i, int64_t element, runtime::Runtime* previous,
                       const std::string& handle);
  // Decides between another attempt and failing the node, by the user and
  // system retry budgets (Flyte's rules, docs/semantics.md R07-R09).
  void RetryOrFail(Scope* s, int i, core::ExecutionError error, bool retryable);
  // Resume: the node's attempt was running, on `previous`, when its engine
  // stopped; the runtime reattaches, or the attempt counts as interrupted
  // (SYSTEM) and the next one is queued.
  void ReattachAttempt(Scope* s, int i, runtime::Runtime* previous);
  // Stops the node's attempt, if one is in flight, waiting for a slot, or
  // left running by the engine that stopped (interrupted).
  void StopAttempt(Scope* s, int i);
  void EmitTaskEvent(Scope* s, int i, core::TaskExecution::Phase phase,
                     const core::ExecutionError* error);

  // Rows and events a handler adds to the next commit (its BeforeCommit).
  void NotifyBeforeCommit(Scope* s, int i);
  void AddElementRow(Scope* s, store::ElementRecord row);
  // Literal data of scope `s` under `key` (data_dir.h): small data goes
  // into this turn's batch, committed with the rows that point to it; large
  // data is written to its file now. Returns whether it went to a file.
  Result<bool> PutData(Scope* s, const std::string& key, const google::protobuf::Message& data);
  // Writes node `i`'s inputs.pb if it lives in the database only: for
  // runtimes whose attempts read the file. Errors name the file.
  Status EnsureInputsFile(Scope* s, int i);
  void AddTaskEvent(Scope* s, int i, flyteidl::event::TaskExecutionEvent e);  // stamps its time
  // Fills the project, domain and workflow of the execution `s` belongs to.
  void SetExecutionOf(const Scope* s, runtime::AttemptSpec* spec) const;

  // Timers that call the node's handler back (TimerDue) at `due_ns`.
  void SetNodeTimer(Scope* s, int i, int64_t due_ns, int tag);

  // Signals (gates): the node waits for signal `signal_id` of its execution
  // (`type` is recorded, for whoever sets it); its handler's SignalReceived
  // is called once there is a value — at once, if there is already.
  void AwaitSignal(Scope* s, int i, const std::string& signal_id, const core::LiteralType& type);
  void StopAwaiting(Scope* s, int i);

  // The cache (cache.cc). Lookup: the cached outputs of `key` if there are
  // any that fit the task's outputs and whose data is still there (else a
  // miss); a hit's use is recorded with the next commit. Put: the outputs
  // become the entry for `key` with the next commit (with the node's
  // success). Reservations (cache_serializable): true if `holder` holds
  // `key` now, until a cache-reservation period from now; Release ends it
  // with the next commit.
  std::shared_ptr<const core::LiteralMap> CacheLookup(const std::string& key,
                                                      const core::TaskTemplate& task);
  void CachePut(Scope* s, const std::string& path, int attempt, const std::string& key,
                const core::TaskTemplate& task, std::shared_ptr<const core::LiteralMap> outputs);
  Result<bool> ReserveCache(const std::string& key, const std::string& holder);
  void ReleaseCache(const std::string& key, const std::string& holder);
  int64_t cache_reservation_ns() const { return lease_ns_; }
  int64_t poll_ns() const { return poll_ns_; }
  // A child scope that ended and is no longer needed: forgotten now (timers
  // naming it find nothing), freed once the turn is committed.
  void RetireScope(std::unique_ptr<Scope> scope);
  // Launch plans: the configured resolver, else the store's registrations.
  Result<LaunchPlanTarget> ResolveLaunchPlan(const core::Identifier& id);

  const NodeHandler& HandlerOf(const Scope* s, int i) const {
    return *handlers_[static_cast<int>(s->plan->nodes[i].kind)];
  }

 private:
  NodeHandler& Handler(const Scope* s, int i) {
    return *handlers_[static_cast<int>(s->plan->nodes[i].kind)];
  }
  // REQUIRES: node i runs elements (an array node).
  ElementHooks& Elements(const Scope* s, int i) { return *Handler(s, i).elements(); }

  // ---- executor.cc: the loop.
  using Command = std::function<void()>;
  template <typename T>
  T Call(std::function<void(std::function<void(T)>)> body);  // any thread: post, wait for reply
  void Loop();
  void RunTurn(std::vector<Command>& commands);
  void FireTimers();
  // Commits this turn's changes, or leaves them to a later turn's commit
  // (returns true) when nothing waits for them (MayDeferCommit).
  bool Flush();
  bool MayDeferCommit() const;
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  void FinishExecutions();  // frees ending executions once nothing uncommitted names them
  void EndExecution(Execution* exec);  // finished: free it after the commit
  void Forget(Scope* s);               // it and its children leave scopes_
  void DropExecution(Execution* exec, const Status& why);
  void RenewLeases();
  void PollControl();
  void ScheduleHousekeeping();
  Execution* FindLive(const std::string& id);
  Result<Execution*> Adopt(const std::string& id);  // lease, then restore
  void AbortExecution(Execution* exec, const std::string& reason);
  void DeliverSignal(const store::SignalRecord& signal);  // to the gates of this engine awaiting it
  void PollSignals();
  void AnswerBlocked();  // WaitUntilBlocked callers whose execution stopped moving
  Result<std::vector<SignalState>> SignalsOf(const std::string& id);

  // ---- transitions.cc
  void Launch(Scope* s, int i);
  void ResumeNode(Scope* s, int i);
  Result<core::LiteralMap> InputsFor(Scope* s, int i);
  // Node i's inputs are resolved: sources no binding will read any more let
  // their outputs go (PlanNode::consumers).
  void Consumed(Scope* s, int i);
  void Skip(Scope* s, int i);
  void NodeFinished(Scope* s, int i);
  void FailScope(Scope* s, const core::ExecutionError& error, const std::string& failed_node);
  void FinishScope(Scope* s, WorkflowPhase phase);
  void SetWorkflowPhase(Scope* s, WorkflowPhase phase);
  void MarkDirty(Scope* s, int i);

  // ---- attempts.cc
  struct Attempt {
    Scope* scope;
    int node;
    runtime::Runtime* runtime;
    enum class Where { kHeld, kQueued, kRunning } where;
    bool launched = false;  // the runtime was asked to start it (or reattached it)
    int64_t element = -1;   // an array element's attempt, else -1
    int task_node = -1;     // whose task, timeout and retries apply (the sub-node for elements)
  };
  struct Pool {  // one per runtime
    runtime::Runtime* runtime;
    int limit;  // 0: none
    int running = 0;
    std::deque<uint64_t> queue;
  };
  void Hold(uint64_t token);  // the attempt waits for room in its execution, then a slot
  void Admit(uint64_t token);
  void PumpPools();
  void TakeSlot(uint64_t token);
  void ReleaseAttempt(uint64_t token);  // forgets it and frees what it held
  // Asks the runtime to stop the attempt, if it was handed to it.
  void AbortInRuntime(uint64_t token);
  void StartLaunched();
  void Launch(uint64_t token);  // asks the runtime to start the attempt
  void AttemptDone(uint64_t token, runtime::TaskOutcome outcome);
  void AttemptStarted(uint64_t token, std::string handle);
  void AttemptTimedOut(uint64_t token);
  runtime::AttemptSpec SpecFor(Scope* s, int i, uint64_t token);
  runtime::AttemptCallbacks CallbacksFor();
  Pool* PoolOf(runtime::Runtime* r);

  // ---- events.cc
  void EmitWorkflowEvent(Scope* s);
  void EmitNodeEvent(Scope* s, int i);
  void AddEvent(Scope* s, store::EventKind kind, std::string path, int phase, int attempt,
                std::string payload);

  // Constant after construction.
  EngineOptions options_;
  const Clock* clock_;
  std::string owner_;
  int64_t lease_ns_;
  int64_t poll_ns_;
  static constexpr int kNodeKinds = static_cast<int>(NodeKind::kUnset) + 1;
  std::unique_ptr<NodeHandler> handlers_[kNodeKinds];  // by idl::NodeKind

  // Shared with other threads (and with runtime callbacks, which may
  // outlive the executor: they hold the mailbox, not the executor).
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Command> commands;                                       // guarded by mu
    std::vector<std::pair<uint64_t, runtime::TaskOutcome>> completions;  // guarded by mu
    std::vector<std::pair<uint64_t, std::string>> handles;               // guarded by mu
    bool stopping = false;                                               // guarded by mu
  };
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  std::mutex listeners_mu_;
  std::map<uint64_t, EventListener> listeners_;  // guarded by listeners_mu_
  uint64_t next_listener_ = 0;                   // guarded by listeners_mu_

  // State below is owned by the engine's thread.
  std::map<std::string, std::unique_ptr<Execution>> executions_;  // live, by id
  std::vector<Execution*> ending_;               // finished or dropped: freed after the next commit
  bool restored_rows_ = false;                   // some execution holds rows read back for a resume
  std::unordered_map<uint64_t, Scope*> scopes_;  // live, by serial
  uint64_t next_serial_ = 0;
  std::deque<std::pair<Scope*, int>> ready_;
  struct Timer {
    int64_t due_ns;
    enum class Kind { kAttempt, kNode, kLeases, kControl } kind;
    uint64_t id;  // attempt token, or scope serial
    int node;
    int tag;
    bool operator>(const Timer& o) const { return due_ns > o.due_ns; }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  bool leases_armed_ = false;                       // the lease renewal timer is set
  bool control_armed_ = false;                      // the control poll timer is set
  std::unordered_map<uint64_t, Attempt> attempts_;  // by token
  uint64_t next_token_ = 0;
  std::deque<Pool> pools_;           // a deque: Pool pointers stay valid as it grows
  std::vector<uint64_t> to_launch_;  // attempts to start once committed
  std::vector<std::pair<uint64_t, int>> before_commit_;  // (scope serial, node)
  // Gates awaiting signals: (execution id, signal id) -> (scope serial, node).
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<uint64_t, int>>> awaiting_;

  // The next commit. Turns that only moved in-process work on may leave
  // their changes to it (group commit across turns), for at most
  // kCommitDelay of real time: `commit_due_` is then set.
  static constexpr std::chrono::milliseconds kCommitDelay{2};
  static constexpr size_t kMaxDeferredRows = 8192;
  std::optional<std::chrono::steady_clock::time_point> commit_due_;
  bool stopping_ = false;      // the last turn: it commits whatever is left
  bool force_commit_ = false;  // commands are waiting: commit what earlier turns deferred
  std::vector<std::function<void(Status)>> settled_;  // Settle callers: answered at a turn's end
  // What the next commit writes, gathered during turns.
  struct PendingEvent {
    Execution* exec;
    store::EventRecord record;
    int phase;
    int attempt;
  };
  struct PendingCommit {
    std::vector<std::pair<Scope*, int>> dirty_nodes;
    std::vector<Scope*> dirty_records;
    std::vector<PendingEvent> events;
    std::vector<std::pair<Execution*, store::ElementRecord>> element_rows;
    std::vector<std::pair<Execution*, store::DataRecord>> data_rows;
    std::vector<store::SignalRecord> signals;
    std::vector<store::CacheEntry> cache_puts;
    std::vector<std::string> cache_hits;
    std::vector<std::pair<std::string, std::string>> cache_releases;

    // Rows that name an execution's scopes (an ending execution is freed
    // only once they are written).
    bool NamesScopes() const {
      return !dirty_nodes.empty() || !dirty_records.empty() || !events.empty() ||
             !element_rows.empty() || !data_rows.empty();
    }
    // Nothing at all to write.
    bool empty() const {
      return !NamesScopes() && signals.empty() && cache_puts.empty() && cache_hits.empty() &&
             cache_releases.empty();
    }
    // How many rows a deferred commit holds (kMaxDeferredRows bounds it).
    size_t rows() const {
      return dirty_nodes.size() + events.size() + element_rows.size() + data_rows.size();
    }
  };
  PendingCommit pending_;
  // The outputs of pending_.cache_puts by key, for lookups before they are committed.
  std::unordered_map<std::string, std::shared_ptr<const core::LiteralMap>> cache_pending_;
  std::vector<std::function<void()>> after_commit_;
  Status store_error_;  // sticky: once a commit fails for good, nothing more runs

  std::thread thread_;  // last: started when everything above exists
};

template <typename T>
inline T Executor::Call(std::function<void(std::function<void(T)>)> body) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    if (mailbox_->stopping) return T(Aborted("the engine is stopping"));
    mailbox_->commands.push_back([body = std::move(body), promise] {
      body([promise](T value) { promise->set_value(std::move(value)); });
    });
  }
  mailbox_->cv.notify_one();
  return future.get();
}

// What to do with a failed attempt, by the user and system retry budgets
// (docs/semantics.md R07-R09): retry on the user or the system budget (the
// caller counts it), or fail with `error` (RetriesExhausted when spent).
struct Retry {
  enum What { kUser, kSystem, kFail } what;
  core::ExecutionError error;
};
Retry DecideRetry(int attempts, int system_failures, int max_attempts, int max_system_retries,
                  const core::ExecutionError& error, bool retryable);

// "<KIND>" as Flyte prints errors in retry messages.
std::string ErrorKindName(core::ExecutionError::ErrorKind kind);
core::ExecutionError MakeError(core::ExecutionError::ErrorKind kind, std::string code,
                               std::string message);

// This engine's lease owner name when none is given:
// "<host>/<boot id>/<pid namespace>:<pid>:<start time>:<tag>", unique per
// engine and enough to tell, from the same host, whether it still runs.
std::string DefaultOwner();

// True only if `owner` names an engine of this host that is gone: the host
// rebooted since, or (same boot, same pid namespace) its process no longer
// runs; its leases may be taken at once. Owners elsewhere (another host,
// another pid namespace), or not in DefaultOwner's form, keep their leases
// until they run out.
bool OwnerDeadHere(const std::string& owner);

// What a finished top-level scope came to.
ExecutionResult ResultOf(const Scope& root);

}  // namespace flytecpp::engine::internal
