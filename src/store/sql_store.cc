// The store over SQL: one implementation for SQLite and PostgreSQL
// (sql_db.h). Schema (version 6; one row per thing, protobuf blobs where
// Flyte has a message):
//
//   executions(id PK, workflow, phase, parent, root, closure, inputs, outputs,
//              error, max_parallelism, overwrite_cache, project, domain, spec,
//              created_ns, updated_ns, owner, lease_expires_ns, abort_requested)
//   nodes(execution_id, path, phase, attempts, system_failures, error,
//         started_ns = first queued, attempt_started_ns, runtime, handle,
//         updated_ns, PK(execution_id, path))
//   elements(execution_id, path, idx, phase, attempts, system_failures, error,
//            outputs, attempt_started_ns, runtime, handle, updated_ns,
//            PK(execution_id, path, idx))
//   events(seq PK increasing, execution_id, kind, node_path, payload)
//   signals(execution_id, signal_id, type, value, origin, note, updated_ns,
//           PK(execution_id, signal_id))
//   cache(key PK, ...), cache_reservations(key PK, holder, expires_ns)
//   registry(resource_type, project, domain, name, version, org, spec,
//            closure, state, created_ns, updated_ns, PK(the id))
//
// A lease is (owner, lease_expires_ns) on every row of one root. Commits are
// fenced: a batch touching an execution another owner holds is rolled back.
// Reads that decide a write lock their rows (FOR UPDATE on PostgreSQL; SQLite
// write transactions exclude each other anyway).
//
// Every database error becomes a Status here, with the statement's purpose
// and where the database is.
#include "sql_store.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/store/store.h"
#include "sql_db.h"

namespace flytecpp::store {

namespace {

// The phases of a finished execution, as an SQL list.
const std::string& TerminalPhases() {
  static const std::string list = [] {
    std::string out;
    for (auto p : idl::kTerminalWorkflowPhases) {
      out += (out.empty() ? "(" : ", ") + std::to_string(p);
    }
    return out + ")";
  }();
  return list;
}

// A prepared statement, with the helpers the store's code reads best with.
class Statement {
 public:
  Statement(SqlDatabase* db, const std::string& sql) : stmt_(db->Prepare(sql)) {}

  bool ok() const { return stmt_ != nullptr; }
  void Reset() { stmt_->Reset(); }
  StepResult Step() { return stmt_->Step(); }
  int64_t Changes() { return stmt_->Changes(); }
  void Bind(int i, const std::string& s) { stmt_->BindBlob(i, s); }
  void BindText(int i, const std::string& s) { stmt_->BindText(i, s); }
  void Bind(int i, int64_t v) { stmt_->BindInt(i, v); }
  void BindNull(int i) { stmt_->BindNull(i); }
  template <typename M>
  void BindOptional(int i, const std::optional<M>& m) {
    if (m) {
      Bind(i, m->SerializeAsString());
    } else {
      BindNull(i);
    }
  }
  template <typename M>
  void BindOptional(int i, const std::shared_ptr<const M>& m) {
    if (m) {
      Bind(i, m->SerializeAsString());
    } else {
      BindNull(i);
    }
  }
  std::string Blob(int col) { return stmt_->Blob(col); }
  std::string Text(int col) { return stmt_->Text(col); }
  int64_t Int(int col) { return stmt_->Int(col); }
  bool IsNull(int col) { return stmt_->IsNull(col); }
  template <typename M>
  std::optional<M> Optional(int col) {
    if (IsNull(col)) return std::nullopt;
    M m;
    if (!m.ParseFromString(Blob(col))) return std::nullopt;
    return m;
  }

 private:
  std::unique_ptr<SqlStatement> stmt_;
};

std::string TimeText(int64_t ns) {
  const auto tp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
  const std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class SqlStore : public Store {
 public:
  SqlStore(std::unique_ptr<SqlDatabase> db, std::filesystem::path data_dir)
      : owned_db_(std::move(db)), db_(owned_db_.get()), data_dir_(std::move(data_dir)) {}
  ~SqlStore() override { cached_.clear(); }  // statements before their database

  Status Commit(const Batch& batch) override {
    if (batch.empty()) return Status::Ok();
    // A conflict with another server's transaction (PostgreSQL: deadlock,
    // serialization) is tried again: the batch is the same, the race is not.
    for (int attempt = 0;; ++attempt) {
      Status st = CommitOnce(batch);
      if (st.ok() || attempt == 4 || !retryable_) return st;
    }
  }

  Result<ExecutionRecord> GetExecution(const std::string& id) override {
    Statement s(
        db_,
        std::string("SELECT " + ExecutionColumns(true) + " FROM executions WHERE id = ?").c_str());
    if (!s.ok()) return Error("read execution");
    s.BindText(1, id);
    StepResult rc = s.Step();
    if (rc == StepResult::kDone) return NotFound("no execution \"" + id + "\" in " + db_->where());
    if (rc != StepResult::kRow) return Error("read execution");
    return RowToExecution(s, /*with_blobs=*/true);
  }

  Result<std::vector<ExecutionRecord>> ListExecutions() override {
    Statement s(db_, std::string("SELECT " + ExecutionColumns(false) +
                                 " FROM executions ORDER BY created_ns DESC, id")
                         .c_str());
    return ReadAll<ExecutionRecord>(s, "list executions",
                                    [this](Statement& r) { return RowToExecution(r, false); });
  }

  Result<std::vector<NodeRecord>> GetNodes(const std::string& execution_id) override {
    Statement s(db_,
                "SELECT execution_id, path, phase, attempts, system_failures, error, started_ns, "
                "attempt_started_ns, runtime, handle, updated_ns FROM nodes "
                "WHERE execution_id = ? ORDER BY started_ns, path");
    s.BindText(1, execution_id);
    return ReadAll<NodeRecord>(s, "read nodes", [](Statement& s) {
      NodeRecord n;
      n.execution_id = s.Text(0);
      n.path = s.Text(1);
      n.phase = static_cast<core::NodeExecution::Phase>(s.Int(2));
      n.attempts = static_cast<int>(s.Int(3));
      n.system_failures = static_cast<int>(s.Int(4));
      n.error = s.Optional<core::ExecutionError>(5);
      n.queued_ns = s.Int(6);
      n.attempt_started_ns = s.Int(7);
      n.runtime = s.Text(8);
      n.handle = s.Text(9);
      n.updated_ns = s.Int(10);
      return n;
    });
  }

  Result<std::vector<EventRecord>> GetEvents(const std::string& execution_id) override {
    Statement s(db_,
                "SELECT seq, execution_id, kind, node_path, payload FROM events "
                "WHERE execution_id = ? ORDER BY seq");
    s.BindText(1, execution_id);
    return ReadAll<EventRecord>(s, "read events", [](Statement& s) {
      EventRecord e;
      e.seq = s.Int(0);
      e.execution_id = s.Text(1);
      e.kind = static_cast<EventKind>(s.Int(2));
      e.node_path = s.Text(3);
      e.payload = s.Blob(4);
      return e;
    });
  }

  Result<std::vector<SignalRecord>> GetSignals(const std::string& execution_id) override {
    Statement s(
        db_,
        "SELECT execution_id, signal_id, type, value, origin, note, updated_ns FROM signals "
        "WHERE execution_id = ? ORDER BY signal_id");
    s.BindText(1, execution_id);
    return ReadAll<SignalRecord>(s, "read signals", [](Statement& s) {
      SignalRecord r;
      r.execution_id = s.Text(0);
      r.signal_id = s.Text(1);
      r.type = s.Optional<core::LiteralType>(2);
      r.value = s.Optional<core::Literal>(3);
      r.origin = s.Text(4);
      r.note = s.Text(5);
      r.updated_ns = s.Int(6);
      return r;
    });
  }

  Result<std::vector<ElementRecord>> GetElements(
      const std::string& execution_id, const std::string& path,
      std::optional<core::NodeExecution::Phase> phase) override {
    Statement s(db_,
                "SELECT execution_id, path, idx, phase, attempts, system_failures, error, outputs, "
                "attempt_started_ns, runtime, handle, updated_ns FROM elements "
                "WHERE execution_id = ? AND path = ? AND (CAST(? AS BIGINT) < 0 OR phase = ?) "
                "ORDER BY idx");
    s.BindText(1, execution_id);
    s.BindText(2, path);
    s.Bind(3, phase ? static_cast<int64_t>(*phase) : int64_t{-1});
    s.Bind(4, phase ? static_cast<int64_t>(*phase) : int64_t{-1});
    return ReadAll<ElementRecord>(s, "read elements", [](Statement& s) {
      ElementRecord e;
      e.execution_id = s.Text(0);
      e.path = s.Text(1);
      e.index = s.Int(2);
      e.phase = static_cast<core::NodeExecution::Phase>(s.Int(3));
      e.attempts = static_cast<int>(s.Int(4));
      e.system_failures = static_cast<int>(s.Int(5));
      e.error = s.Optional<core::ExecutionError>(6);
      e.outputs = s.Optional<core::LiteralMap>(7);
      e.attempt_started_ns = s.Int(8);
      e.runtime = s.Text(9);
      e.handle = s.Text(10);
      e.updated_ns = s.Int(11);
      return e;
    });
  }

  Result<std::optional<std::string>> GetData(const std::string& execution_id,
                                             const std::string& key) override {
    Statement& s = Cached("SELECT value FROM data WHERE execution_id = ? AND key = ?");
    if (!s.ok()) return Error("read data");
    s.BindText(1, execution_id);
    s.BindText(2, key);
    const StepResult rc = s.Step();
    std::optional<std::string> value;
    if (rc == StepResult::kRow) value = s.Blob(0);
    s.Reset();  // at once: a statement left on a row holds its read snapshot
    if (rc != StepResult::kRow && rc != StepResult::kDone) return Error("read data");
    return value;
  }

  static constexpr const char* kRegistryColumns =
      "resource_type, project, domain, name, version, org, spec, closure, state, created_ns, "
      "updated_ns";

  static RegisteredEntity RowToRegistered(Statement& s) {
    RegisteredEntity e;
    e.id.set_resource_type(static_cast<core::ResourceType>(s.Int(0)));
    e.id.set_project(s.Text(1));
    e.id.set_domain(s.Text(2));
    e.id.set_name(s.Text(3));
    e.id.set_version(s.Text(4));
    e.id.set_org(s.Text(5));
    e.spec = s.Blob(6);
    e.closure = s.Blob(7);
    e.state = static_cast<int>(s.Int(8));
    e.created_ns = s.Int(9);
    e.updated_ns = s.Int(10);
    return e;
  }

  static void BindId(Statement& s, int first, const core::Identifier& id) {
    s.Bind(first, static_cast<int64_t>(id.resource_type()));
    s.BindText(first + 1, id.project());
    s.BindText(first + 2, id.domain());
    s.BindText(first + 3, id.name());
    s.BindText(first + 4, id.version());
    s.BindText(first + 5, id.org());
  }

  Result<std::pair<RegisteredEntity, bool>> RegisterEntity(const RegisteredEntity& e) override {
    bool inserted = false;
    {
      Statement s(db_,
                  "INSERT INTO registry(resource_type, project, domain, name, version, org, "
                  "spec, closure, state, created_ns, updated_ns) "
                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
      if (!s.ok()) return Error("register");
      BindId(s, 1, e.id);
      s.Bind(7, e.spec);
      s.Bind(8, e.closure);
      s.Bind(9, static_cast<int64_t>(e.state));
      s.Bind(10, e.created_ns);
      s.Bind(11, e.updated_ns);
      FLYTECPP_RETURN_IF_ERROR(Step(s, "register"));
      inserted = s.Changes() > 0;
    }
    FLYTECPP_ASSIGN_OR_RETURN(std::optional<RegisteredEntity> now, GetRegistered(e.id));
    if (!now) return Internal("register: the entity vanished");
    return std::make_pair(std::move(*now), inserted);
  }

  Result<std::optional<RegisteredEntity>> GetRegistered(const core::Identifier& id) override {
    Statement s(db_, ("SELECT " + std::string(kRegistryColumns) +
                      " FROM registry WHERE resource_type = ? AND project = ? AND domain = ? "
                      "AND name = ? AND version = ? AND org = ?")
                         .c_str());
    if (!s.ok()) return Error("read registry");
    BindId(s, 1, id);
    const StepResult rc = s.Step();
    if (rc == StepResult::kDone) return std::optional<RegisteredEntity>();
    if (rc != StepResult::kRow) return Error("read registry");
    return std::optional<RegisteredEntity>(RowToRegistered(s));
  }

  Result<std::vector<RegisteredEntity>> ListRegistered(const EntityQuery& q) override {
    static const std::map<std::string, std::string> kSortable = {{"created_at", "created_ns"},
                                                                 {"updated_at", "updated_ns"},
                                                                 {"name", "name"},
                                                                 {"version", "version"}};
    auto column = kSortable.find(q.sort_key);
    if (column == kSortable.end()) {
      return InvalidArgument("cannot sort by \"" + q.sort_key +
                             "\" (created_at, updated_at, name, version)");
    }
    std::string sql = "SELECT " + std::string(kRegistryColumns) +
                      " FROM registry WHERE resource_type = ? AND project = ? AND domain = ? "
                      "AND org = ?";
    if (!q.name.empty()) sql += " AND name = ?";
    if (q.state) sql += " AND state = ?";
    sql += " ORDER BY " + column->second + (q.ascending ? " ASC" : " DESC") +
           ", name, version LIMIT ? OFFSET ?";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return Error("list registry");
    int i = 1;
    s.Bind(i++, static_cast<int64_t>(q.resource_type));
    s.BindText(i++, q.project);
    s.BindText(i++, q.domain);
    s.BindText(i++, q.org);
    if (!q.name.empty()) s.BindText(i++, q.name);
    if (q.state) s.Bind(i++, static_cast<int64_t>(*q.state));
    s.Bind(i++, static_cast<int64_t>(q.limit));
    s.Bind(i++, static_cast<int64_t>(q.offset));
    std::vector<RegisteredEntity> out;
    StepResult rc;
    while ((rc = s.Step()) == StepResult::kRow) out.push_back(RowToRegistered(s));
    if (rc != StepResult::kDone) return Error("list registry");
    return out;
  }

  // ---- Notifications.

  Result<std::vector<Notice>> PendingNotices(int limit) override {
    Statement s(db_,
                "SELECT execution_id, phase, created_ns FROM outbox WHERE expanded = 0 "
                "ORDER BY created_ns, execution_id LIMIT ?");
    s.Bind(1, static_cast<int64_t>(limit));
    return ReadAll<Notice>(s, "read notices", [](Statement& r) {
      Notice n;
      n.execution_id = r.Text(0);
      n.phase = static_cast<int>(r.Int(1));
      n.created_ns = r.Int(2);
      return n;
    });
  }

  Status ExpandNotice(const Notice& notice, const std::vector<Delivery>& deliveries,
                      int64_t now_ns) override {
    FLYTECPP_RETURN_IF_ERROR(Run(Cached(db_->BeginWrite()), "begin transaction"));
    Status st = [&]() -> Status {
      Statement mark(db_,
                     "UPDATE outbox SET expanded = 1 WHERE execution_id = ? AND phase = ? AND "
                     "expanded = 0");
      if (!mark.ok()) return Error("expand notice");
      mark.BindText(1, notice.execution_id);
      mark.Bind(2, static_cast<int64_t>(notice.phase));
      FLYTECPP_RETURN_IF_ERROR(Step(mark, "expand notice"));
      if (mark.Changes() == 0) return Status::Ok();  // expanded by another server
      Statement add(db_, R"(
        INSERT INTO deliveries(execution_id, phase, channel, target, payload, state, attempts,
                               next_ns, last_error, owner, lease_expires_ns, created_ns,
                               updated_ns)
        VALUES(?, ?, ?, ?, ?, 0, 0, ?, '', '', 0, ?, ?))");
      if (!add.ok()) return Error("add delivery");
      for (const auto& d : deliveries) {
        add.Reset();
        add.BindText(1, d.execution_id);
        add.Bind(2, static_cast<int64_t>(d.phase));
        add.BindText(3, d.channel);
        add.BindText(4, d.target);
        add.Bind(5, d.payload);
        add.Bind(6, now_ns);
        add.Bind(7, now_ns);
        add.Bind(8, now_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(add, "add delivery"));
      }
      return Status::Ok();
    }();
    if (!st.ok()) {
      (void)db_->Exec("ROLLBACK");
      return st;
    }
    return Run(Cached("COMMIT"), "commit");
  }

  static constexpr const char* kDeliveryColumns =
      "id, execution_id, phase, channel, target, payload, state, attempts, next_ns, last_error, "
      "created_ns, updated_ns";

  static Delivery RowToDelivery(Statement& r) {
    Delivery d;
    d.id = r.Int(0);
    d.execution_id = r.Text(1);
    d.phase = static_cast<int>(r.Int(2));
    d.channel = r.Text(3);
    d.target = r.Text(4);
    d.payload = r.Blob(5);
    d.state = static_cast<Delivery::State>(r.Int(6));
    d.attempts = static_cast<int>(r.Int(7));
    d.next_ns = r.Int(8);
    d.last_error = r.Text(9);
    d.created_ns = r.Int(10);
    d.updated_ns = r.Int(11);
    return d;
  }

  Result<std::vector<Delivery>> ClaimDeliveries(const std::string& owner, int64_t now_ns,
                                                int64_t expires_ns, int limit) override {
    FLYTECPP_RETURN_IF_ERROR(Run(Cached(db_->BeginWrite()), "begin transaction"));
    auto claimed = [&]() -> Result<std::vector<Delivery>> {
      Statement due(db_, (std::string("SELECT id FROM deliveries WHERE state = 0 AND next_ns <= ? "
                                      "AND (owner = '' OR owner = ? OR lease_expires_ns < ?) "
                                      "ORDER BY next_ns, id LIMIT ?") +
                          db_->ForUpdate())
                             .c_str());
      due.Bind(1, now_ns);
      due.BindText(2, owner);
      due.Bind(3, now_ns);
      due.Bind(4, static_cast<int64_t>(limit));
      FLYTECPP_ASSIGN_OR_RETURN(
          std::vector<int64_t> ids,
          ReadAll<int64_t>(due, "claim deliveries", [](Statement& r) { return r.Int(0); }));
      Statement take(db_, "UPDATE deliveries SET owner = ?, lease_expires_ns = ? WHERE id = ?");
      Statement read(
          db_,
          (std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE id = ?").c_str());
      if (!take.ok() || !read.ok()) return Error("claim deliveries");
      std::vector<Delivery> out;
      for (int64_t id : ids) {
        take.Reset();
        take.BindText(1, owner);
        take.Bind(2, expires_ns);
        take.Bind(3, id);
        FLYTECPP_RETURN_IF_ERROR(Step(take, "claim deliveries"));
        read.Reset();
        read.Bind(1, id);
        if (read.Step() != StepResult::kRow) return Error("claim deliveries");
        out.push_back(RowToDelivery(read));
        read.Reset();
      }
      return out;
    }();
    if (!claimed.ok()) {
      (void)db_->Exec("ROLLBACK");
      return claimed.status();
    }
    FLYTECPP_RETURN_IF_ERROR(Run(Cached("COMMIT"), "commit"));
    return claimed;
  }

  Status UpdateDelivery(const Delivery& d, int64_t now_ns) override {
    Statement s(db_,
                "UPDATE deliveries SET state = ?, attempts = ?, next_ns = ?, last_error = ?, "
                "owner = '', lease_expires_ns = 0, updated_ns = ? WHERE id = ?");
    if (!s.ok()) return Error("update delivery");
    s.Bind(1, static_cast<int64_t>(d.state));
    s.Bind(2, static_cast<int64_t>(d.attempts));
    s.Bind(3, d.next_ns);
    s.BindText(4, d.last_error);
    s.Bind(5, now_ns);
    s.Bind(6, d.id);
    return Step(s, "update delivery");
  }

  Result<std::vector<Delivery>> ListDeliveries() override {
    Statement s(db_, (std::string("SELECT ") + kDeliveryColumns +
                      " FROM deliveries ORDER BY created_ns DESC, id DESC")
                         .c_str());
    return ReadAll<Delivery>(s, "list deliveries", RowToDelivery);
  }

  // ---- Schedules.

  Result<std::vector<RegisteredEntity>> ActiveLaunchPlans() override {
    Statement s(db_, ("SELECT " + std::string(kRegistryColumns) +
                      " FROM registry WHERE resource_type = ? AND state = 1 "
                      "ORDER BY project, domain, name, version")
                         .c_str());
    s.Bind(1, static_cast<int64_t>(core::LAUNCH_PLAN));
    return ReadAll<RegisteredEntity>(s, "list active launch plans", RowToRegistered);
  }

  static constexpr const char* kScheduleColumns =
      "launch_plan, activated_ns, cursor_ns, owner, lease_expires_ns";

  static ScheduleRecord RowToSchedule(Statement& s) {
    ScheduleRecord r;
    r.launch_plan = s.Text(0);
    r.activated_ns = s.Int(1);
    r.cursor_ns = s.Int(2);
    r.owner = s.Text(3);
    r.lease_expires_ns = s.Int(4);
    return r;
  }

  Result<std::vector<ScheduleRecord>> LeaseSchedules(const std::vector<ScheduleRecord>& wanted,
                                                     const std::string& owner, int64_t now_ns,
                                                     int64_t expires_ns) override {
    FLYTECPP_RETURN_IF_ERROR(Run(Cached(db_->BeginWrite()), "begin transaction"));
    auto held = [&]() -> Result<std::vector<ScheduleRecord>> {
      // A state of a later activation is never replaced by an earlier one
      // (a scheduler that read the registry before the launch plan was
      // activated again).
      Statement start(db_, R"(
        INSERT INTO schedules(launch_plan, activated_ns, cursor_ns) VALUES(?1, ?2, ?3)
        ON CONFLICT(launch_plan) DO UPDATE SET activated_ns = excluded.activated_ns,
          cursor_ns = excluded.cursor_ns
        WHERE schedules.activated_ns < excluded.activated_ns)");
      Statement lease(db_, R"(
        UPDATE schedules SET owner = ?1, lease_expires_ns = ?2
        WHERE launch_plan = ?3 AND (owner = ?1 OR owner = '' OR lease_expires_ns < ?4))");
      Statement read(
          db_, (std::string("SELECT ") + kScheduleColumns + " FROM schedules WHERE launch_plan = ?")
                   .c_str());
      if (!start.ok() || !lease.ok() || !read.ok()) return Error("lease schedules");
      std::vector<ScheduleRecord> out;
      for (const auto& w : wanted) {
        start.Reset();
        start.BindText(1, w.launch_plan);
        start.Bind(2, w.activated_ns);
        start.Bind(3, w.cursor_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(start, "lease schedules"));
        lease.Reset();
        lease.BindText(1, owner);
        lease.Bind(2, expires_ns);
        lease.BindText(3, w.launch_plan);
        lease.Bind(4, now_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(lease, "lease schedules"));
        read.Reset();
        read.BindText(1, w.launch_plan);
        if (read.Step() != StepResult::kRow) return Error("lease schedules");
        ScheduleRecord r = RowToSchedule(read);
        read.Reset();
        if (r.owner == owner) out.push_back(std::move(r));
      }
      return out;
    }();
    if (!held.ok()) {
      (void)db_->Exec("ROLLBACK");
      return held.status();
    }
    FLYTECPP_RETURN_IF_ERROR(Run(Cached("COMMIT"), "commit"));
    return held;
  }

  Result<std::vector<ScheduleRecord>> ListSchedules() override {
    Statement s(db_,
                (std::string("SELECT ") + kScheduleColumns + " FROM schedules ORDER BY launch_plan")
                    .c_str());
    return ReadAll<ScheduleRecord>(s, "list schedules", RowToSchedule);
  }

  Status ReleaseSchedules(const std::string& owner) override {
    Statement s(db_, "UPDATE schedules SET owner = '', lease_expires_ns = 0 WHERE owner = ?");
    if (!s.ok()) return Error("release schedules");
    s.BindText(1, owner);
    return Step(s, "release schedules");
  }

  Status AdvanceSchedule(const std::string& launch_plan, const std::string& owner,
                         int64_t slot_ns) override {
    Statement s(db_,
                "UPDATE schedules SET cursor_ns = ?1 WHERE launch_plan = ?2 AND owner = ?3 "
                "AND cursor_ns < ?1");
    if (!s.ok()) return Error("advance schedule");
    s.Bind(1, slot_ns);
    s.BindText(2, launch_plan);
    s.BindText(3, owner);
    return Step(s, "advance schedule");
  }

  Status UpdateRegistered(const core::Identifier& id, int state, const std::string& closure,
                          int64_t now_ns) override {
    Statement s(db_,
                "UPDATE registry SET state = ?, closure = ?, updated_ns = ? WHERE resource_type = "
                "? AND project = ? AND domain = ? AND name = ? AND version = ? AND org = ?");
    if (!s.ok()) return Error("update registry");
    s.Bind(1, static_cast<int64_t>(state));
    s.Bind(2, closure);
    s.Bind(3, now_ns);
    BindId(s, 4, id);
    FLYTECPP_RETURN_IF_ERROR(Step(s, "update registry"));
    if (s.Changes() == 0) {
      return NotFound(idl::IdentifierString(id) + " is not registered");
    }
    return Status::Ok();
  }

  Result<std::optional<CacheEntry>> GetCacheEntry(const std::string& key) override {
    Statement s(
        db_,
        ("SELECT " + std::string(kCacheColumns) + ", outputs FROM cache WHERE key = ?").c_str());
    if (!s.ok()) return Error("read cache");
    s.BindText(1, key);
    StepResult rc = s.Step();
    if (rc == StepResult::kDone) return std::optional<CacheEntry>();
    if (rc != StepResult::kRow) return Error("read cache");
    CacheEntry e = RowToCacheEntry(s);
    auto outputs = std::make_shared<core::LiteralMap>();
    if (!outputs->ParseFromString(s.Blob(9))) {
      return IoError("cache entry " + key + " in " + db_->where() + ": unreadable outputs");
    }
    e.outputs = std::move(outputs);
    return std::optional<CacheEntry>(std::move(e));
  }

  Result<std::vector<CacheEntry>> ListCache() override {
    Statement s(
        db_,
        ("SELECT " + std::string(kCacheColumns) + " FROM cache ORDER BY used_ns DESC").c_str());
    return ReadAll<CacheEntry>(s, "list cache", [](Statement& r) { return RowToCacheEntry(r); });
  }

  Status RemoveCacheEntry(const std::string& key) override {
    Statement s(db_, "DELETE FROM cache WHERE key = ?");
    if (!s.ok()) return Error("remove cache entry");
    s.BindText(1, key);
    FLYTECPP_RETURN_IF_ERROR(Step(s, "remove cache entry"));
    if (s.Changes() == 0) {
      return NotFound("no cache entry \"" + key + "\" in " + db_->where());
    }
    return Status::Ok();
  }

  Result<std::vector<CacheEntry>> PruneCache(int64_t used_before_ns, int64_t max_bytes) override {
    FLYTECPP_RETURN_IF_ERROR(Exec(db_->BeginWrite(), "begin transaction"));
    auto evicted = [&]() -> Result<std::vector<CacheEntry>> {
      Statement s(db_,
                  ("SELECT " + std::string(kCacheColumns) + " FROM cache ORDER BY used_ns ASC, key")
                      .c_str());
      FLYTECPP_ASSIGN_OR_RETURN(
          std::vector<CacheEntry> all,
          ReadAll<CacheEntry>(s, "read cache", [](Statement& r) { return RowToCacheEntry(r); }));
      int64_t total = 0;
      for (const auto& e : all) total += e.size_bytes;
      std::vector<CacheEntry> out;
      Statement del(db_, "DELETE FROM cache WHERE key = ?");
      if (!del.ok()) return Error("prune cache");
      for (auto& e : all) {  // least recently used first
        const bool old = used_before_ns > 0 && e.used_ns < used_before_ns;
        const bool over = max_bytes >= 0 && total > max_bytes;
        if (!old && !over) continue;
        del.Reset();
        del.BindText(1, e.key);
        FLYTECPP_RETURN_IF_ERROR(Step(del, "prune cache"));
        total -= e.size_bytes;
        out.push_back(std::move(e));
      }
      return out;
    }();
    if (!evicted.ok()) {
      (void)db_->Exec("ROLLBACK");
      return evicted.status();
    }
    FLYTECPP_RETURN_IF_ERROR(Exec("COMMIT", "commit"));
    return evicted;
  }

  Result<std::string> ReserveCache(const std::string& key, const std::string& holder,
                                   int64_t now_ns, int64_t expires_ns) override {
    FLYTECPP_RETURN_IF_ERROR(Exec(db_->BeginWrite(), "begin transaction"));
    auto who = [&]() -> Result<std::string> {
      Statement up(db_, R"(
        INSERT INTO cache_reservations(key, holder, expires_ns) VALUES(?1, ?2, ?4)
        ON CONFLICT(key) DO UPDATE SET holder = excluded.holder, expires_ns = excluded.expires_ns
        WHERE cache_reservations.holder = excluded.holder
           OR cache_reservations.expires_ns < ?3)");
      if (!up.ok()) return Error("reserve cache");
      up.BindText(1, key);
      up.BindText(2, holder);
      up.Bind(3, now_ns);
      up.Bind(4, expires_ns);
      FLYTECPP_RETURN_IF_ERROR(Step(up, "reserve cache"));
      Statement q(db_, "SELECT holder FROM cache_reservations WHERE key = ?");
      if (!q.ok()) return Error("reserve cache");
      q.BindText(1, key);
      if (q.Step() != StepResult::kRow) return Error("reserve cache");
      return q.Text(0);
    }();
    if (!who.ok()) {
      (void)db_->Exec("ROLLBACK");
      return who.status();
    }
    FLYTECPP_RETURN_IF_ERROR(Exec("COMMIT", "commit"));
    return who;
  }

  Status AcquireLease(const std::string& id, const std::string& owner, int64_t now_ns,
                      int64_t expires_ns, const std::string& dead_holder) override {
    FLYTECPP_RETURN_IF_ERROR(Run(Cached(db_->BeginWrite()), "begin transaction"));
    Status st = [&]() -> Status {
      Statement s(db_, std::string("SELECT parent, owner, lease_expires_ns, phase FROM executions "
                                   "WHERE id = ?") +
                           db_->ForUpdate());
      if (!s.ok()) return Error("read lease");
      s.BindText(1, id);
      StepResult rc = s.Step();
      if (rc == StepResult::kDone)
        return NotFound("no execution \"" + id + "\" in " + db_->where());
      if (rc != StepResult::kRow) return Error("read lease");
      if (!s.Text(0).empty()) {
        return FailedPrecondition("execution " + id + " is a child of " + s.Text(0) +
                                  ": it runs with its parent");
      }
      const std::string holder = s.Text(1);
      const int64_t until = s.Int(2);
      if (!holder.empty() && holder != owner && holder != dead_holder && until >= now_ns) {
        return FailedPrecondition("execution " + id + " is being run by " + holder +
                                  " (lease until " + TimeText(until) + ")");
      }
      Statement u(db_, "UPDATE executions SET owner = ?, lease_expires_ns = ? WHERE root = ?");
      if (!u.ok()) return Error("take lease");
      u.BindText(1, owner);
      u.Bind(2, expires_ns);
      u.BindText(3, id);
      return Step(u, "take lease");
    }();
    if (!st.ok()) {
      (void)db_->Exec("ROLLBACK");
      return st;
    }
    return Run(Cached("COMMIT"), "commit");
  }

  Result<std::vector<std::string>> RenewLeases(const std::string& owner,
                                               int64_t expires_ns) override {
    Statement u(db_, (std::string("UPDATE executions SET lease_expires_ns = ? WHERE owner = ? "
                                  "AND phase NOT IN ") +
                      TerminalPhases())
                         .c_str());
    if (!u.ok()) return Error("renew leases");
    u.Bind(1, expires_ns);
    u.BindText(2, owner);
    FLYTECPP_RETURN_IF_ERROR(Step(u, "renew leases"));
    return Ids(std::string("SELECT id FROM executions WHERE owner = ? AND parent = '' AND "
                           "phase NOT IN ") +
                   TerminalPhases(),
               owner, "renew leases");
  }

  Status ReleaseLease(const std::string& id, const std::string& owner) override {
    Statement u(db_, "UPDATE executions SET lease_expires_ns = 0 WHERE root = ? AND owner = ?");
    if (!u.ok()) return Error("release lease");
    u.BindText(1, id);
    u.BindText(2, owner);
    return Step(u, "release lease");
  }

  Result<std::vector<ExecutionRecord>> ListUnfinished() override {
    Statement s(db_, ("SELECT " + ExecutionColumns(false) +
                      " FROM executions WHERE parent = '' AND phase NOT IN " + TerminalPhases() +
                      " ORDER BY created_ns, id")
                         .c_str());
    return ReadAll<ExecutionRecord>(s, "list unfinished executions",
                                    [this](Statement& r) { return RowToExecution(r, false); });
  }

  Status RequestAbort(const std::string& id) override {
    Statement s(db_, "UPDATE executions SET abort_requested = 1 WHERE id = ?");
    if (!s.ok()) return Error("request abort");
    s.BindText(1, id);
    FLYTECPP_RETURN_IF_ERROR(Step(s, "request abort"));
    if (s.Changes() == 0) return NotFound("no execution \"" + id + "\" in " + db_->where());
    return Status::Ok();
  }

  Result<std::vector<std::string>> AbortRequests(const std::string& owner) override {
    return Ids(std::string("SELECT id FROM executions WHERE owner = ? AND abort_requested = 1 "
                           "AND phase NOT IN ") +
                   TerminalPhases(),
               owner, "read abort requests");
  }

  const std::filesystem::path& data_dir() const override { return data_dir_; }

 private:
  // The last error, for `what`; remembers whether trying again may help.
  Status Error(const std::string& what) {
    retryable_ = db_->LastErrorRetryable();
    return IoError(db_->where() + ": " + what + ": " + db_->LastError());
  }

  Status Exec(const char* sql, const std::string& what) {
    Status st = db_->Exec(sql);
    if (!st.ok()) {
      retryable_ = db_->LastErrorRetryable();
      return st.WithContext(db_->where() + ": " + what);
    }
    return Status::Ok();
  }

  Status CommitOnce(const Batch& batch) {
    retryable_ = false;
    FLYTECPP_RETURN_IF_ERROR(Run(Cached(db_->BeginWrite()), "begin transaction"));
    Status st = Apply(batch);
    if (!st.ok()) {
      (void)db_->Exec("ROLLBACK");
      return st;
    }
    st = Run(Cached("COMMIT"), "commit");
    if (!st.ok()) (void)db_->Exec("ROLLBACK");
    return st;
  }

  // Statements of the commit path are prepared once and reused: parsing SQL
  // per commit was half the engine's time per node.
  // `sql` is a string literal: its address is the key. A statement that
  // returns rows must be reset as soon as they are read (see CheckFence).
  Statement& Cached(const char* sql) {
    auto& slot = cached_[sql];
    if (!slot) slot = std::make_unique<Statement>(db_, sql);
    slot->Reset();
    return *slot;
  }

  Status Run(Statement& s, const std::string& what) {
    if (!s.ok()) return Error(what);
    return Step(s, what);
  }

  Status Step(Statement& s, const std::string& what) {
    StepResult rc = s.Step();
    if (rc != StepResult::kDone && rc != StepResult::kRow) return Error(what);
    return Status::Ok();
  }

  // Every row `s` yields, each made into a T by `row`.
  template <typename T, typename RowFn>
  Result<std::vector<T>> ReadAll(Statement& s, const std::string& what, RowFn row) {
    if (!s.ok()) return Error(what);
    std::vector<T> out;
    StepResult rc;
    while ((rc = s.Step()) == StepResult::kRow) out.push_back(row(s));
    if (rc != StepResult::kDone) return Error(what);
    return out;
  }

  Result<std::vector<std::string>> Column(Statement& s, const std::string& what) {
    return ReadAll<std::string>(s, what, [](Statement& r) { return r.Text(0); });
  }

  Result<std::vector<std::string>> Ids(const std::string& sql, const std::string& arg,
                                       const std::string& what) {
    Statement s(db_, sql.c_str());
    s.BindText(1, arg);
    return Column(s, what);
  }

  static constexpr const char* kCacheColumns =
      "key, task, size_bytes, created_ns, used_ns, source_execution, source_node, "
      "source_attempt, 0";

  static CacheEntry RowToCacheEntry(Statement& s) {
    CacheEntry e;
    e.key = s.Text(0);
    e.task = s.Text(1);
    e.size_bytes = s.Int(2);
    e.created_ns = s.Int(3);
    e.used_ns = s.Int(4);
    e.source_execution = s.Text(5);
    e.source_node = s.Text(6);
    e.source_attempt = static_cast<int>(s.Int(7));
    return e;
  }

  static std::string ExecutionColumns(bool with_blobs) {
    return std::string("id, workflow, phase, parent, root, ") +
           (with_blobs ? "closure, inputs" : "NULL, NULL") +
           ", outputs, error, max_parallelism, created_ns, updated_ns, owner, lease_expires_ns, "
           "overwrite_cache, project, domain, spec";
  }

  ExecutionRecord RowToExecution(Statement& s, bool with_blobs) {
    ExecutionRecord e;
    e.id = s.Text(0);
    e.workflow_name = s.Text(1);
    e.phase = static_cast<core::WorkflowExecution::Phase>(s.Int(2));
    e.parent = s.Text(3);
    e.root = s.Text(4);
    if (with_blobs) {
      e.closure.ParseFromString(s.Blob(5));
      auto inputs = std::make_shared<core::LiteralMap>();
      inputs->ParseFromString(s.Blob(6));
      e.inputs = std::move(inputs);
    }
    if (auto outputs = s.Optional<core::LiteralMap>(7)) {
      e.outputs = std::make_shared<const core::LiteralMap>(std::move(*outputs));
    }
    e.error = s.Optional<core::ExecutionError>(8);
    e.max_parallelism = static_cast<int>(s.Int(9));
    e.created_ns = s.Int(10);
    e.updated_ns = s.Int(11);
    e.owner = s.Text(12);
    e.lease_expires_ns = s.Int(13);
    e.overwrite_cache = s.Int(14) != 0;
    e.project = s.Text(15);
    e.domain = s.Text(16);
    e.spec = s.Blob(17);
    return e;
  }

  // Rows of executions held by another owner must not be written.
  Status CheckFence(const Batch& batch) {
    std::set<std::string> ids;
    for (const auto& e : batch.executions) ids.insert(e.id);
    for (const auto& n : batch.nodes) ids.insert(n.execution_id);
    for (const auto& e : batch.elements) ids.insert(e.execution_id);
    for (const auto& e : batch.events) ids.insert(e.execution_id);
    for (const auto& d : batch.data) ids.insert(d.execution_id);
    // Locked until the commit: a lease taken meanwhile waits for it.
    Statement& s = *db_->ForUpdate() != '\0'
                       ? Cached("SELECT owner FROM executions WHERE id = ? FOR UPDATE")
                       : Cached("SELECT owner FROM executions WHERE id = ?");
    if (!s.ok()) return Error("check lease");
    for (const auto& id : ids) {
      s.Reset();
      s.BindText(1, id);
      StepResult rc = s.Step();
      const std::string holder = rc == StepResult::kRow ? s.Text(0) : "";
      // At once: a statement left on a row keeps its read snapshot open, and
      // the next write transaction over an older snapshot fails (busy).
      s.Reset();
      if (rc == StepResult::kDone) {
        // New in this batch. Another engine may be creating the same id
        // (a scheduled slot): the first to commit wins, the other sees its
        // row here, as a lease lost.
        if (*db_->LockKey() == '\0') continue;
        Statement lock(db_, db_->LockKey());
        if (!lock.ok()) return Error("check lease");
        lock.BindText(1, id);
        FLYTECPP_RETURN_IF_ERROR(Step(lock, "check lease"));
        s.Reset();
        s.BindText(1, id);
        rc = s.Step();
        const std::string now_holder = rc == StepResult::kRow ? s.Text(0) : "";
        s.Reset();
        if (rc == StepResult::kDone) continue;
        if (rc != StepResult::kRow) return Error("check lease");
        if (now_holder != batch.owner) {
          return Aborted("lease lost: execution " + id + " is now run by " + now_holder);
        }
        continue;
      }
      if (rc != StepResult::kRow) return Error("check lease");
      if (holder != batch.owner) {
        return Aborted("lease lost: execution " + id + " is now run by " +
                       (holder.empty() ? std::string("nobody") : holder));
      }
    }
    return Status::Ok();
  }

  Status Apply(const Batch& batch) {
    if (!batch.owner.empty()) FLYTECPP_RETURN_IF_ERROR(CheckFence(batch));
    if (!batch.executions.empty()) {
      // Closure, inputs, parent, root and the owner are written on insert
      // only; a finished execution gives its lease back.
      Statement& s = Cached(R"(
        INSERT INTO executions(id, workflow, phase, parent, root, closure, inputs, outputs, error,
                               max_parallelism, created_ns, updated_ns, owner, lease_expires_ns,
                               overwrite_cache, project, domain, spec)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET phase = excluded.phase, outputs = excluded.outputs,
          error = excluded.error, updated_ns = excluded.updated_ns,
          lease_expires_ns = excluded.lease_expires_ns)");
      if (!s.ok()) return Error("write execution");
      for (const auto& e : batch.executions) {
        s.Reset();
        s.BindText(1, e.id);
        s.BindText(2, e.workflow_name);
        s.Bind(3, static_cast<int64_t>(e.phase));
        s.BindText(4, e.parent);
        s.BindText(5, e.root.empty() ? e.id : e.root);
        s.Bind(6, e.closure.SerializeAsString());
        s.Bind(7, e.inputs ? e.inputs->SerializeAsString() : std::string());
        s.BindOptional(8, e.outputs);
        s.BindOptional(9, e.error);
        s.Bind(10, static_cast<int64_t>(e.max_parallelism));
        s.Bind(11, e.created_ns);
        s.Bind(12, e.updated_ns);
        s.BindText(13, batch.owner);
        s.Bind(14, idl::IsTerminal(e.phase) ? 0 : batch.lease_expires_ns);
        s.Bind(15, int64_t{e.overwrite_cache});
        s.BindText(16, e.project);
        s.BindText(17, e.domain);
        s.Bind(18, e.spec);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write execution"));
      }
    }
    if (!batch.nodes.empty()) {
      Statement& s = Cached(R"(
        INSERT INTO nodes(execution_id, path, phase, attempts, system_failures, error,
                          started_ns, attempt_started_ns, runtime, handle, updated_ns)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(execution_id, path) DO UPDATE SET phase = excluded.phase,
          attempts = excluded.attempts, system_failures = excluded.system_failures,
          error = excluded.error, started_ns = excluded.started_ns,
          attempt_started_ns = excluded.attempt_started_ns, runtime = excluded.runtime,
          handle = excluded.handle, updated_ns = excluded.updated_ns)");
      if (!s.ok()) return Error("write node");
      for (const auto& n : batch.nodes) {
        s.Reset();
        s.BindText(1, n.execution_id);
        s.BindText(2, n.path);
        s.Bind(3, static_cast<int64_t>(n.phase));
        s.Bind(4, static_cast<int64_t>(n.attempts));
        s.Bind(5, static_cast<int64_t>(n.system_failures));
        s.BindOptional(6, n.error);
        s.Bind(7, n.queued_ns);
        s.Bind(8, n.attempt_started_ns);
        s.BindText(9, n.runtime);
        s.BindText(10, n.handle);
        s.Bind(11, n.updated_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write node"));
      }
    }
    if (!batch.elements.empty()) {
      Statement& s = Cached(R"(
        INSERT INTO elements(execution_id, path, idx, phase, attempts, system_failures, error,
                             outputs, attempt_started_ns, runtime, handle, updated_ns)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(execution_id, path, idx) DO UPDATE SET phase = excluded.phase,
          attempts = excluded.attempts, system_failures = excluded.system_failures,
          error = excluded.error, outputs = excluded.outputs,
          attempt_started_ns = excluded.attempt_started_ns, runtime = excluded.runtime,
          handle = excluded.handle, updated_ns = excluded.updated_ns)");
      if (!s.ok()) return Error("write element");
      for (const auto& e : batch.elements) {
        s.Reset();
        s.BindText(1, e.execution_id);
        s.BindText(2, e.path);
        s.Bind(3, e.index);
        s.Bind(4, static_cast<int64_t>(e.phase));
        s.Bind(5, static_cast<int64_t>(e.attempts));
        s.Bind(6, static_cast<int64_t>(e.system_failures));
        s.BindOptional(7, e.error);
        s.BindOptional(8, e.outputs);
        s.Bind(9, e.attempt_started_ns);
        s.BindText(10, e.runtime);
        s.BindText(11, e.handle);
        s.Bind(12, e.updated_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write element"));
      }
    }
    if (!batch.data.empty()) {
      Statement& s = Cached(R"(
        INSERT INTO data(execution_id, key, value) VALUES(?, ?, ?)
        ON CONFLICT(execution_id, key) DO UPDATE SET value = excluded.value)");
      if (!s.ok()) return Error("write data");
      for (const auto& d : batch.data) {
        s.Reset();
        s.BindText(1, d.execution_id);
        s.BindText(2, d.key);
        s.Bind(3, d.value);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write data"));
      }
    }
    if (!batch.events.empty()) {
      Statement& s =
          Cached("INSERT INTO events(execution_id, kind, node_path, payload) VALUES(?, ?, ?, ?)");
      if (!s.ok()) return Error("write event");
      for (const auto& e : batch.events) {
        s.Reset();
        s.BindText(1, e.execution_id);
        s.Bind(2, static_cast<int64_t>(e.kind));
        s.BindText(3, e.node_path);
        s.Bind(4, e.payload);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write event"));
      }
    }
    if (!batch.signals.empty()) {
      Statement& s = Cached(R"(
        INSERT INTO signals(execution_id, signal_id, type, value, origin, note, updated_ns)
        VALUES(?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(execution_id, signal_id) DO UPDATE SET
          type = COALESCE(excluded.type, signals.type),
          value = COALESCE(excluded.value, signals.value),
          origin = CASE WHEN excluded.value IS NULL THEN signals.origin ELSE excluded.origin END,
          note = CASE WHEN excluded.value IS NULL THEN signals.note ELSE excluded.note END,
          updated_ns = excluded.updated_ns)");
      if (!s.ok()) return Error("write signal");
      for (const auto& r : batch.signals) {
        s.Reset();
        s.BindText(1, r.execution_id);
        s.BindText(2, r.signal_id);
        s.BindOptional(3, r.type);
        s.BindOptional(4, r.value);
        s.BindText(5, r.origin);
        s.BindText(6, r.note);
        s.Bind(7, r.updated_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write signal"));
      }
    }
    if (!batch.cache_puts.empty()) {
      Statement& s = Cached(R"(
        INSERT INTO cache(key, task, outputs, size_bytes, created_ns, used_ns, source_execution,
                          source_node, source_attempt)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(key) DO UPDATE SET task = excluded.task, outputs = excluded.outputs,
          size_bytes = excluded.size_bytes, created_ns = excluded.created_ns,
          used_ns = excluded.used_ns, source_execution = excluded.source_execution,
          source_node = excluded.source_node, source_attempt = excluded.source_attempt)");
      if (!s.ok()) return Error("write cache");
      for (const auto& e : batch.cache_puts) {
        const std::string blob = e.outputs ? e.outputs->SerializeAsString() : std::string();
        s.Reset();
        s.BindText(1, e.key);
        s.BindText(2, e.task);
        s.Bind(3, blob);
        s.Bind(4, static_cast<int64_t>(blob.size()));
        s.Bind(5, e.created_ns);
        s.Bind(6, e.used_ns);
        s.BindText(7, e.source_execution);
        s.BindText(8, e.source_node);
        s.Bind(9, static_cast<int64_t>(e.source_attempt));
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write cache"));
      }
    }
    if (!batch.cache_hits.empty()) {
      Statement& s = Cached("UPDATE cache SET used_ns = ? WHERE key = ?");
      if (!s.ok()) return Error("write cache");
      for (const auto& key : batch.cache_hits) {
        s.Reset();
        s.Bind(1, batch.now_ns);
        s.BindText(2, key);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write cache"));
      }
    }
    if (!batch.cache_releases.empty()) {
      Statement& s = Cached("DELETE FROM cache_reservations WHERE key = ? AND holder = ?");
      if (!s.ok()) return Error("release cache reservation");
      for (const auto& [key, holder] : batch.cache_releases) {
        s.Reset();
        s.BindText(1, key);
        s.BindText(2, holder);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "release cache reservation"));
      }
    }
    if (!batch.notices.empty()) {
      Statement& s = Cached(
          "INSERT INTO outbox(execution_id, phase, created_ns) VALUES(?, ?, ?) "
          "ON CONFLICT DO NOTHING");
      if (!s.ok()) return Error("write notice");
      for (const auto& n : batch.notices) {
        s.Reset();
        s.BindText(1, n.execution_id);
        s.Bind(2, static_cast<int64_t>(n.phase));
        s.Bind(3, n.created_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write notice"));
      }
    }
    if (!batch.schedule_marks.empty()) {
      Statement& s =
          Cached("UPDATE schedules SET cursor_ns = ?1 WHERE launch_plan = ?2 AND cursor_ns < ?1");
      if (!s.ok()) return Error("write schedule");
      for (const auto& m : batch.schedule_marks) {
        s.Reset();
        s.Bind(1, m.slot_ns);
        s.BindText(2, m.launch_plan);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write schedule"));
      }
    }
    return Status::Ok();
  }

  std::unique_ptr<SqlDatabase> owned_db_;
  SqlDatabase* db_;
  std::filesystem::path data_dir_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cached_;  // by SQL literal
  bool retryable_ = false;  // the last error was a conflict worth retrying
};

}  // namespace

std::unique_ptr<Store> MakeSqlStore(std::unique_ptr<SqlDatabase> db,
                                    std::filesystem::path data_dir) {
  return std::make_unique<SqlStore>(std::move(db), std::move(data_dir));
}

}  // namespace flytecpp::store
