// Execution state: mutable, per execution, owned by the engine's thread.
// Plans (plan.h) are immutable; everything that changes while a workflow
// runs lives here.
//
//   Execution   a top-level execution this engine holds the lease of
//     Scope     one running workflow: the execution's, a sub-workflow
//               instance, or a launch plan's child execution
//       NodeState  one per plan node
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/engine/engine.h"
#include "flytecpp/store/data_dir.h"
#include "plan.h"

namespace flytecpp::engine::internal {

using NodePhase = core::NodeExecution::Phase;
using WorkflowPhase = core::WorkflowExecution::Phase;

struct Scope;
struct Execution;

// An array node's elements: parallel vectors of a few bytes each, not an
// object per element, so that a million elements stay small (R49).
struct ArrayState {
  int64_t size = 0;
  int64_t min_successes = 0;
  int64_t window = 0;              // elements started and not ended, at most
  std::vector<uint8_t> phase;      // NodeExecution::Phase; UNDEFINED = not started
  std::vector<uint16_t> attempts;  // as NodeState::attempts
  std::vector<uint8_t> system_failures;
  // Outputs of succeeded elements, gathered as they come: per output
  // variable, a slot per element (null until it succeeds), handed over to
  // the output collections without a copy.
  std::map<std::string, std::vector<std::unique_ptr<core::Literal>>> outputs;
  std::map<int64_t, std::unique_ptr<Scope>> children;  // running sub-workflow elements
  int64_t next = 0;                                    // below it, every element has been started
  int64_t in_flight = 0;
  int64_t succeeded = 0, failed = 0;
  std::map<std::string, int64_t> errors;  // failed elements by error code, for the summary
  std::string first_error;                // the first failed element's, in full
  // Changed since the last commit: rows and event entries due.
  std::vector<int64_t> changed;
  std::map<int64_t, std::string> handles;                  // running elements' handles
  std::map<int64_t, int64_t> started_ns;                   // running elements' attempt start times
  std::map<int64_t, core::ExecutionError> element_errors;  // failed, until written
  uint32_t phase_version = 0;
  bool settling = false;  // being rebuilt on resume: no decisions yet
  // A runtime that runs_arrays gets elements in batches: the batch of each
  // element queued and not yet handed over, and each batch's size.
  struct Batch {
    int64_t size = 0, unsent = 0;
  };
  std::map<int64_t, int> batch_of;
  std::map<int, Batch> batch;
  int batches = 0;
};

// Mutable state of one node in one scope. UNDEFINED = not started.
struct NodeState {
  NodePhase phase = core::NodeExecution::UNDEFINED;
  int attempts = 0;         // attempts ended and retried; the current one is number `attempts`
  int system_failures = 0;  // of those, system failures
  int pending = 0;          // upstream nodes not finished yet
  int consumers = 0;        // bindings that will still read its outputs (PlanNode::consumers)
  bool upstream_failed = false;
  bool dirty = false;        // its row is written at the next commit
  bool interrupted = false;  // restored QUEUED/RUNNING: its work resumes, not starts
  bool aborting = false;     // being aborted: what it runs ends without reporting to it
  bool awaiting = false;     // a gate waiting for its signal
  bool inputs_file = false;  // its inputs.pb is a file (large, or a runtime reads it)
  std::shared_ptr<const core::LiteralMap> inputs;
  std::shared_ptr<const core::LiteralMap> outputs;
  std::optional<core::ExecutionError> error;
  int64_t queued_ns = 0;           // first queued: the active deadline counts from here
  int64_t attempt_started_ns = 0;  // the current attempt took its slot; 0 = not yet
  uint64_t token = 0;              // the attempt in flight or waiting for a slot
  runtime::Runtime* runtime = nullptr;
  std::string handle;            // the current attempt's external handle
  int taken = -1;                // branch: the case node running
  std::unique_ptr<Scope> child;  // sub-workflow or launch plan
  std::unique_ptr<ArrayState> array;
  // Discoverable tasks: the cache key of this run, what the cache said
  // (core::CatalogCacheStatus), and its reservation (cache_serializable).
  std::string cache_key;
  uint8_t cache_status = 0;
  bool cache_reserved = false;  // this node holds the key's reservation
  bool cache_waiting = false;   // another holds it: waiting QUEUED for its result
};

// One running workflow.
struct Scope {
  enum class State { kRunning, kFailing, kHandlingFailure, kDone };

  Execution* exec = nullptr;  // the top-level execution this scope belongs to
  uint64_t serial = 0;        // unique in the engine: timers name scopes by it
  const Plan* plan = nullptr;
  std::unique_ptr<PlanSet> owned_plans;  // launch-plan children own theirs
  std::string execution_id;
  std::string prefix;  // node path prefix: "" or "<parent path>/"
  Scope* parent = nullptr;
  int parent_node = -1;
  int64_t array_element = -1;  // a sub-workflow element of array node parent_node
  bool is_execution = false;   // the top-level one or a launch-plan child: has its own record
  std::vector<NodeState> nodes;
  std::shared_ptr<const core::LiteralMap> inputs;
  State state = State::kRunning;
  WorkflowPhase phase = core::WorkflowExecution::UNDEFINED;
  std::optional<core::ExecutionError> error;
  std::string failed_node;
  store::DataDir data;
  int64_t started_ns = 0;
  // is_execution only: the record, and whether its first row (closure and
  // inputs) is in the store.
  store::ExecutionRecord record;
  bool recorded = false;
  bool record_dirty = false;

  Scope(const Plan* p, std::string id, std::string path_prefix,
        const std::filesystem::path& data_root)
      : plan(p),
        execution_id(std::move(id)),
        prefix(std::move(path_prefix)),
        data(data_root, execution_id) {}

  std::string Path(int node) const { return prefix + plan->nodes[node].id; }
};

// Replies to Wait: called on the engine's thread once the result is known.
using ResultCallback = std::function<void(Result<ExecutionResult>)>;

// A top-level execution held by this engine, with its launch-plan children.
struct Execution {
  std::string id;
  std::unique_ptr<PlanSet> plans;
  std::unique_ptr<Scope> root;
  // Attempts in flight or in a runtime's queue, against max_parallelism
  // (0 = no limit); attempts beyond it wait in `held`.
  int max_parallelism = 0;
  int in_flight = 0;
  std::deque<uint64_t> held;
  std::vector<ResultCallback> waiters;
  // Replies to WaitUntilBlocked: once nothing of it runs or waits for a slot.
  std::vector<std::function<void(Result<std::optional<ExecutionResult>>)>> blocked_waiters;
  // Node rows read back for a resume, by execution id then path; cleared
  // once the first turn after the restore is committed.
  std::map<std::string, std::map<std::string, store::NodeRecord>> restored;
  bool overwrite_cache = false;  // run discoverable tasks again and replace their entries
  // Recovering from this execution: its node rows, by path (read once).
  std::string recover_from;
  // A scheduled slot this execution fires: recorded with its first row.
  std::optional<store::ScheduleMark> schedule_mark;
  std::optional<std::map<std::string, store::NodeRecord>> recover_rows;
  bool finished = false;  // the root scope is done; freed after the commit that records it
  bool dropped = false;   // the lease was lost, or the engine stops: nothing more is written
  Status drop_reason;     // why, for whoever waits
};

}  // namespace flytecpp::engine::internal
