// Durable execution state: executions, node executions, events and
// registered entities, in SQLite (WAL) under a store directory, with literal
// data (inputs.pb / outputs.pb / error.pb) in a data directory laid out as
// Flyte lays out its metadata store.
//
// Thread safety: a Store is used by one thread (the engine's event loop).
// Writes go through Commit(batch): one transaction per batch (group commit).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/execution.pb.h"
#include "flyteidl/core/literals.pb.h"

namespace flytecpp::store {

namespace core = flyteidl::core;

// How hard a commit pushes data to disk.
enum class Durability {
  kFull,    // fsync every commit: survives power loss
  kNormal,  // WAL, fsync at checkpoints: survives process crashes (default)
  kOff,     // no syncing: tests and benchmarks
};

struct ExecutionRecord {
  std::string id;             // execution name, unique in the store
  std::string workflow_name;  // primary workflow name
  core::WorkflowExecution::Phase phase = core::WorkflowExecution::UNDEFINED;
  core::CompiledWorkflowClosure closure;
  core::LiteralMap inputs;
  std::optional<core::LiteralMap> outputs;
  std::optional<core::ExecutionError> error;
  std::string parent;  // parent execution id (launch-plan children), else empty
  int64_t created_ns = 0;
  int64_t updated_ns = 0;
};

// One node execution. `path` names the node within the execution:
// top-level `n0`, nested `n1/n0` (sub-workflow children), branch cases `n2-n0`.
struct NodeRecord {
  std::string execution_id;
  std::string path;
  core::NodeExecution::Phase phase = core::NodeExecution::UNDEFINED;
  int attempts = 0;         // finished attempts that were retried
  int system_failures = 0;  // of those, system failures
  std::optional<core::ExecutionError> error;
  int64_t started_ns = 0;
  int64_t updated_ns = 0;
};

enum class EventKind { kWorkflow = 1, kNode = 2, kTask = 3 };

struct EventRecord {
  int64_t seq = 0;  // assigned by the store, increasing
  std::string execution_id;
  EventKind kind = EventKind::kWorkflow;
  std::string node_path;  // empty for workflow events
  std::string payload;    // serialized flyteidl.event.*ExecutionEvent
};

// Changes applied together, in one transaction.
struct Batch {
  std::vector<ExecutionRecord> executions;  // upserts (closure/inputs written on insert)
  std::vector<NodeRecord> nodes;            // upserts
  std::vector<EventRecord> events;          // appends
  bool empty() const { return executions.empty() && nodes.empty() && events.empty(); }
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Status Commit(const Batch& batch) = 0;
  virtual Result<ExecutionRecord> GetExecution(const std::string& id) = 0;
  virtual Result<std::vector<ExecutionRecord>> ListExecutions() = 0;  // newest first, no closures
  virtual Result<std::vector<NodeRecord>> GetNodes(const std::string& execution_id) = 0;
  virtual Result<std::vector<EventRecord>> GetEvents(const std::string& execution_id) = 0;
  // Registered entities (tasks, workflows, launch plans) by identifier text.
  virtual Status PutEntity(const std::string& key, int resource_type, const std::string& spec) = 0;
  virtual Result<std::optional<std::string>> GetEntity(const std::string& key) = 0;
  // Cross-process control of a running execution: `flytecpp abort` asks, the
  // engine running it polls; the owner is the pid of that engine's process.
  virtual Status RequestAbort(const std::string& execution_id) = 0;
  virtual Result<bool> AbortRequested(const std::string& execution_id) = 0;
  virtual Status SetOwner(const std::string& execution_id, int64_t pid) = 0;
  virtual Result<int64_t> Owner(const std::string& execution_id) = 0;
  // Where literal data lives.
  virtual const std::filesystem::path& data_dir() const = 0;
};

// Opens (creating if needed) the store in `dir`: `dir/flytecpp.db` and
// `dir/data/`. Errors name the directory.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& dir,
                                               Durability durability = Durability::kNormal);

// $FLYTECPP_HOME, else ~/.flytecpp.
std::filesystem::path DefaultStoreDir();

}  // namespace flytecpp::store
