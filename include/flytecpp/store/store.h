// Durable execution state: executions, node executions, events, signals,
// leases and registered entities, in SQLite (WAL) under a store directory or
// in PostgreSQL (several servers sharing work), with literal data (inputs.pb / outputs.pb /
// error.pb) named as Flyte lays out its metadata store (data_dir.h): small data in the
// database, in the same transaction as the rows that point to it; data above
// kInlineDataMaxBytes in files of a data directory, as Flyte offloads large literals.
//
// Thread safety: a Store object is used by one thread at a time (an engine
// uses it from its event loop only). Several Store objects, in one process or
// in many, may open the same directory (or database): the database
// serialises their writes, and leases say which engine runs which execution.
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
#include "flyteidl/core/types.pb.h"

namespace flytecpp::store {

namespace core = flyteidl::core;

// How hard a commit pushes the database to disk. Literal data files are
// written without fsync at every level: a crash can lose the data of
// attempts recorded as finished in the last moments before it, which the
// engine then runs again (see data_dir.h).
enum class Durability {
  kFull,    // fsync every commit: the database survives power loss
  kNormal,  // WAL, fsync at checkpoints: survives process crashes (default)
  kOff,     // no syncing: tests and benchmarks
};

struct ExecutionRecord {
  std::string id;             // execution name, unique in the store
  std::string workflow_name;  // primary workflow name
  core::WorkflowExecution::Phase phase = core::WorkflowExecution::UNDEFINED;
  core::CompiledWorkflowClosure closure;  // written once, with the first row
  // Literal maps are shared, never copied, on their way to the store (an
  // array's may hold millions of literals). Null = none (or not read).
  std::shared_ptr<const core::LiteralMap> inputs;  // written once, with the first row
  std::shared_ptr<const core::LiteralMap> outputs;
  std::optional<core::ExecutionError> error;
  std::string parent;       // parent execution (launch-plan children), else empty
  std::string root;         // the top-level execution whose lease covers this one
  int max_parallelism = 0;  // task attempts in flight at once; 0 = no limit
  bool overwrite_cache = false;
  // Created through the server: its project, domain and admin.ExecutionSpec
  // (serialized). Written once, with the first row.
  std::string project, domain, spec;
  int64_t created_ns = 0;
  int64_t updated_ns = 0;
  // Read-only here: written by the lease calls below.
  std::string owner;  // the engine that holds (or last held) the lease
  int64_t lease_expires_ns = 0;
};

// One node execution. `path` names the node within its execution: top-level
// `n0`, nested `n1/n0` (sub-workflow children), branch cases `n2-n0`.
// (execution_id, path) identifies it.
struct NodeRecord {
  std::string execution_id;
  std::string path;
  core::NodeExecution::Phase phase = core::NodeExecution::UNDEFINED;
  int attempts = 0;         // attempts that ended and were retried; the current one is `attempts`
  int system_failures = 0;  // of those, system failures
  std::optional<core::ExecutionError> error;
  int64_t queued_ns = 0;           // first queued (the active deadline counts from here)
  int64_t attempt_started_ns = 0;  // the current attempt's start; 0 = not started
  std::string runtime;             // the current attempt's runtime
  std::string handle;              // and its external handle (pid, job id), once known
  int64_t updated_ns = 0;
};

// One element of an array node: (execution_id, path, index) identifies it.
// Elements not started have no row.
struct ElementRecord {
  std::string execution_id;
  std::string path;  // the array node's
  int64_t index = 0;
  core::NodeExecution::Phase phase = core::NodeExecution::UNDEFINED;
  int attempts = 0;  // as NodeRecord
  int system_failures = 0;
  std::optional<core::ExecutionError> error;
  std::optional<core::LiteralMap> outputs;  // succeeded elements: kept here, not in files
  int64_t attempt_started_ns = 0;
  std::string runtime;
  std::string handle;
  int64_t updated_ns = 0;
};

// A cached task result (the catalog, flyte-executor.md §5): the outputs of
// a discoverable task for one cache key (include/flytecpp/engine/cache.h).
struct CacheEntry {
  std::string key;   // "<dataset>:<tag>"
  std::string task;  // the task's name (its version is not part of the key)
  std::shared_ptr<const core::LiteralMap> outputs;  // null when listed
  int64_t size_bytes = 0;                           // of the serialized outputs
  int64_t created_ns = 0;
  int64_t used_ns = 0;  // last written or hit
  // What produced it.
  std::string source_execution;
  std::string source_node;
  int source_attempt = 0;
};

// Serialized literal data of an execution, under its data_dir.h key (e.g.
// "n1/data/inputs.pb"). Data larger than this lives in files instead: a
// file per node costs more than a row (inodes, directories, a second place
// to keep consistent) until the data is large.
constexpr size_t kInlineDataMaxBytes = 64 * 1024;

struct DataRecord {
  std::string execution_id;
  std::string key;
  std::string value;
};

enum class EventKind { kWorkflow = 1, kNode = 2, kTask = 3 };

struct EventRecord {
  int64_t seq = 0;  // assigned by the store, increasing
  std::string execution_id;
  EventKind kind = EventKind::kWorkflow;
  std::string node_path;  // empty for workflow events
  std::string payload;    // serialized flyteidl.event.*ExecutionEvent
};

// A signal of an execution (gate nodes wait for them). Upserts keep what the
// new row leaves unset: a gate records the type it waits for, a sender the
// value (with who sent it and why).
struct SignalRecord {
  std::string execution_id;
  std::string signal_id;
  std::optional<core::LiteralType> type;
  std::optional<core::Literal> value;
  std::string origin;  // who set the value, e.g. "alice@host (flytecpp reject)"
  std::string note;    // why, e.g. a rejection's reason
  int64_t updated_ns = 0;
};

// An entity registered with the server (flyteadmin's tasks, workflows and
// launch plans tables): its spec as given, its closure as compiled. Versions
// are immutable: once registered, (type, project, domain, name, version,
// org) keeps its spec.
struct RegisteredEntity {
  core::Identifier id;  // resource_type says which table
  std::string spec;     // admin TaskSpec / WorkflowSpec / LaunchPlanSpec, serialized
  std::string closure;  // admin TaskClosure / WorkflowClosure / LaunchPlanClosure, serialized
  int64_t created_ns = 0;
  int64_t updated_ns = 0;
  int state = 0;  // launch plans: admin::LaunchPlanState (ACTIVE = 1)
};

// Which registered entities to list: of one type, in a project and domain,
// optionally of one name; newest first unless sorted otherwise; a page.
struct EntityQuery {
  int resource_type = 0;
  std::string project, domain, name, org;
  std::optional<int> state;             // launch plans in this state only
  std::string sort_key = "created_at";  // created_at, name, version, updated_at
  bool ascending = false;
  int limit = 100;
  int offset = 0;
};

// The scheduler's state of one active launch plan's schedule
// (admin/scheduler.h). A launch plan activated again after a pause starts
// a new state: slots of the pause are not fired.
struct ScheduleRecord {
  std::string launch_plan;   // the launch plan's identifier (idl::IdentifierString)
  int64_t activated_ns = 0;  // the activation this state belongs to
  int64_t cursor_ns = 0;     // the last slot handled (fired or passed over)
  // Which scheduler fires it (and until when, unless it renews).
  std::string owner;
  int64_t lease_expires_ns = 0;
};

// A schedule's slot fired by the execution created in the same batch.
struct ScheduleMark {
  std::string launch_plan;
  int64_t slot_ns = 0;
};

// An execution of the API reached a terminal phase: what its notifications
// and the server's webhooks are told of (admin/notifier.h). Written with
// the phase change; expanded once into deliveries.
struct Notice {
  std::string execution_id;
  int phase = 0;  // core::WorkflowExecution::Phase
  int64_t created_ns = 0;
};

// One message to send: an email (payload: a serialized admin.EmailMessage)
// or a webhook's POST (payload: its JSON body; target: the webhook's name).
// Sent at least once: retried with back-off until it is delivered or has
// failed for good.
struct Delivery {
  enum State { kPending = 0, kDelivered = 1, kFailed = 2 };
  int64_t id = 0;  // given by the store
  std::string execution_id;
  int phase = 0;
  std::string channel;  // "email" or "webhook"
  std::string target;   // the recipients, or the webhook's name
  std::string payload;
  State state = kPending;
  int attempts = 0;
  int64_t next_ns = 0;  // when it is tried (again)
  std::string last_error;
  int64_t created_ns = 0, updated_ns = 0;
};

// Changes applied together, in one transaction.
struct Batch {
  // The engine writing: rows of executions held by another owner make the
  // whole commit fail (Aborted, "lease lost"), and new executions are
  // recorded as `owner`'s until `lease_expires_ns`. Empty: no check.
  std::string owner;
  int64_t lease_expires_ns = 0;
  std::vector<ExecutionRecord> executions;  // upserts (closure/inputs written on insert)
  std::vector<NodeRecord> nodes;            // upserts, by (execution_id, path)
  std::vector<EventRecord> events;          // appends
  std::vector<ElementRecord> elements;      // upserts, by (execution_id, path, index)
  std::vector<SignalRecord> signals;        // upserts, by (execution_id, signal_id); not fenced
  std::vector<CacheEntry> cache_puts;       // upserts, by key
  std::vector<std::string> cache_hits;      // keys whose used_ns becomes the batch's `now_ns`
  // Cache reservations ended: (key, holder); a reservation held by another is kept.
  std::vector<std::pair<std::string, std::string>> cache_releases;
  std::vector<DataRecord> data;  // upserts, by (execution_id, key)
  // Schedule cursors moved forward (never back) to these slots.
  std::vector<ScheduleMark> schedule_marks;
  // Notices of terminal phases (one per execution and phase: again, nothing).
  std::vector<Notice> notices;
  int64_t now_ns = 0;
  bool empty() const {
    return executions.empty() && nodes.empty() && events.empty() && signals.empty() &&
           elements.empty() && cache_puts.empty() && cache_hits.empty() && cache_releases.empty() &&
           schedule_marks.empty() && data.empty();
  }
};

// The store has five roles, each an interface of its own, so that a reader
// may ask for the one it needs (and a test may stand in for one): the
// execution log (with its leases), the registry, the cache, the schedules
// and the notifications. One database holds them all: what the Open
// functions below return is a Store, all of them.

// Executions as the engine records them, the leases saying which engine
// runs which, and requests to the engine holding one.
class ExecutionLog {
 public:
  virtual ~ExecutionLog() = default;

  // Applies `batch` atomically: all of it or, on error, nothing.
  virtual Status Commit(const Batch& batch) = 0;

  virtual Result<ExecutionRecord> GetExecution(const std::string& id) = 0;
  virtual Result<std::vector<ExecutionRecord>> ListExecutions() = 0;  // newest first, no closures
  virtual Result<std::vector<NodeRecord>> GetNodes(const std::string& execution_id) = 0;
  virtual Result<std::vector<EventRecord>> GetEvents(const std::string& execution_id) = 0;
  virtual Result<std::vector<SignalRecord>> GetSignals(const std::string& execution_id) = 0;
  // The elements of array node `path`, by index; with `phase`, those in it only.
  virtual Result<std::vector<ElementRecord>> GetElements(
      const std::string& execution_id, const std::string& path,
      std::optional<core::NodeExecution::Phase> phase = std::nullopt) = 0;

  // Literal data committed with a batch; nullopt when there is none under
  // `key` (it may live in a file: see ReadData in data_dir.h).
  virtual Result<std::optional<std::string>> GetData(const std::string& execution_id,
                                                     const std::string& key) = 0;

  // ---- Leases: which engine runs which execution. A lease covers a
  // top-level execution and every child recorded under it (same root).

  // Takes the lease on top-level execution `id` for `owner` until
  // `expires_ns`, if nobody holds it, its holder's time ran out before
  // `now_ns`, `owner` holds it already, or its holder is `dead_holder` (an
  // engine the caller knows to be dead). Otherwise FailedPrecondition
  // naming the holder and when its lease ends; NotFound if there is no such
  // execution.
  virtual Status AcquireLease(const std::string& id, const std::string& owner, int64_t now_ns,
                              int64_t expires_ns, const std::string& dead_holder = "") = 0;
  // Extends every lease `owner` holds on an unfinished execution to
  // `expires_ns`. Returns the ids of the top-level executions it still holds.
  virtual Result<std::vector<std::string>> RenewLeases(const std::string& owner,
                                                       int64_t expires_ns) = 0;
  // Ends `owner`'s lease on `id` (and its children) now, if it holds it.
  virtual Status ReleaseLease(const std::string& id, const std::string& owner) = 0;
  // Unfinished top-level executions (without closures and inputs), with
  // their lease holders, oldest first.
  virtual Result<std::vector<ExecutionRecord>> ListUnfinished() = 0;

  // ---- Requests from other processes to the engine holding an execution.

  // Asks whoever runs top-level execution `id` to abort it.
  virtual Status RequestAbort(const std::string& id) = 0;
  // Unfinished executions held by `owner` whose abort was requested.
  virtual Result<std::vector<std::string>> AbortRequests(const std::string& owner) = 0;

  // Where literal data lives (absolute).
  virtual const std::filesystem::path& data_dir() const = 0;
};

// The registry: tasks, workflows and launch plans (flyteadmin's tables),
// registered through the API or by a local run (registry_rows.h).
class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // RegisterEntity inserts `entity` unless its id is taken; either way it
  // returns what is registered under the id, and whether this call
  // registered it.
  virtual Result<std::pair<RegisteredEntity, bool>> RegisterEntity(
      const RegisteredEntity& entity) = 0;
  virtual Result<std::optional<RegisteredEntity>> GetRegistered(const core::Identifier& id) = 0;
  virtual Result<std::vector<RegisteredEntity>> ListRegistered(const EntityQuery& query) = 0;
  // Launch plans: sets `id`'s state and closure (NotFound if unregistered).
  virtual Status UpdateRegistered(const core::Identifier& id, int state, const std::string& closure,
                                  int64_t now_ns) = 0;
};

// The cache (catalog): written with the log's batches (Batch::cache_puts),
// read and evicted here.
class CacheStore {
 public:
  virtual ~CacheStore() = default;

  // The entry for `key`, with its outputs; nullopt if there is none.
  virtual Result<std::optional<CacheEntry>> GetCacheEntry(const std::string& key) = 0;
  // Every entry, without outputs, most recently used first.
  virtual Result<std::vector<CacheEntry>> ListCache() = 0;
  // Removes the entry for `key`; NotFound if there is none.
  virtual Status RemoveCacheEntry(const std::string& key) = 0;
  // Evicts entries last used before `used_before_ns` (0: none on that
  // ground), then the least recently used until the rest fit in
  // `max_bytes` (negative: no limit). Returns what was evicted.
  virtual Result<std::vector<CacheEntry>> PruneCache(int64_t used_before_ns, int64_t max_bytes) = 0;
  // Reserves `key` for `holder` until `expires_ns` (cache_serializable:
  // identical work runs once). Granted if nobody holds it, the holder's
  // time ran out before `now_ns`, or `holder` holds it already (extended).
  // Returns who holds it afterwards.
  virtual Result<std::string> ReserveCache(const std::string& key, const std::string& holder,
                                           int64_t now_ns, int64_t expires_ns) = 0;
};

// Schedules: which launch plans fire, the last slot each fired, and which
// scheduler fires each (leases, so that servers sharing a database fire a
// slot once).
class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;

  // Every active launch plan, of every project and domain.
  virtual Result<std::vector<RegisteredEntity>> ActiveLaunchPlans() = 0;
  // In one transaction: makes sure each of `wanted` (launch plan,
  // activation, the cursor a new state starts with) has its state (a new
  // one when there is none or it is of an earlier activation), then takes
  // or renews `owner`'s lease until `expires_ns` on those nobody else holds
  // or whose holder's time ran out before `now_ns`. Returns the states of
  // `wanted` that `owner` holds.
  virtual Result<std::vector<ScheduleRecord>> LeaseSchedules(
      const std::vector<ScheduleRecord>& wanted, const std::string& owner, int64_t now_ns,
      int64_t expires_ns) = 0;
  // Every state kept, by launch plan.
  virtual Result<std::vector<ScheduleRecord>> ListSchedules() = 0;
  // Gives up every lease `owner` holds (a scheduler that stops, or one
  // known to be gone).
  virtual Status ReleaseSchedules(const std::string& owner) = 0;
  // Moves `launch_plan`'s cursor forward to `slot_ns` if `owner` holds it
  // (slots passed over, or fired by an execution that exists already).
  virtual Status AdvanceSchedule(const std::string& launch_plan, const std::string& owner,
                                 int64_t slot_ns) = 0;
};

// Notifications: the notices the engine writes, the deliveries they become,
// and their state (`flytecpp notifications ls`).
class NotificationStore {
 public:
  virtual ~NotificationStore() = default;

  // Notices not expanded yet, oldest first.
  virtual Result<std::vector<Notice>> PendingNotices(int limit) = 0;
  // In one transaction: marks `notice` expanded and adds `deliveries` (ids
  // and times are the store's). A notice expanded already (by another
  // server) adds nothing.
  virtual Status ExpandNotice(const Notice& notice, const std::vector<Delivery>& deliveries,
                              int64_t now_ns) = 0;
  // Pending deliveries due by `now_ns` that no one else has claimed (or
  // whose claim ran out), claimed for `owner` until `expires_ns`.
  virtual Result<std::vector<Delivery>> ClaimDeliveries(const std::string& owner, int64_t now_ns,
                                                        int64_t expires_ns, int limit) = 0;
  // Writes `d`'s state, attempts, next try and last error, and lets the
  // claim go.
  virtual Status UpdateDelivery(const Delivery& d, int64_t now_ns) = 0;
  // Every delivery, newest first.
  virtual Result<std::vector<Delivery>> ListDeliveries() = 0;
};

class Store : public ExecutionLog,
              public RegistryStore,
              public CacheStore,
              public ScheduleStore,
              public NotificationStore {};

// Opens (creating if needed) the store in `dir`: `dir/flytecpp.db` and
// `dir/data/`. A relative `dir` is made absolute first, so the data paths
// handed to sandboxed tasks resolve from anywhere. Stores of earlier
// flytecpp versions are migrated. Errors name the directory.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& dir,
                                               Durability durability = Durability::kNormal);

// A store in memory (an SQLite database of its own, never on disk): for
// programs that embed the engine as a typed DAG library and want nothing to
// outlive the Store object. Its executions cannot be resumed, and no other
// process can read it. Data above kInlineDataMaxBytes still goes to files
// under `data_dir` (required; created if missing).
Result<std::unique_ptr<Store>> OpenMemoryStore(const std::filesystem::path& data_dir);

// Opens the store on PostgreSQL: `conninfo` is a postgres:// URL or libpq's
// "host=... dbname=..." form; the tables are created if missing. Literal
// data lives under `data_dir` (required): servers that share the database
// share it too (one machine, or a shared file system). Errors name the
// server, never a password.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 const std::filesystem::path& data_dir);

// Whether `where` names a PostgreSQL database (postgres:// or postgresql://).
bool IsPostgresUrl(const std::string& where);
// `where` as messages may show it: a database's host, port and name (no
// password), else the directory.
std::string StoreDisplayName(const std::string& where);

// The store `where` names: a PostgreSQL URL (data under `data_dir`), else a
// directory (SQLite, with `durability`).
Result<std::unique_ptr<Store>> OpenStore(const std::string& where,
                                         const std::filesystem::path& data_dir,
                                         Durability durability = Durability::kNormal);

}  // namespace flytecpp::store
