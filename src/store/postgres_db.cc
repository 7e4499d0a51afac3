// The store on PostgreSQL (libpq), for several servers sharing work: the
// same tables as SQLite's (sql_store.cc), BYTEA for blobs and BIGINT for
// integers. Statements are prepared once per connection; parameters go as
// text (integers, text) or binary (blobs), results come back binary.
// Literal data stays in files, under a data directory the servers share.
#include <endian.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "flytecpp/util/text.h"
#include "migrations.h"
#include "sql_store.h"

namespace flytecpp::store {

namespace {

constexpr int kSchemaVersion = 10;
// How long a lost connection is tried again before the call fails.
constexpr std::chrono::seconds kReconnectFor{30};
// Held while the schema is created: servers starting together do it once.
constexpr int64_t kSchemaLockKey = 0x666c797465637070;  // "flytecpp"

// SQLite's `?` and `?N` placeholders as PostgreSQL's `$N`; `*count` gets the
// highest number used. Quoted text is left alone.
std::string Renumber(const std::string& sql, int* count) {
  std::string out;
  int next = 0;
  *count = 0;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (c != '?' || quoted) {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
    const int n = j > i + 1 ? std::stoi(sql.substr(i + 1, j - i - 1)) : ++next;
    *count = std::max(*count, n);
    out += "$" + std::to_string(n);
    i = j - 1;
  }
  return out;
}

// What errors may name of a connection string: not its password.
std::string Redact(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return "postgres (unparsable connection string)";
  std::string host, port, db;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
    if (std::strcmp(o->keyword, "dbname") == 0) db = o->val;
  }
  PQconninfoFree(options);
  return "postgres://" + (host.empty() ? std::string("localhost") : host) +
         (port.empty() ? "" : ":" + port) + "/" + db;
}

class PostgresDatabase;

class PostgresStatement : public SqlStatement {
 public:
  PostgresStatement(PostgresDatabase* db, std::string name, std::string text, int params)
      : db_(db),
        name_(std::move(name)),
        text_(std::move(text)),
        values_(params),
        formats_(params, 0) {}
  ~PostgresStatement() override { PQclear(result_); }

  void Reset() override {
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    for (auto& v : values_) v.reset();
  }
  void BindBlob(int i, const std::string& bytes) override { Set(i, bytes, 1); }
  void BindText(int i, const std::string& text) override { Set(i, text, 0); }
  void BindInt(int i, int64_t value) override { Set(i, std::to_string(value), 0); }
  void BindNull(int i) override {
    if (i >= 1 && i <= static_cast<int>(values_.size())) values_[i - 1].reset();
  }
  StepResult Step() override;
  std::string Blob(int col) override {
    return std::string(PQgetvalue(result_, row_, col), PQgetlength(result_, row_, col));
  }
  std::string Text(int col) override { return Blob(col); }
  int64_t Int(int col) override {
    const char* p = PQgetvalue(result_, row_, col);
    switch (PQgetlength(result_, row_, col)) {
      case 8: {
        uint64_t v;
        std::memcpy(&v, p, 8);
        return static_cast<int64_t>(be64toh(v));
      }
      case 4: {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return static_cast<int32_t>(be32toh(v));
      }
      case 2: {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return static_cast<int16_t>(be16toh(v));
      }
      default: return 0;  // NULL
    }
  }
  bool IsNull(int col) override { return PQgetisnull(result_, row_, col) != 0; }
  int64_t Changes() override {
    const char* n = result_ != nullptr ? PQcmdTuples(result_) : "";
    return *n != '\0' ? std::stoll(n) : 0;
  }

 private:
  void Set(int i, const std::string& value, int format) {
    if (i < 1 || i > static_cast<int>(values_.size())) return;
    values_[i - 1] = value;
    formats_[i - 1] = format;
  }

  PGresult* Execute();

  PostgresDatabase* db_;
  std::string name_, text_;  // its prepared name, and its SQL in PostgreSQL's placeholders
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

class PostgresDatabase : public SqlDatabase {
 public:
  PostgresDatabase(PGconn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  ~PostgresDatabase() override { PQfinish(conn_); }

  std::unique_ptr<SqlStatement> Prepare(const std::string& sql) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      Known known;
      known.text = Renumber(sql, &known.params);
      known.name = "s" + std::to_string(statements_.size());
      it = statements_.emplace(sql, std::move(known)).first;
    }
    const Known& k = it->second;
    if (!EnsurePrepared(k.name, k.text, k.params)) return nullptr;
    return std::make_unique<PostgresStatement>(this, k.name, k.text, k.params);
  }

  Status Exec(const std::string& sql) override {
    PGresult* r = Run([&] { return PQexec(conn_, sql.c_str()); });
    const auto status = PQresultStatus(r);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok) Failed(r);
    PQclear(r);
    return ok ? Status::Ok() : IoError(error_);
  }

  std::string LastError() override { return error_; }
  bool LastErrorRetryable() override {
    // A serialization failure, a deadlock, or a transaction the connection
    // lost (it was made again: the whole transaction can be tried again).
    return sqlstate_ == "40001" || sqlstate_ == "40P01" || lost_transaction_;
  }

  // Prepares statement `name` on this connection unless it already is
  // (a connection made again has none).
  bool EnsurePrepared(const std::string& name, const std::string& text, int params) {
    if (prepared_.count(name)) return true;
    PGresult* r =
        Run([&] { return PQprepare(conn_, name.c_str(), text.c_str(), params, nullptr); });
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) Failed(r);
    PQclear(r);
    if (ok) prepared_.insert(name);
    return ok;
  }

  // Runs `call` (a libpq call on conn_). If the connection was lost (the
  // server restarted, the network broke), it is made again, with back-off,
  // for up to kReconnectFor: a call outside a transaction is then run
  // again; one inside a transaction is not (the transaction is gone) and
  // fails as retryable, so that the store runs the whole transaction again.
  template <typename Call>
  PGresult* Run(Call call) {
    lost_transaction_ = false;
    const PGTransactionStatusType before = PQtransactionStatus(conn_);
    // (UNKNOWN: the connection was lost before; no transaction of ours is open.)
    const bool in_transaction = before != PQTRANS_IDLE && before != PQTRANS_UNKNOWN;
    PGresult* r = call();
    if (PQstatus(conn_) != CONNECTION_BAD) return r;
    if (!Reconnect()) return r;
    if (in_transaction) {
      lost_transaction_ = true;
      return r;
    }
    PQclear(r);
    return call();
  }
  const char* BeginWrite() const override { return "BEGIN"; }
  const char* ForUpdate() const override { return " FOR UPDATE"; }
  const char* LockKey() const override { return "SELECT pg_advisory_xact_lock(hashtext(?))"; }
  const std::string& where() const override { return where_; }

  PGconn* conn() { return conn_; }

  // Makes the connection again (PQreset), waiting longer between tries, for
  // up to kReconnectFor; the statements it had are prepared again on use.
  bool Reconnect() {
    const auto give_up = std::chrono::steady_clock::now() + kReconnectFor;
    auto wait = std::chrono::milliseconds(50);
    for (;;) {
      PQreset(conn_);
      if (PQstatus(conn_) == CONNECTION_OK) {
        prepared_.clear();
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
        return true;
      }
      if (std::chrono::steady_clock::now() + wait > give_up) return false;
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds(2000));
    }
  }

  // Remembers why `r` failed (or the connection, when there is no result).
  void Failed(const PGresult* r) {
    const char* msg = r != nullptr ? PQresultErrorMessage(r) : "";
    error_ = OneLine(*msg != '\0' ? msg : PQerrorMessage(conn_));
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    sqlstate_ = state != nullptr ? state : "";
  }

 private:
  struct Known {  // a statement's name and text, for every connection
    std::string name, text;
    int params = 0;
  };
  PGconn* conn_;
  std::string where_;
  std::unordered_map<std::string, Known> statements_;  // by the SQL it was asked for
  std::unordered_set<std::string> prepared_;           // names prepared on this connection
  std::string error_, sqlstate_;
  bool lost_transaction_ = false;
};

PGresult* PostgresStatement::Execute() {
  std::vector<const char*> values(values_.size());
  std::vector<int> lengths(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    values[i] = values_[i] ? values_[i]->data() : nullptr;
    lengths[i] = values_[i] ? static_cast<int>(values_[i]->size()) : 0;
  }
  return db_->Run([&]() -> PGresult* {
    // Prepared again on a connection made again.
    if (!db_->EnsurePrepared(name_, text_, static_cast<int>(values.size()))) return nullptr;
    return PQexecPrepared(db_->conn(), name_.c_str(), static_cast<int>(values.size()),
                          values.data(), lengths.data(), formats_.data(), /*binary=*/1);
  });
}

StepResult PostgresStatement::Step() {
  if (result_ == nullptr) {
    result_ = Execute();
    if (result_ == nullptr) return StepResult::kError;  // not prepared: LastError says why
    const auto status = PQresultStatus(result_);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      db_->Failed(result_);
      return StepResult::kError;
    }
  }
  ++row_;
  return row_ < PQntuples(result_) ? StepResult::kRow : StepResult::kDone;
}

Status CreateSchema(PostgresDatabase& db) {
  const std::string context = db.where() + ": create schema";
  FLYTECPP_RETURN_IF_ERROR(db.Exec("BEGIN").WithContext(context));
  Status st = [&]() -> Status {
    FLYTECPP_RETURN_IF_ERROR(
        db.Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ")"));
    FLYTECPP_RETURN_IF_ERROR(db.Exec(R"(
      CREATE TABLE IF NOT EXISTS flytecpp_schema(version BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS executions(
        id TEXT PRIMARY KEY, workflow TEXT, phase BIGINT, parent TEXT DEFAULT '', root TEXT,
        closure BYTEA, inputs BYTEA, outputs BYTEA, error BYTEA,
        max_parallelism BIGINT DEFAULT 0, overwrite_cache BIGINT DEFAULT 0,
        project TEXT DEFAULT '', domain TEXT DEFAULT '', spec BYTEA DEFAULT '',
        created_ns BIGINT, updated_ns BIGINT, owner TEXT DEFAULT '',
        lease_expires_ns BIGINT DEFAULT 0, abort_requested BIGINT DEFAULT 0);
      CREATE INDEX IF NOT EXISTS executions_by_root ON executions(root);
      CREATE INDEX IF NOT EXISTS executions_by_owner ON executions(owner);
      CREATE INDEX IF NOT EXISTS executions_by_created ON executions(created_ns);
      CREATE TABLE IF NOT EXISTS nodes(
        execution_id TEXT, path TEXT, phase BIGINT, attempts BIGINT, system_failures BIGINT,
        error BYTEA, started_ns BIGINT, attempt_started_ns BIGINT DEFAULT 0,
        runtime TEXT DEFAULT '', handle TEXT DEFAULT '', updated_ns BIGINT,
        PRIMARY KEY(execution_id, path));
      CREATE TABLE IF NOT EXISTS events(
        seq BIGSERIAL PRIMARY KEY, execution_id TEXT, kind BIGINT, node_path TEXT,
        payload BYTEA);
      CREATE INDEX IF NOT EXISTS events_by_execution ON events(execution_id, seq);
      CREATE TABLE IF NOT EXISTS data(
        execution_id TEXT, key TEXT, value BYTEA, PRIMARY KEY(execution_id, key));
      CREATE TABLE IF NOT EXISTS elements(
        execution_id TEXT, path TEXT, idx BIGINT, phase BIGINT, attempts BIGINT,
        system_failures BIGINT, error BYTEA, outputs BYTEA, attempt_started_ns BIGINT,
        runtime TEXT, handle TEXT, updated_ns BIGINT,
        PRIMARY KEY(execution_id, path, idx));
      CREATE TABLE IF NOT EXISTS signals(
        execution_id TEXT, signal_id TEXT, type BYTEA, value BYTEA, origin TEXT DEFAULT '',
        note TEXT DEFAULT '', updated_ns BIGINT, PRIMARY KEY(execution_id, signal_id));
      CREATE TABLE IF NOT EXISTS cache(
        key TEXT PRIMARY KEY, task TEXT, outputs BYTEA, size_bytes BIGINT, created_ns BIGINT,
        used_ns BIGINT, source_execution TEXT, source_node TEXT, source_attempt BIGINT);
      CREATE INDEX IF NOT EXISTS cache_by_use ON cache(used_ns);
      CREATE TABLE IF NOT EXISTS cache_reservations(
        key TEXT PRIMARY KEY, holder TEXT, expires_ns BIGINT);
      CREATE TABLE IF NOT EXISTS registry(
        resource_type BIGINT, project TEXT, domain TEXT, name TEXT, version TEXT, org TEXT,
        spec BYTEA, closure BYTEA, state BIGINT DEFAULT 0, created_ns BIGINT, updated_ns BIGINT,
        PRIMARY KEY(resource_type, project, domain, name, version, org));
      CREATE TABLE IF NOT EXISTS schedules(
        launch_plan TEXT PRIMARY KEY, activated_ns BIGINT, cursor_ns BIGINT,
        owner TEXT DEFAULT '', lease_expires_ns BIGINT DEFAULT 0);
      CREATE TABLE IF NOT EXISTS outbox(
        execution_id TEXT, phase BIGINT, created_ns BIGINT, expanded BIGINT DEFAULT 0,
        PRIMARY KEY(execution_id, phase));
      CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(expanded, created_ns);
      CREATE TABLE IF NOT EXISTS deliveries(
        id BIGSERIAL PRIMARY KEY, execution_id TEXT, phase BIGINT, channel TEXT, target TEXT,
        payload BYTEA, state BIGINT, attempts BIGINT, next_ns BIGINT, last_error TEXT,
        owner TEXT, lease_expires_ns BIGINT, created_ns BIGINT, updated_ns BIGINT);
      CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_ns);
    )"));
    auto v = db.Prepare("SELECT version FROM flytecpp_schema");
    if (!v) return IoError(db.LastError());
    const StepResult rc = v->Step();
    if (rc == StepResult::kError) return IoError(db.LastError());
    if (rc == StepResult::kDone) {
      return db.Exec("INSERT INTO flytecpp_schema(version) VALUES(" +
                     std::to_string(kSchemaVersion) + ")");
    }
    if (v->Int(0) > kSchemaVersion) {
      return FailedPrecondition("the store was written by a newer flytecpp (schema " +
                                std::to_string(v->Int(0)) + ")");
    }
    if (v->Int(0) < kSchemaVersion) {  // the tables above were added: that is the migration
      const int64_t from = v->Int(0);
      v.reset();
      if (from < 8) {
        auto entities = db.Prepare(
            "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'entities' AND "
            "schemaname = current_schema()");
        if (!entities || entities->Step() != StepResult::kRow) return IoError(db.LastError());
        const bool has_entities = entities->Int(0) > 0;
        entities.reset();
        if (has_entities) FLYTECPP_RETURN_IF_ERROR(MoveEntitiesToRegistry(db));
      }
      return db.Exec("UPDATE flytecpp_schema SET version = " + std::to_string(kSchemaVersion));
    }
    return Status::Ok();
  }();
  if (!st.ok()) {
    (void)db.Exec("ROLLBACK");
    return st.WithContext(context);
  }
  return db.Exec("COMMIT").WithContext(context);
}

}  // namespace

std::string StoreDisplayName(const std::string& where) {
  return IsPostgresUrl(where) ? Redact(where) : where;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 const std::filesystem::path& data_dir_in) {
  const std::string where = Redact(conninfo);
  if (data_dir_in.empty()) {
    return InvalidArgument(where +
                           ": a PostgreSQL store needs a data directory (where literal data "
                           "lives; servers sharing the database share it too)");
  }
  std::error_code ec;
  const std::filesystem::path data_dir =
      std::filesystem::absolute(data_dir_in, ec).lexically_normal();
  if (!ec) std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return IoError(data_dir_in.string() + ": cannot create the data directory: " + ec.message());
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string msg = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return IoError(where + ": cannot connect: " + msg);
  }
  // Notices (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  auto db = std::make_unique<PostgresDatabase>(conn, where);
  FLYTECPP_RETURN_IF_ERROR(CreateSchema(*db));
  return MakeSqlStore(std::move(db), data_dir);
}

}  // namespace flytecpp::store
