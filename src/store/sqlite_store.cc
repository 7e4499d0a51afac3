// The SQLite store. Schema (one row per thing; protobuf blobs where Flyte has
// a message):
//
//   executions(id PK, workflow, phase, parent, closure, inputs, outputs, error,
//              created_ns, updated_ns)
//   nodes(execution_id, path, phase, attempts, system_failures, error,
//         started_ns, updated_ns, PK(execution_id, path))
//   events(seq PK AUTOINCREMENT, execution_id, kind, node_path, payload)
//   entities(key PK, resource_type, spec)
//
// Every SQLite error becomes a Status here, with the statement's purpose and
// the database path.
#include <sqlite3.h>

#include <cstdlib>

#include "flytecpp/store/store.h"

namespace flytecpp::store {

namespace {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindText(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

template <typename M>
std::optional<M> ParseOptional(Statement& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  M m;
  std::string b = s.Blob(col);
  if (!m.ParseFromString(b)) return std::nullopt;
  return m;
}

class SqliteStore : public Store {
 public:
  SqliteStore(sqlite3* db, std::filesystem::path dir)
      : db_(db), dir_(std::move(dir)), data_dir_(dir_ / "data") {}
  ~SqliteStore() override {
    begin_.reset();
    commit_.reset();
    upsert_execution_.reset();
    upsert_node_.reset();
    insert_event_.reset();
    sqlite3_close(db_);
  }

  Status Init(Durability durability) {
    const char* sync = durability == Durability::kFull     ? "FULL"
                       : durability == Durability::kNormal ? "NORMAL"
                                                           : "OFF";
    std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + sync +
                          "; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=OFF;";
    FLYTECPP_RETURN_IF_ERROR(Exec(pragmas.c_str(), "configure"));
    return Exec(R"(
      CREATE TABLE IF NOT EXISTS executions(
        id TEXT PRIMARY KEY, workflow TEXT, phase INTEGER, parent TEXT,
        closure BLOB, inputs BLOB, outputs BLOB, error BLOB,
        created_ns INTEGER, updated_ns INTEGER,
        abort_requested INTEGER DEFAULT 0, owner_pid INTEGER DEFAULT 0);
      CREATE TABLE IF NOT EXISTS nodes(
        execution_id TEXT, path TEXT, phase INTEGER, attempts INTEGER,
        system_failures INTEGER, error BLOB, started_ns INTEGER, updated_ns INTEGER,
        PRIMARY KEY(execution_id, path));
      CREATE TABLE IF NOT EXISTS events(
        seq INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT, kind INTEGER,
        node_path TEXT, payload BLOB);
      CREATE INDEX IF NOT EXISTS events_by_execution ON events(execution_id, seq);
      CREATE TABLE IF NOT EXISTS entities(key TEXT PRIMARY KEY, resource_type INTEGER, spec BLOB);
    )",
                "create schema");
  }

  Status Commit(const Batch& batch) override {
    if (batch.empty()) return Status::Ok();
    FLYTECPP_RETURN_IF_ERROR(Run(Cached(begin_, "BEGIN IMMEDIATE"), "begin transaction"));
    Status st = Apply(batch);
    if (!st.ok()) {
      Exec("ROLLBACK", "rollback");
      return st;
    }
    return Run(Cached(commit_, "COMMIT"), "commit");
  }

  Result<ExecutionRecord> GetExecution(const std::string& id) override {
    Statement s(db_,
                "SELECT id, workflow, phase, parent, closure, inputs, outputs, error, "
                "created_ns, updated_ns FROM executions WHERE id = ?");
    if (!s.ok()) return Error("read execution");
    s.BindText(1, id);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return NotFound("no execution \"" + id + "\" in " + dir_.string());
    if (rc != SQLITE_ROW) return Error("read execution");
    ExecutionRecord e = RowToExecution(s, /*with_blobs=*/true);
    return e;
  }

  Result<std::vector<ExecutionRecord>> ListExecutions() override {
    Statement s(db_,
                "SELECT id, workflow, phase, parent, NULL, NULL, outputs, error, created_ns, "
                "updated_ns FROM executions ORDER BY created_ns DESC, id");
    if (!s.ok()) return Error("list executions");
    std::vector<ExecutionRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(RowToExecution(s, false));
    if (rc != SQLITE_DONE) return Error("list executions");
    return out;
  }

  Result<std::vector<NodeRecord>> GetNodes(const std::string& execution_id) override {
    Statement s(
        db_,
        "SELECT execution_id, path, phase, attempts, system_failures, error, "
        "started_ns, updated_ns FROM nodes WHERE execution_id = ? ORDER BY started_ns, path");
    if (!s.ok()) return Error("read nodes");
    s.BindText(1, execution_id);
    std::vector<NodeRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      NodeRecord n;
      n.execution_id = s.Text(0);
      n.path = s.Text(1);
      n.phase = static_cast<core::NodeExecution::Phase>(s.Int(2));
      n.attempts = static_cast<int>(s.Int(3));
      n.system_failures = static_cast<int>(s.Int(4));
      n.error = ParseOptional<core::ExecutionError>(s, 5);
      n.started_ns = s.Int(6);
      n.updated_ns = s.Int(7);
      out.push_back(std::move(n));
    }
    if (rc != SQLITE_DONE) return Error("read nodes");
    return out;
  }

  Result<std::vector<EventRecord>> GetEvents(const std::string& execution_id) override {
    Statement s(db_,
                "SELECT seq, execution_id, kind, node_path, payload FROM events "
                "WHERE execution_id = ? ORDER BY seq");
    if (!s.ok()) return Error("read events");
    s.BindText(1, execution_id);
    std::vector<EventRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      EventRecord e;
      e.seq = s.Int(0);
      e.execution_id = s.Text(1);
      e.kind = static_cast<EventKind>(s.Int(2));
      e.node_path = s.Text(3);
      e.payload = s.Blob(4);
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return Error("read events");
    return out;
  }

  Status PutEntity(const std::string& key, int resource_type, const std::string& spec) override {
    Statement s(db_,
                "INSERT INTO entities(key, resource_type, spec) VALUES(?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET spec = excluded.spec");
    if (!s.ok()) return Error("register entity");
    s.BindText(1, key);
    s.Bind(2, static_cast<int64_t>(resource_type));
    s.Bind(3, spec);
    return Step(s, "register entity");
  }

  Result<std::optional<std::string>> GetEntity(const std::string& key) override {
    Statement s(db_, "SELECT spec FROM entities WHERE key = ?");
    if (!s.ok()) return Error("read entity");
    s.BindText(1, key);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Error("read entity");
    return std::optional<std::string>(s.Blob(0));
  }

  Status RequestAbort(const std::string& id) override {
    Statement s(db_, "UPDATE executions SET abort_requested = 1 WHERE id = ?");
    if (!s.ok()) return Error("request abort");
    s.BindText(1, id);
    FLYTECPP_RETURN_IF_ERROR(Step(s, "request abort"));
    if (sqlite3_changes(db_) == 0)
      return NotFound("no execution \"" + id + "\" in " + dir_.string());
    return Status::Ok();
  }

  Result<bool> AbortRequested(const std::string& id) override {
    FLYTECPP_ASSIGN_OR_RETURN(int64_t v, IntColumn("abort_requested", id));
    return v != 0;
  }

  Status SetOwner(const std::string& id, int64_t pid) override {
    Statement s(db_, "UPDATE executions SET owner_pid = ? WHERE id = ?");
    if (!s.ok()) return Error("set owner");
    s.Bind(1, pid);
    s.BindText(2, id);
    return Step(s, "set owner");
  }

  Result<int64_t> Owner(const std::string& id) override { return IntColumn("owner_pid", id); }

  const std::filesystem::path& data_dir() const override { return data_dir_; }

 private:
  Status Error(const std::string& what) const {
    return IoError((dir_ / "flytecpp.db").string() + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  Status Exec(const char* sql, const std::string& what) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return IoError((dir_ / "flytecpp.db").string() + ": " + what + ": " + msg);
    }
    return Status::Ok();
  }

  // Statements of the commit path are prepared once and reused: parsing SQL
  // per commit was half the engine's time per node.
  Statement& Cached(std::unique_ptr<Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<Statement>(db_, sql);
    slot->Reset();
    return *slot;
  }

  Status Run(Statement& s, const std::string& what) {
    if (!s.ok()) return Error(what);
    return Step(s, what);
  }

  Status Step(Statement& s, const std::string& what) {
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(what);
    return Status::Ok();
  }

  Result<int64_t> IntColumn(const char* column, const std::string& id) {
    std::string sql = std::string("SELECT ") + column + " FROM executions WHERE id = ?";
    Statement s(db_, sql.c_str());
    if (!s.ok()) return Error(std::string("read ") + column);
    s.BindText(1, id);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return NotFound("no execution \"" + id + "\" in " + dir_.string());
    if (rc != SQLITE_ROW) return Error(std::string("read ") + column);
    return s.Int(0);
  }

  ExecutionRecord RowToExecution(Statement& s, bool with_blobs) {
    ExecutionRecord e;
    e.id = s.Text(0);
    e.workflow_name = s.Text(1);
    e.phase = static_cast<core::WorkflowExecution::Phase>(s.Int(2));
    e.parent = s.Text(3);
    if (with_blobs) {
      e.closure.ParseFromString(s.Blob(4));
      e.inputs.ParseFromString(s.Blob(5));
    }
    e.outputs = ParseOptional<core::LiteralMap>(s, 6);
    e.error = ParseOptional<core::ExecutionError>(s, 7);
    e.created_ns = s.Int(8);
    e.updated_ns = s.Int(9);
    return e;
  }

  Status Apply(const Batch& batch) {
    if (!batch.executions.empty()) {
      // Closure and inputs never change after creation: written on insert only.
      Statement& s = Cached(upsert_execution_, R"(
        INSERT INTO executions(id, workflow, phase, parent, closure, inputs, outputs, error,
                               created_ns, updated_ns)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET phase = excluded.phase, outputs = excluded.outputs,
          error = excluded.error, updated_ns = excluded.updated_ns)");
      if (!s.ok()) return Error("write execution");
      for (const auto& e : batch.executions) {
        s.Reset();
        s.BindText(1, e.id);
        s.BindText(2, e.workflow_name);
        s.Bind(3, static_cast<int64_t>(e.phase));
        s.BindText(4, e.parent);
        s.Bind(5, e.closure.SerializeAsString());
        s.Bind(6, e.inputs.SerializeAsString());
        if (e.outputs)
          s.Bind(7, e.outputs->SerializeAsString());
        else
          s.BindNull(7);
        if (e.error)
          s.Bind(8, e.error->SerializeAsString());
        else
          s.BindNull(8);
        s.Bind(9, e.created_ns);
        s.Bind(10, e.updated_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write execution"));
      }
    }
    if (!batch.nodes.empty()) {
      Statement& s = Cached(upsert_node_, R"(
        INSERT INTO nodes(execution_id, path, phase, attempts, system_failures, error,
                          started_ns, updated_ns)
        VALUES(?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(execution_id, path) DO UPDATE SET phase = excluded.phase,
          attempts = excluded.attempts, system_failures = excluded.system_failures,
          error = excluded.error, started_ns = excluded.started_ns,
          updated_ns = excluded.updated_ns)");
      if (!s.ok()) return Error("write node");
      for (const auto& n : batch.nodes) {
        s.Reset();
        s.BindText(1, n.execution_id);
        s.BindText(2, n.path);
        s.Bind(3, static_cast<int64_t>(n.phase));
        s.Bind(4, static_cast<int64_t>(n.attempts));
        s.Bind(5, static_cast<int64_t>(n.system_failures));
        if (n.error)
          s.Bind(6, n.error->SerializeAsString());
        else
          s.BindNull(6);
        s.Bind(7, n.started_ns);
        s.Bind(8, n.updated_ns);
        FLYTECPP_RETURN_IF_ERROR(Step(s, "write node"));
      }
    }
    if (!batch.events.empty()) {
      Statement& s = Cached(insert_event_,
                            "INSERT INTO events(execution_id, kind, node_path, payload) "
                            "VALUES(?, ?, ?, ?)");
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
    return Status::Ok();
  }

  sqlite3* db_;
  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::unique_ptr<Statement> begin_, commit_, upsert_execution_, upsert_node_, insert_event_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& dir,
                                               Durability durability) {
  std::error_code ec;
  std::filesystem::create_directories(dir / "data", ec);
  if (ec) return IoError(dir.string() + ": cannot create the store directory: " + ec.message());
  sqlite3* db = nullptr;
  std::string path = (dir / "flytecpp.db").string();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return IoError(path + ": cannot open: " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db, dir);
  FLYTECPP_RETURN_IF_ERROR(store->Init(durability));
  return std::unique_ptr<Store>(std::move(store));
}

std::filesystem::path DefaultStoreDir() {
  if (const char* home = std::getenv("FLYTECPP_HOME"); home != nullptr && *home != '\0') {
    return home;
  }
  const char* user_home = std::getenv("HOME");
  return std::filesystem::path(user_home != nullptr ? user_home : ".") / ".flytecpp";
}

}  // namespace flytecpp::store
