// The store on SQLite: `dir/flytecpp.db` (WAL) and `dir/data/`. Several
// Store objects, in one process or many, share a directory; SQLite
// serialises their writes (BEGIN IMMEDIATE), and its busy handler makes them
// wait for each other.
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "migrations.h"
#include "sql_store.h"

namespace flytecpp::store {

namespace {

constexpr int kSchemaVersion = 10;
constexpr int kBusyTimeoutMs = 30000;  // writers of one store wait for each other this long

class SqliteStatement : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void BindBlob(int i, const std::string& s) override {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindText(int i, const std::string& s) override {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindInt(int i, int64_t v) override { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) override { sqlite3_bind_null(stmt_, i); }
  StepResult Step() override {
    switch (sqlite3_step(stmt_)) {
      case SQLITE_ROW: return StepResult::kRow;
      case SQLITE_DONE: return StepResult::kDone;
      default: return StepResult::kError;
    }
  }
  std::string Blob(int col) override {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  std::string Text(int col) override {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  int64_t Int(int col) override { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Changes() override { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDatabase : public SqlDatabase {
 public:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDatabase() override { sqlite3_close(db_); }

  std::unique_ptr<SqlStatement> Prepare(const std::string& sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return nullptr;
    }
    return std::make_unique<SqliteStatement>(db_, stmt);
  }
  Status Exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return IoError(msg);
    }
    return Status::Ok();
  }
  std::string LastError() override { return sqlite3_errmsg(db_); }
  bool LastErrorRetryable() override { return false; }  // writers queue (busy handler)
  const char* BeginWrite() const override { return "BEGIN IMMEDIATE"; }
  const char* ForUpdate() const override { return ""; }
  const char* LockKey() const override { return ""; }
  const std::string& where() const override { return path_; }

  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_;
  std::string path_;
};

Status Fail(SqliteDatabase& db, const std::string& what) {
  return IoError(db.where() + ": " + what + ": " + db.LastError());
}

Result<bool> HasColumn(SqliteDatabase& db, const std::string& table, const std::string& column) {
  auto s = db.Prepare("PRAGMA table_info(" + table + ")");
  if (!s) return Fail(db, "read schema");
  StepResult rc;
  while ((rc = s->Step()) == StepResult::kRow) {
    if (s->Text(1) == column) return true;
  }
  if (rc != StepResult::kDone) return Fail(db, "read schema");
  return false;
}

// Creates the schema, or brings a store of an earlier version up to this
// one. In one write transaction, so concurrent openers do it once.
Status Migrate(SqliteDatabase& db) {
  FLYTECPP_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE").WithContext(db.where() + ": migrate"));
  Status st = [&]() -> Status {
    auto v = db.Prepare("PRAGMA user_version");
    if (!v || v->Step() != StepResult::kRow) return Fail(db, "read schema version");
    const int version = static_cast<int>(v->Int(0));
    v.reset();
    if (version == kSchemaVersion) return Status::Ok();
    if (version > kSchemaVersion) {
      return FailedPrecondition(db.where() + ": the store was written by a newer flytecpp");
    }
    FLYTECPP_RETURN_IF_ERROR(db.Exec(R"(
        CREATE TABLE IF NOT EXISTS executions(
          id TEXT PRIMARY KEY, workflow TEXT, phase INTEGER, parent TEXT,
          closure BLOB, inputs BLOB, outputs BLOB, error BLOB,
          created_ns INTEGER, updated_ns INTEGER, abort_requested INTEGER DEFAULT 0);
        CREATE TABLE IF NOT EXISTS nodes(
          execution_id TEXT, path TEXT, phase INTEGER, attempts INTEGER,
          system_failures INTEGER, error BLOB, started_ns INTEGER, updated_ns INTEGER,
          PRIMARY KEY(execution_id, path));
        CREATE TABLE IF NOT EXISTS events(
          seq INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT, kind INTEGER,
          node_path TEXT, payload BLOB);
        CREATE INDEX IF NOT EXISTS events_by_execution ON events(execution_id, seq);
        CREATE TABLE IF NOT EXISTS data(
          execution_id TEXT, key TEXT, value BLOB, PRIMARY KEY(execution_id, key))
          WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS elements(
          execution_id TEXT, path TEXT, idx INTEGER, phase INTEGER, attempts INTEGER,
          system_failures INTEGER, error BLOB, outputs BLOB, attempt_started_ns INTEGER,
          runtime TEXT, handle TEXT, updated_ns INTEGER,
          PRIMARY KEY(execution_id, path, idx));
        CREATE TABLE IF NOT EXISTS signals(
          execution_id TEXT, signal_id TEXT, type BLOB, value BLOB, updated_ns INTEGER,
          PRIMARY KEY(execution_id, signal_id));
        CREATE TABLE IF NOT EXISTS cache(
          key TEXT PRIMARY KEY, task TEXT, outputs BLOB, size_bytes INTEGER,
          created_ns INTEGER, used_ns INTEGER, source_execution TEXT, source_node TEXT,
          source_attempt INTEGER);
        CREATE INDEX IF NOT EXISTS cache_by_use ON cache(used_ns);
        CREATE TABLE IF NOT EXISTS cache_reservations(
          key TEXT PRIMARY KEY, holder TEXT, expires_ns INTEGER);
        CREATE TABLE IF NOT EXISTS registry(
          resource_type INTEGER, project TEXT, domain TEXT, name TEXT, version TEXT, org TEXT,
          spec BLOB, closure BLOB, state INTEGER DEFAULT 0, created_ns INTEGER,
          updated_ns INTEGER,
          PRIMARY KEY(resource_type, project, domain, name, version, org));
        CREATE TABLE IF NOT EXISTS schedules(
          launch_plan TEXT PRIMARY KEY, activated_ns INTEGER, cursor_ns INTEGER,
          owner TEXT DEFAULT '', lease_expires_ns INTEGER DEFAULT 0);
        CREATE TABLE IF NOT EXISTS outbox(
          execution_id TEXT, phase INTEGER, created_ns INTEGER, expanded INTEGER DEFAULT 0,
          PRIMARY KEY(execution_id, phase));
        CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(expanded, created_ns);
        CREATE TABLE IF NOT EXISTS deliveries(
          id INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT, phase INTEGER, channel TEXT, target TEXT,
          payload BLOB, state INTEGER, attempts INTEGER, next_ns INTEGER, last_error TEXT,
          owner TEXT, lease_expires_ns INTEGER, created_ns INTEGER, updated_ns INTEGER);
        CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_ns);
      )")
                                 .WithContext(db.where() + ": create schema"));
    // Version 2: leases, roots, durable attempt times and handles.
    // Version 3: who set a signal, and why. Version 4: array elements (above).
    // Version 5: the cache and its reservations (above). Version 6: the
    // server's registry (above), and the project, domain and spec of executions.
    // Version 7: small literal data in the database (above). Version 8: one
    // registry (what `entities` held, moved into it below). Version 9: the
    // schedules' state (above). Version 10: the notifications' outbox and
    // deliveries (above).
    for (const auto& [table, column] : std::vector<std::pair<std::string, std::string>>{
             {"signals", "origin TEXT DEFAULT ''"},
             {"signals", "note TEXT DEFAULT ''"},
             {"executions", "root TEXT"},
             {"executions", "max_parallelism INTEGER DEFAULT 0"},
             {"executions", "overwrite_cache INTEGER DEFAULT 0"},
             {"executions", "project TEXT DEFAULT ''"},
             {"executions", "domain TEXT DEFAULT ''"},
             {"executions", "spec BLOB DEFAULT ''"},
             {"executions", "owner TEXT DEFAULT ''"},
             {"executions", "lease_expires_ns INTEGER DEFAULT 0"},
             {"nodes", "attempt_started_ns INTEGER DEFAULT 0"},
             {"nodes", "runtime TEXT DEFAULT ''"},
             {"nodes", "handle TEXT DEFAULT ''"}}) {
      FLYTECPP_ASSIGN_OR_RETURN(bool has, HasColumn(db, table, column.substr(0, column.find(' '))));
      if (!has) {
        FLYTECPP_RETURN_IF_ERROR(db.Exec("ALTER TABLE " + table + " ADD COLUMN " + column)
                                     .WithContext(db.where() + ": migrate schema"));
      }
    }
    auto entities =
        db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'entities'");
    if (!entities) return Fail(db, "read schema");
    const StepResult has_entities = entities->Step();
    entities.reset();
    if (has_entities == StepResult::kError) return Fail(db, "read schema");
    if (has_entities == StepResult::kRow) FLYTECPP_RETURN_IF_ERROR(MoveEntitiesToRegistry(db));
    return db
        .Exec(R"(
        UPDATE executions SET parent = '' WHERE parent IS NULL;
        UPDATE executions SET root = id WHERE root IS NULL AND parent = '';
        UPDATE executions SET root = parent WHERE root IS NULL;
        CREATE INDEX IF NOT EXISTS executions_by_root ON executions(root);
        CREATE INDEX IF NOT EXISTS executions_by_owner ON executions(owner);
        PRAGMA user_version = 10;
      )")
        .WithContext(db.where() + ": migrate schema");
  }();
  if (!st.ok()) {
    (void)db.Exec("ROLLBACK");
    return st;
  }
  return db.Exec("COMMIT").WithContext(db.where() + ": commit migration");
}

Status Configure(SqliteDatabase& db, Durability durability) {
  // Before anything else: concurrent first opens wait for each other
  // instead of failing with "database is locked".
  sqlite3_busy_timeout(db.raw(), kBusyTimeoutMs);
  const char* sync = durability == Durability::kFull     ? "FULL"
                     : durability == Durability::kNormal ? "NORMAL"
                                                         : "OFF";
  // Switching to WAL takes a lock the busy handler does not always wait
  // for (SQLITE_BUSY straight away when another opener holds it): retry.
  Status wal;
  for (int i = 0; i < 300; ++i) {
    wal = db.Exec("PRAGMA journal_mode=WAL");
    if (wal.ok() || sqlite3_errcode(db.raw()) != SQLITE_BUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + i % 20));
  }
  FLYTECPP_RETURN_IF_ERROR(wal.WithContext(db.where() + ": configure"));
  FLYTECPP_RETURN_IF_ERROR(
      db.Exec(std::string("PRAGMA synchronous=") + sync + "; PRAGMA foreign_keys=OFF;")
          .WithContext(db.where() + ": configure"));
  return Migrate(db);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& dir_in,
                                               Durability durability) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(dir_in, ec).lexically_normal();
  if (ec) return IoError(dir_in.string() + ": cannot resolve the store directory: " + ec.message());
  std::filesystem::create_directories(dir / "data", ec);
  if (ec) return IoError(dir.string() + ": cannot create the store directory: " + ec.message());
  sqlite3* raw = nullptr;
  std::string path = (dir / "flytecpp.db").string();
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return IoError(path + ": cannot open: " + msg);
  }
  auto db = std::make_unique<SqliteDatabase>(raw, path);
  FLYTECPP_RETURN_IF_ERROR(Configure(*db, durability));
  return MakeSqlStore(std::move(db), dir / "data");
}

Result<std::unique_ptr<Store>> OpenMemoryStore(const std::filesystem::path& data_dir_in) {
  std::error_code ec;
  const std::filesystem::path data_dir =
      std::filesystem::absolute(data_dir_in, ec).lexically_normal();
  if (data_dir_in.empty() || ec) {
    return InvalidArgument("a memory store needs a data directory (for data above 64 KiB)");
  }
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return IoError(data_dir.string() + ": cannot create the data directory: " + ec.message());
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(raw);
    return IoError("cannot open an in-memory database");
  }
  auto db = std::make_unique<SqliteDatabase>(raw, "memory store");
  // WAL does not apply in memory (SQLite keeps its "memory" journal).
  FLYTECPP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;")
                               .WithContext("memory store: configure"));
  FLYTECPP_RETURN_IF_ERROR(Migrate(*db));
  return MakeSqlStore(std::move(db), data_dir);
}

}  // namespace flytecpp::store
