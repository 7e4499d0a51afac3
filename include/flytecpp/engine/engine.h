// The execution engine: a long-lived service that runs any number of
// compiled workflows, locally, durably and fast.
//
//   auto store = store::OpenSqliteStore(dir);
//   runtime::InProcessRuntime tasks;
//   tasks.Register("demo.square", [](const LiteralMap& in) -> runtime::TaskOutcome {...});
//   engine::Engine engine({.store = store->get(), .runtimes = {&tasks}});
//   auto id = engine.Submit({.closure = compiled, .inputs = inputs});
//   auto result = engine.Wait(*id);
//
// One thread, the engine's own, owns all execution state: task attempts
// report back through one mailbox, timers (attempt timeouts, active
// deadlines, leases) live on one heap, and each turn's transitions, of every
// execution, are committed to the store in one transaction (group commit)
// before anything they imply happens outside (an attempt starts, a caller
// is answered, a subscriber hears of it). Semantics (phases, retries,
// timeouts, failure policies, parallelism) are Flyte's; docs/semantics.md
// lists them one rule per line.
//
// Thread safety: every public method may be called from any thread, except
// from inside an EventListener (which runs on the engine's thread).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/runtime/runtime.h"
#include "flytecpp/store/store.h"
#include "flytecpp/util/clock.h"
#include "flyteidl/admin/launch_plan.pb.h"
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
  int max_parallelism = 0;
};
using LaunchPlanResolver = std::function<Result<LaunchPlanTarget>(const core::Identifier&)>;

// What a launch plan runs: `workflow` (its workflow, compiled) with the
// plan's default and fixed inputs and parallelism. The one reading of an
// admin.LaunchPlanSpec; LaunchPlanOf is the way back.
LaunchPlanTarget TargetOf(const flyteidl::admin::LaunchPlanSpec& spec,
                          core::CompiledWorkflowClosure workflow);
flyteidl::admin::LaunchPlan LaunchPlanOf(const core::Identifier& id,
                                         const LaunchPlanTarget& target);

// Registers a launch plan in `store`'s registry (registry_rows.h) so that
// the default resolver finds it: the launch plan under its identifier, and
// the compiled workflow it launches under the workflow's. Versions are
// immutable: the same again is a no-op, something else under a taken id is
// AlreadyExists naming it.
Status RegisterLaunchPlan(store::Store& store, const core::Identifier& id,
                          const LaunchPlanTarget& target);

// A transition, as recorded: delivered to listeners after it is committed.
struct Event {
  const std::string& execution_id;
  store::EventKind kind;
  const std::string& node_path;  // empty for workflow events
  // WorkflowExecution::Phase, NodeExecution::Phase or TaskExecution::Phase,
  // by kind.
  int phase;
  int attempt;                 // task events
  const std::string& payload;  // the serialized flyteidl.event message
};
// Runs on the engine's thread: must be quick and must not call the engine.
using EventListener = std::function<void(const Event&)>;

// Every field has a default, so designated initializers may leave any out.
struct EngineOptions {
  store::Store* store = nullptr;              // required; the engine's thread alone uses it
  std::vector<runtime::Runtime*> runtimes{};  // the first that CanRun a task runs it
  // Resolves launch-plan nodes; by default from launch plans registered in
  // the store (RegisterLaunchPlan), so a resumed execution finds them too.
  LaunchPlanResolver launch_plans{};
  const Clock* clock = nullptr;  // default: the system clock
  int max_system_retries = 3;    // system failures retried per node, beside user retries
  // Leases: this engine's name in the store (default:
  // host/boot id/pid namespace:pid:start time:random),
  // how long a lease lasts without renewal (renewed every third of it), and
  // how often requests from other processes (abort) are looked for.
  std::string owner{};
  std::chrono::milliseconds lease_duration{30000};
  std::chrono::milliseconds control_poll_interval{200};
};

// Fields have default initializers so that designated initializers may
// leave any of them out.
struct ExecutionRequest {
  core::CompiledWorkflowClosure closure{};
  core::LiteralMap inputs{};
  core::ParameterMap defaults{};    // default inputs (e.g. a launch plan's); given inputs win
  std::string execution_id{};       // empty: a fresh one
  core::LiteralMap fixed_inputs{};  // a launch plan's fixed inputs: they win over given ones
  int max_parallelism = 0;          // task attempts in flight at once; 0 = no limit
  // Discoverable tasks run again, their cache entries replaced (Flyte's
  // ExecutionConfig.overwrite_cache); kept across resumes.
  bool overwrite_cache = false;
  // Record it QUEUED and start nothing; a later Resume starts it (`flytecpp
  // run --detach=now`).
  bool hold = false;
  // Recovery (Flyte's RecoverExecution): nodes that succeeded in this
  // earlier execution of the same workflow are not run again; they take its
  // outputs and end RECOVERED. Not kept across resumes: after one, what was
  // not yet recovered runs.
  std::string recover_from{};
  // Submitted through the server: its project and domain and the
  // admin.ExecutionSpec it was created with (serialized), kept with it.
  std::string project{}, domain{}, spec{};
  // Fired by a schedule: its cursor moves to this slot in the transaction
  // that records the execution (admin/scheduler.h). Two engines creating
  // the same execution id: the second's Submit is AlreadyExists.
  std::optional<store::ScheduleMark> schedule_mark{};
};
using RunRequest = ExecutionRequest;

// `request` runs `target`: its workflow, with its launch plan's default and
// fixed inputs and parallelism.
void UseLaunchPlan(const LaunchPlanTarget& target, ExecutionRequest* request);

struct ExecutionResult {
  std::string execution_id;
  core::WorkflowExecution::Phase phase = core::WorkflowExecution::UNDEFINED;
  core::LiteralMap outputs;
  std::optional<core::ExecutionError> error;
  std::string failed_node;  // the node whose failure failed the workflow, if any
};

// A signal of an execution, as gate nodes see it.
struct SignalState {
  std::string execution_id;
  std::string signal_id;
  core::LiteralType type;
  std::optional<core::Literal> value;  // set: gates waiting for it go on
  std::string origin;                  // who set it
  std::string note;                    // why (a rejection's reason)
  bool waiting = false;                // a gate waits for it now (else: one will, or did)
};

// What Abort did.
enum class AbortOutcome {
  kAborted,    // the execution is recorded ABORTED
  kRequested,  // another engine runs it: it was asked, through the store
};

class Engine {
 public:
  // Starts the engine's thread.
  explicit Engine(EngineOptions options);
  // Stops the engine's thread. Executions still running are not ended:
  // their attempts are stopped and their leases given up, so that another
  // engine may resume them at once.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Checks the inputs against the workflow interface (bad input: an error,
  // and nothing recorded), records the execution and starts it. Returns its
  // id once it is recorded.
  Result<std::string> Submit(ExecutionRequest request);

  // Takes over a recorded execution that no live engine runs (its lease ran
  // out or was given up, or its holder is an engine of this host that is
  // gone) and continues it: succeeded nodes keep their
  // outputs, attempts that were running are reattached or retried. Refuses,
  // naming the holder, an execution another engine holds. An execution that
  // already ended is left as it is.
  Status Resume(const std::string& execution_id);

  // Resumes every unfinished execution no live engine holds: its lease ran
  // out, or its holder is an engine of this host that is gone (a server does
  // this when it starts). Returns their ids.
  Result<std::vector<std::string>> AdoptOrphans();

  // Blocks until the execution ends; its result. A failed workflow is a
  // result, not an error. An execution this engine does not run is answered
  // from the store if it ended, else with FailedPrecondition.
  Result<ExecutionResult> Wait(const std::string& execution_id);

  // Submit, then Wait.
  Result<ExecutionResult> Run(ExecutionRequest request);

  // Aborts an execution: running nodes are aborted and it ends ABORTED. If
  // another engine runs it, that engine is asked through the store; if none
  // does, this one takes it over to abort it.
  Result<AbortOutcome> Abort(const std::string& execution_id, const std::string& reason);

  // Sets a signal of an execution, durably: gates waiting for it go on (in
  // this engine at once; in another within its next look at the store). The
  // value must fit the type the gate declares (approve gates: a boolean);
  // otherwise InvalidArgument and nothing changes. A signal no gate of the
  // execution declares is NotFound; one already set, FailedPrecondition.
  // `origin` and `note` say who set it and why (a rejection names them).
  Status Signal(const std::string& execution_id, const std::string& signal_id, core::Literal value,
                std::string origin = "", std::string note = "");

  // The signals of an execution (all unfinished ones when `execution_id` is
  // empty): those its gates declare, wait for, or were given.
  Result<std::vector<SignalState>> Signals(const std::string& execution_id);

  // Blocks until the execution ends (its result) or nothing of it runs or
  // waits for a slot any more, so that only gates can move it on (nullopt).
  Result<std::optional<ExecutionResult>> WaitUntilBlocked(const std::string& execution_id);

  // Returns once the engine has run a whole turn begun after the call:
  // every earlier call handled, every timer due by its clock fired, what
  // runtimes reported by then taken in, and all of it committed. With a
  // fake clock, what has not happened then cannot happen until the clock
  // moves or something arrives: a test asserts that something did not
  // happen without sleeping.
  Status Settle();

  // Adds a listener for every event recorded from now on; returns its id.
  uint64_t Subscribe(EventListener listener);
  void Unsubscribe(uint64_t id);

  // This engine's lease owner name.
  const std::string& owner() const;

  // True only if `owner` (a lease owner name) is an engine of this host
  // that is gone: its leases may be taken at once. Owners elsewhere keep
  // theirs until they run out.
  static bool OwnerIsGone(const std::string& owner);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Given inputs over defaults, then fixed inputs over both: what an
// execution (or a launch plan's child) starts with.
core::LiteralMap MergeInputs(core::LiteralMap given, const core::ParameterMap& defaults,
                             const core::LiteralMap& fixed);

// A new execution name: 20 lowercase letters and digits, starting with a letter.
std::string NewExecutionId();

// flyteadmin's rule for an execution name a user gives (what Kubernetes
// accepts as an object name): 1-63 lower-case letters, digits and '-',
// starting with a letter. A name keeps to its folder of the data directory.
Status CheckExecutionName(const std::string& name);

// The result of a stored execution.
Result<ExecutionResult> StoredResult(store::Store& store, const std::string& execution_id);

}  // namespace flytecpp::engine
