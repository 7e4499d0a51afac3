#include "flytecpp/runtime/sql.h"

#include <google/protobuf/util/time_util.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "flytecpp/util/text.h"

namespace flytecpp::runtime {

namespace {

namespace fs = std::filesystem;
using google::protobuf::util::TimeUtil;

TaskError UserError(std::string code, std::string message) {
  return {core::ExecutionError::USER, std::move(code), std::move(message), false};
}

// A statement with its input references made parameters.
struct Parameterized {
  std::string text;
  std::vector<std::string> names;  // distinct inputs, in order of first use
};

// The statement, with `{{ .inputs.NAME }}` as parameters — `:flyte_NAME`
// (SQLite) or `$N` (PostgreSQL, N = the input's place in `names`); an
// unknown name or another template is an error.
Result<Parameterized> Parameterize(const std::string& text, const core::LiteralMap& inputs,
                                   const std::string& task, bool positional) {
  static const std::regex kRef(R"(\{\{\s*([^}]*?)\s*\}\})");
  static const std::regex kInput(R"(\.inputs\.([A-Za-z_][A-Za-z0-9_]*))");
  Parameterized out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), kRef), end; it != end; ++it) {
    const std::string inner = (*it)[1];
    std::smatch m;
    if (!std::regex_match(inner, m, kInput)) {
      return InvalidArgument("task " + task + ": {{ " + inner +
                             " }} is not an input reference ({{ .inputs.NAME }})");
    }
    if (!inputs.literals().count(m[1])) {
      return InvalidArgument("task " + task + ": the statement names input " + m[1].str() +
                             ", which the task does not have");
    }
    out.text.append(last, (*it)[0].first);
    const std::string name = m[1].str();
    auto known = std::find(out.names.begin(), out.names.end(), name);
    if (known == out.names.end()) known = out.names.insert(out.names.end(), name);
    out.text += positional ? "$" + std::to_string(known - out.names.begin() + 1) : ":flyte_" + name;
    last = (*it)[0].second;
  }
  out.text.append(last, text.cend());
  return out;
}

// An input as a PostgreSQL text parameter; nullopt: NULL.
Result<std::optional<std::string>> ParameterText(const core::Literal& value,
                                                 const std::string& name) {
  if (!value.has_scalar()) {
    return InvalidArgument("input " + name + ": only scalars can be statement parameters");
  }
  const auto& s = value.scalar();
  if (s.has_none_type()) return std::optional<std::string>();
  if (!s.has_primitive()) {
    return InvalidArgument("input " + name + ": only primitives can be statement parameters");
  }
  const auto& p = s.primitive();
  switch (p.value_case()) {
    case core::Primitive::kInteger: return std::optional<std::string>(std::to_string(p.integer()));
    case core::Primitive::kFloatValue: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", p.float_value());
      return std::optional<std::string>(buf);
    }
    case core::Primitive::kStringValue: return std::optional<std::string>(p.string_value());
    case core::Primitive::kBoolean:
      return std::optional<std::string>(p.boolean() ? "true" : "false");
    case core::Primitive::kDatetime:
      return std::optional<std::string>(TimeUtil::ToString(p.datetime()));
    case core::Primitive::kDuration:
      return std::optional<std::string>(
          std::to_string(static_cast<double>(TimeUtil::DurationToNanoseconds(p.duration())) / 1e9) +
          " seconds");
    default: return std::optional<std::string>();
  }
}

Status Bind(sqlite3_stmt* stmt, int index, const core::Literal& value, const std::string& name) {
  if (!value.has_scalar()) {
    return InvalidArgument("input " + name + ": only scalars can be statement parameters");
  }
  const auto& s = value.scalar();
  if (s.has_none_type())
    return sqlite3_bind_null(stmt, index) == SQLITE_OK ? Status::Ok() : Internal("bind");
  if (!s.has_primitive()) {
    return InvalidArgument("input " + name + ": only primitives can be statement parameters");
  }
  const auto& p = s.primitive();
  int rc = SQLITE_OK;
  switch (p.value_case()) {
    case core::Primitive::kInteger: rc = sqlite3_bind_int64(stmt, index, p.integer()); break;
    case core::Primitive::kFloatValue:
      rc = sqlite3_bind_double(stmt, index, p.float_value());
      break;
    case core::Primitive::kStringValue:
      rc = sqlite3_bind_text(stmt, index, p.string_value().data(),
                             static_cast<int>(p.string_value().size()), SQLITE_TRANSIENT);
      break;
    case core::Primitive::kBoolean: rc = sqlite3_bind_int(stmt, index, p.boolean() ? 1 : 0); break;
    case core::Primitive::kDatetime: {
      const std::string t = TimeUtil::ToString(p.datetime());
      rc = sqlite3_bind_text(stmt, index, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
      break;
    }
    case core::Primitive::kDuration:
      rc = sqlite3_bind_double(
          stmt, index, static_cast<double>(TimeUtil::DurationToNanoseconds(p.duration())) / 1e9);
      break;
    default: rc = sqlite3_bind_null(stmt, index);
  }
  return rc == SQLITE_OK ? Status::Ok() : Internal("bind " + name);
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

enum class ColumnKind { kUnknown, kInteger, kFloat, kBoolean, kText };

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<ColumnKind> kinds;
  std::vector<std::vector<std::optional<std::string>>> rows;  // cells as text
};

core::LiteralType ColumnType(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kInteger: return idl::types::Int();
    case ColumnKind::kFloat: return idl::types::Float();
    case ColumnKind::kBoolean: return idl::types::Bool();
    default: return idl::types::String();
  }
}

ColumnKind SqliteKind(int type) {
  switch (type) {
    case SQLITE_INTEGER: return ColumnKind::kInteger;
    case SQLITE_FLOAT: return ColumnKind::kFloat;
    case SQLITE_NULL: return ColumnKind::kUnknown;
    default: return ColumnKind::kText;
  }
}

// PostgreSQL's built-in type oids (pg_type.dat): those that are not text.
ColumnKind PostgresKind(Oid type) {
  switch (type) {
    case 16: return ColumnKind::kBoolean;  // bool
    case 20:
    case 21:
    case 23:
    case 26: return ColumnKind::kInteger;  // int8 int2 int4 oid
    case 700:
    case 701:
    case 1700: return ColumnKind::kFloat;  // float4 float8 numeric
    default: return ColumnKind::kText;
  }
}

// The result as the task's declared outputs.
TaskOutcome Outputs(const core::TaskTemplate& task, const ResultSet& rs,
                    const std::string& out_dir) {
  const auto& vars = task.interface().outputs().variables();
  core::LiteralMap out;
  if (vars.empty()) return out;
  if (vars.size() != 1) {
    return UserError("SqlOutputMismatch", "task " + task.id().name() +
                                              ": a SQL task has at most one output (its result)");
  }
  const auto& [name, var] = *vars.begin();
  const core::LiteralType& t = var.type();
  if (t.has_structured_dataset_type() || t.has_schema()) {
    fs::create_directories(fs::path(out_dir) / name);
    const fs::path file = fs::path(out_dir) / name / "result.csv";
    std::ofstream csv(file);
    for (size_t c = 0; c < rs.columns.size(); ++c) csv << (c ? "," : "") << CsvField(rs.columns[c]);
    csv << "\n";
    for (const auto& row : rs.rows) {
      for (size_t c = 0; c < row.size(); ++c)
        csv << (c ? "," : "") << (row[c] ? CsvField(*row[c]) : "");
      csv << "\n";
    }
    csv.close();
    if (!csv) return UserError("SqlOutputFailed", "cannot write " + file.string());
    core::Literal sd = idl::lit::StructuredDataset("file://" + file.string(), "csv");
    auto* sdt = sd.mutable_scalar()
                    ->mutable_structured_dataset()
                    ->mutable_metadata()
                    ->mutable_structured_dataset_type();
    sdt->set_format("csv");
    for (size_t c = 0; c < rs.columns.size(); ++c) {
      auto* col = sdt->add_columns();
      col->set_name(rs.columns[c]);
      *col->mutable_literal_type() = ColumnType(rs.kinds[c]);
    }
    (*out.mutable_literals())[name] = std::move(sd);
    return out;
  }
  if (!t.has_simple() || rs.rows.size() != 1 || rs.columns.size() != 1) {
    return UserError("SqlOutputMismatch",
                     "task " + task.id().name() + ": output " + name + " (" + idl::TypeString(t) +
                         ") needs one row with one column; the query returned " +
                         std::to_string(rs.rows.size()) + " rows of " +
                         std::to_string(rs.columns.size()) + " columns");
  }
  const auto& cell = rs.rows[0][0];
  auto value = cell ? idl::ParseLiteral(*cell, t) : Result<core::Literal>(idl::lit::None());
  if (!value.ok()) {
    return UserError("SqlOutputMismatch", "task " + task.id().name() + ": output " + name + ": " +
                                              value.status().message());
  }
  (*out.mutable_literals())[name] = std::move(value).value();
  return out;
}

}  // namespace

struct SqlRuntime::Impl {
  SqlRuntimeOptions options;
  std::mutex mu;
  std::condition_variable idle;
  // What Abort interrupts, by attempt key; guarded by mu.
  std::map<std::string, sqlite3*> running;
  std::map<std::string, PGcancel*> running_pg;
  int active = 0;  // attempt threads not ended, guarded by mu

  static std::string Key(const AttemptId& id) {
    return id.execution_id + "/" + id.node_path + "/" + std::to_string(id.token);
  }

  TaskOutcome Run(const AttemptSpec& spec) {
    const core::TaskTemplate& task = *spec.task;
    const std::string name = task.id().name();
    // Which statement, on which database.
    std::string statement = task.sql().statement();
    std::string database, connection;
    if (auto it = task.config().find("flytecpp.sql.database"); it != task.config().end()) {
      database = it->second;
    }
    if (auto it = task.config().find("flytecpp.sql.connection"); it != task.config().end()) {
      connection = it->second;
    }
    const auto& custom = task.custom().fields();
    if (statement.empty()) {
      if (auto q = custom.find("query_template"); q != custom.end())
        statement = q->second.string_value();
    }
    if (database.empty() && connection.empty()) {
      if (auto u = custom.find("uri"); u != custom.end()) database = u->second.string_value();
    }
    if (database.rfind("file://", 0) == 0) database = database.substr(7);
    if (statement.empty())
      return UserError("SqlStatementMissing", "task " + name + ": no statement");
    if (!database.empty() && !connection.empty()) {
      return UserError(
          "SqlDatabaseMissing",
          "task " + name + ": both flytecpp.sql.database and flytecpp.sql.connection are set");
    }
    if (!connection.empty()) {
      auto it = options.connections.find(connection);
      if (it == options.connections.end()) {
        std::string known;
        for (const auto& [n, c] : options.connections) known += (known.empty() ? "" : ", ") + n;
        return UserError(
            "SqlDatabaseMissing",
            "task " + name + ": no SQL connection \"" + connection + "\" in the config (" +
                (known.empty() ? std::string("it names none") : "it has: " + known) + ")");
      }
      if (task.sql().dialect() == core::Sql::HIVE) {
        return UserError("SqlDialectUnsupported", "task " + name +
                                                      ": dialect HIVE cannot run on PostgreSQL "
                                                      "(ANSI or OTHER can)");
      }
      auto text = Parameterize(statement, *spec.inputs, name, /*positional=*/true);
      if (!text.ok()) return UserError("SqlTemplateError", text.status().message());
      return RunPostgres(spec, connection, it->second, *text);
    }
    if (task.sql().dialect() == core::Sql::HIVE) {
      return UserError("SqlDialectUnsupported",
                       "task " + name + ": dialect HIVE cannot run on SQLite (ANSI or OTHER can)");
    }
    if (database.empty()) {
      return UserError("SqlDatabaseMissing",
                       "task " + name +
                           ": no database (config flytecpp.sql.database = a SQLite file, or "
                           "flytecpp.sql.connection = a connection of the config)");
    }
    if (!fs::exists(database)) {
      return UserError("SqlDatabaseMissing",
                       "task " + name + ": database " + database + " does not exist");
    }
    auto text = Parameterize(statement, *spec.inputs, name, /*positional=*/false);
    if (!text.ok()) return UserError("SqlTemplateError", text.status().message());
    return RunSqlite(spec, database, text->text);
  }

  TaskOutcome RunSqlite(const AttemptSpec& spec, const std::string& database,
                        const std::string& text) {
    const core::TaskTemplate& task = *spec.task;
    const std::string name = task.id().name();
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string why = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      return UserError("SqlError", "task " + name + ": " + database + ": " + why);
    }
    sqlite3_busy_timeout(db, 5000);
    {
      std::lock_guard<std::mutex> lock(mu);
      running[Key(spec.id)] = db;
    }
    ResultSet rs;
    std::optional<TaskError> failed;
    const char* tail = text.c_str();
    while (!failed && tail != nullptr && *tail != '\0') {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, tail, -1, &stmt, &tail) != SQLITE_OK) {
        failed = UserError("SqlError", "task " + name + ": " + sqlite3_errmsg(db));
        break;
      }
      if (stmt == nullptr) continue;  // whitespace or a comment
      for (const auto& [input, value] : spec.inputs->literals()) {
        const int index = sqlite3_bind_parameter_index(stmt, (":flyte_" + input).c_str());
        if (index == 0) continue;
        Status st = Bind(stmt, index, value, input);
        if (!st.ok()) failed = UserError("SqlError", "task " + name + ": " + st.message());
      }
      ResultSet current;
      const int ncol = sqlite3_column_count(stmt);
      for (int c = 0; c < ncol; ++c) {
        current.columns.push_back(sqlite3_column_name(stmt, c));
        current.kinds.push_back(ColumnKind::kUnknown);
      }
      int rc;
      while (!failed && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        std::vector<std::optional<std::string>> row;
        for (int c = 0; c < ncol; ++c) {
          const int kind = sqlite3_column_type(stmt, c);
          if (kind == SQLITE_NULL) {
            row.push_back(std::nullopt);
            continue;
          }
          if (current.kinds[c] == ColumnKind::kUnknown) current.kinds[c] = SqliteKind(kind);
          const auto* p = sqlite3_column_text(stmt, c);
          row.emplace_back(std::string(reinterpret_cast<const char*>(p),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        }
        current.rows.push_back(std::move(row));
      }
      if (!failed && rc != SQLITE_DONE) {
        failed = UserError("SqlError", "task " + name + ": " + sqlite3_errmsg(db));
      }
      sqlite3_finalize(stmt);
      if (ncol > 0) rs = std::move(current);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      running.erase(Key(spec.id));
    }
    sqlite3_close(db);
    if (failed) return *failed;
    return Outputs(task, rs, spec.output_dir.string());
  }

  TaskOutcome RunPostgres(const AttemptSpec& spec, const std::string& connection_name,
                          const SqlConnection& connection, const Parameterized& text) {
    const core::TaskTemplate& task = *spec.task;
    const std::string name = task.id().name();
    const std::string where = "task " + name + ": connection " + connection_name;
    // The password from the secret store, never from the config or a
    // command line; libpq gets it as a parameter of its own.
    std::optional<std::string> password;
    if (!connection.password_secret.empty()) {
      const size_t slash = connection.password_secret.find('/');
      const std::string group = connection.password_secret.substr(0, slash),
                        key = connection.password_secret.substr(slash + 1);
      auto value = LookUpSecret(options.secrets ? &*options.secrets : nullptr, group, key);
      if (!value.ok()) return UserError("SecretNotFound", where + ": " + value.status().message());
      password = *value;
      if (!password) {
        return UserError("SecretNotFound", where + ": its password secret " +
                                               connection.password_secret +
                                               " is not set (flytecpp secrets set " +
                                               connection.password_secret + ")");
      }
    }
    std::vector<const char*> keys = {"dbname", "connect_timeout"};
    std::vector<const char*> values = {connection.conninfo.c_str(), "10"};
    if (password) {
      keys.push_back("password");
      values.push_back(password->c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    auto close = [&] { PQfinish(conn); };
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string why = OneLine(conn ? PQerrorMessage(conn) : "out of memory");
      close();
      if (password) {  // libpq does not echo it, but make sure
        for (size_t p = why.find(*password); p != std::string::npos; p = why.find(*password))
          why.replace(p, password->size(), "[secret]");
      }
      return TaskError{core::ExecutionError::USER, "SqlConnectionFailed", where + ": " + why,
                       /*retryable=*/true};
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      running_pg[Key(spec.id)] = PQgetCancel(conn);
    }
    std::vector<std::optional<std::string>> params;
    std::optional<TaskError> failed;
    for (const auto& input : text.names) {
      auto v = ParameterText(spec.inputs->literals().at(input), input);
      if (!v.ok()) {
        failed = UserError("SqlError", "task " + name + ": " + v.status().message());
        break;
      }
      params.push_back(*v);
    }
    ResultSet rs;
    if (!failed) {
      std::vector<const char*> pointers;
      for (const auto& p : params) pointers.push_back(p ? p->c_str() : nullptr);
      // Without parameters the text may be several statements (the rows
      // are the last one's); with them, one (the extended protocol's rule).
      PGresult* result =
          params.empty() ? PQexec(conn, text.text.c_str())
                         : PQexecParams(conn, text.text.c_str(), static_cast<int>(pointers.size()),
                                        nullptr, pointers.data(), nullptr, nullptr, 0);
      const ExecStatusType status = PQresultStatus(result);
      if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        const std::string why = OneLine(PQresultErrorMessage(result));
        failed = UserError("SqlError", "task " + name + ": " + why);
      } else if (status == PGRES_TUPLES_OK) {
        const int ncol = PQnfields(result);
        for (int c = 0; c < ncol; ++c) {
          rs.columns.push_back(PQfname(result, c));
          rs.kinds.push_back(PostgresKind(PQftype(result, c)));
        }
        for (int r = 0; r < PQntuples(result); ++r) {
          std::vector<std::optional<std::string>> row;
          for (int c = 0; c < ncol; ++c) {
            if (PQgetisnull(result, r, c)) {
              row.push_back(std::nullopt);
              continue;
            }
            std::string cell(PQgetvalue(result, r, c),
                             static_cast<size_t>(PQgetlength(result, r, c)));
            if (rs.kinds[c] == ColumnKind::kBoolean) cell = cell == "t" ? "true" : "false";
            row.push_back(std::move(cell));
          }
          rs.rows.push_back(std::move(row));
        }
      }
      PQclear(result);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = running_pg.find(Key(spec.id));
      PQfreeCancel(it->second);
      running_pg.erase(it);
    }
    close();
    if (failed) return *failed;
    return Outputs(task, rs, spec.output_dir.string());
  }

  void CancelAll() {  // REQUIRES: mu
    for (auto& [key, db] : running) sqlite3_interrupt(db);
    for (auto& [key, cancel] : running_pg) {
      char err[256];
      PQcancel(cancel, err, sizeof err);
    }
  }
};

SqlRuntime::SqlRuntime(SqlRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

SqlRuntime::~SqlRuntime() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->CancelAll();
  impl_->idle.wait(lock, [&] { return impl_->active == 0; });
}

bool SqlRuntime::CanRun(const core::TaskTemplate& task) const {
  return task.has_sql() || task.type() == "sqlite";
}

Status SqlRuntime::Start(AttemptSpec spec, AttemptCallbacks callbacks) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    ++impl_->active;
  }
  // One thread per statement: SQL tasks are few and mostly wait on I/O.
  std::thread([impl = impl_.get(), spec = std::move(spec), callbacks = std::move(callbacks)] {
    TaskOutcome outcome = impl->Run(spec);
    callbacks.done(spec.id, std::move(outcome));
    std::lock_guard<std::mutex> lock(impl->mu);
    if (--impl->active == 0) impl->idle.notify_all();
  }).detach();
  return Status::Ok();
}

void SqlRuntime::Abort(const AttemptId& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (auto it = impl_->running.find(Impl::Key(id)); it != impl_->running.end()) {
    sqlite3_interrupt(it->second);
  }
  if (auto it = impl_->running_pg.find(Impl::Key(id)); it != impl_->running_pg.end()) {
    char err[256];
    PQcancel(it->second, err, sizeof err);
  }
}

}  // namespace flytecpp::runtime
