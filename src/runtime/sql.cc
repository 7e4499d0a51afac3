#include "flytecpp/runtime/sql.h"

#include <google/protobuf/util/time_util.h>
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"

namespace flytecpp::runtime {

namespace {

namespace fs = std::filesystem;
using google::protobuf::util::TimeUtil;

TaskError UserError(std::string code, std::string message) {
  return {core::ExecutionError::USER, std::move(code), std::move(message), false};
}

// The statement, with `{{ .inputs.NAME }}` as `:flyte_NAME` parameters,
// and the inputs it names; an unknown name or other template is an error.
Result<std::string> Parameterize(const std::string& text, const core::LiteralMap& inputs,
                                 const std::string& task) {
  static const std::regex kRef(R"(\{\{\s*([^}]*?)\s*\}\})");
  static const std::regex kInput(R"(\.inputs\.([A-Za-z_][A-Za-z0-9_]*))");
  std::string out;
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
    out.append(last, (*it)[0].first);
    out += ":flyte_" + m[1].str();
    last = (*it)[0].second;
  }
  out.append(last, text.cend());
  return out;
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

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<int> kinds;  // SQLite type of each column's first non-null value
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<std::vector<int>> types;  // per cell
};

core::LiteralType ColumnType(int kind) {
  switch (kind) {
    case SQLITE_INTEGER: return idl::types::Int();
    case SQLITE_FLOAT: return idl::types::Float();
    default: return idl::types::String();
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
  std::mutex mu;
  std::condition_variable idle;
  std::map<std::string, sqlite3*> running;  // by attempt key, guarded by mu
  int active = 0;                           // attempt threads not ended, guarded by mu

  static std::string Key(const AttemptId& id) {
    return id.execution_id + "/" + id.node_path + "/" + std::to_string(id.token);
  }

  TaskOutcome Run(const AttemptSpec& spec) {
    const core::TaskTemplate& task = *spec.task;
    const std::string name = task.id().name();
    // Which statement, on which database.
    std::string statement = task.sql().statement();
    std::string database;
    if (auto it = task.config().find("flytecpp.sql.database"); it != task.config().end()) {
      database = it->second;
    }
    const auto& custom = task.custom().fields();
    if (statement.empty()) {
      if (auto q = custom.find("query_template"); q != custom.end())
        statement = q->second.string_value();
    }
    if (database.empty()) {
      if (auto u = custom.find("uri"); u != custom.end()) database = u->second.string_value();
    }
    if (database.rfind("file://", 0) == 0) database = database.substr(7);
    if (task.sql().dialect() == core::Sql::HIVE) {
      return UserError("SqlDialectUnsupported",
                       "task " + name + ": dialect HIVE cannot run on SQLite (ANSI or OTHER can)");
    }
    if (statement.empty())
      return UserError("SqlStatementMissing", "task " + name + ": no statement");
    if (database.empty()) {
      return UserError(
          "SqlDatabaseMissing",
          "task " + name + ": no database (config flytecpp.sql.database = a SQLite file)");
    }
    if (!fs::exists(database)) {
      return UserError("SqlDatabaseMissing",
                       "task " + name + ": database " + database + " does not exist");
    }
    auto text = Parameterize(statement, *spec.inputs, name);
    if (!text.ok()) return UserError("SqlTemplateError", text.status().message());

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
    const char* tail = text->c_str();
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
        current.kinds.push_back(SQLITE_NULL);
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
          if (current.kinds[c] == SQLITE_NULL) current.kinds[c] = kind;
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
};

SqlRuntime::SqlRuntime() : impl_(std::make_unique<Impl>()) {}

SqlRuntime::~SqlRuntime() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  for (auto& [key, db] : impl_->running) sqlite3_interrupt(db);
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
}

}  // namespace flytecpp::runtime
