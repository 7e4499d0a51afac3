// SQL tasks on SQLite: inputs as bound parameters, results as outputs, one
// clear line for each kind of mistake.
#include "flytecpp/runtime/sql.h"

#include <sqlite3.h>

#include <fstream>

#include "../engine/engine_test_util.h"

namespace flytecpp::runtime {
namespace {

using namespace flytecpp::engine::testing;
namespace fs = std::filesystem;

class SqlTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    db_ = (dir_.path() / "shop.db").string();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE t(name TEXT, price REAL, qty INTEGER);"
                           "INSERT INTO t VALUES('apple', 1.5, 3), ('pear', 2.25, 0),"
                           " ('fig, dried', 4.0, 7);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }

  TaskTemplate SqlTask(const std::string& statement,
                       std::vector<std::pair<std::string, LiteralType>> inputs,
                       std::vector<std::pair<std::string, LiteralType>> outputs,
                       core::Sql::Dialect dialect = core::Sql::ANSI) {
    TaskBuilder b("sql.query", "sql");
    for (auto& [n, t] : inputs) b.Input(n, t);
    for (auto& [n, t] : outputs) b.Output(n, t);
    TaskTemplate t = b.Build();
    t.mutable_sql()->set_statement(statement);
    t.mutable_sql()->set_dialect(dialect);
    (*t.mutable_config())["flytecpp.sql.database"] = db_;
    return t;
  }

  engine::ExecutionResult RunTask(const TaskTemplate& task, const core::LiteralMap& inputs) {
    return EngineTest::RunTask(task, inputs, FakeOptions(&sql_));
  }

  std::string db_;
  SqlRuntime sql_;
};

TEST_F(SqlTest, AResultSetBecomesACsvStructuredDataset) {
  auto r = RunTask(SqlTask("SELECT name, price FROM t WHERE qty >= {{ .inputs.min_qty }} "
                           "ORDER BY name",
                           {{"min_qty", types::Int()}}, {{"rows", types::StructuredDataset()}}),
                   lit::Inputs({{"min_qty", lit::Int(1)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  ASSERT_EQ(r.outputs.literals().count("rows"), 1u);
  const auto& sd = r.outputs.literals().at("rows").scalar().structured_dataset();
  ASSERT_EQ(sd.uri().rfind("file://", 0), 0u);
  std::ifstream in(sd.uri().substr(7));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "name,price\napple,1.5\n\"fig, dried\",4.0\n");
  const auto& type = sd.metadata().structured_dataset_type();
  EXPECT_EQ(type.format(), "csv");
  ASSERT_EQ(type.columns_size(), 2);
  EXPECT_EQ(type.columns(0).name(), "name");
  EXPECT_EQ(type.columns(1).literal_type().simple(), core::FLOAT);
}

TEST_F(SqlTest, InputsAreBoundNeverSplicedIntoTheStatement) {
  const std::string evil = "'; DROP TABLE t; --";
  auto r = RunTask(SqlTask("SELECT count(*) FROM t WHERE name = {{.inputs.name}}",
                           {{"name", types::String()}}, {{"n", types::Int()}}),
                   lit::Inputs({{"name", lit::String(evil)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  EXPECT_EQ(Int(r.outputs, "n"), 0);
  // The table survived, and the same input finds a row stored with that name.
  auto count =
      RunTask(SqlTask("INSERT INTO t VALUES({{ .inputs.name }}, 0, 0); SELECT count(*) FROM t",
                      {{"name", types::String()}}, {{"n", types::Int()}}),
              lit::Inputs({{"name", lit::String(evil)}}));
  ASSERT_EQ(count.phase, core::WorkflowExecution::SUCCEEDED)
      << (count.error ? count.error->message() : "");
  EXPECT_EQ(Int(count.outputs, "n"), 4);
}

TEST_F(SqlTest, SQLite3TaskAsFlytekitWritesIt) {
  // flytekit's SQLite3Task: type "sqlite", the query and the database in custom.
  TaskBuilder b("my.sqlite_task", "sqlite");
  b.Input("limit", types::Int()).Output("results", types::StructuredDataset());
  TaskTemplate t = b.Build();
  auto* custom = t.mutable_custom()->mutable_fields();
  (*custom)["query_template"].set_string_value(
      "SELECT name FROM t ORDER BY qty DESC LIMIT {{ .inputs.limit }}");
  (*custom)["uri"].set_string_value("file://" + db_);
  (*custom)["compressed"].set_bool_value(false);
  auto r = RunTask(t, lit::Inputs({{"limit", lit::Int(1)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  std::ifstream in(
      r.outputs.literals().at("results").scalar().structured_dataset().uri().substr(7));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "name\n\"fig, dried\"\n");
}

TEST_F(SqlTest, MistakesGetOneClearLine) {
  struct Case {
    TaskTemplate task;
    core::LiteralMap inputs;
    std::string code, message;
  };
  TaskTemplate no_db = SqlTask("SELECT 1", {}, {});
  (*no_db.mutable_config())["flytecpp.sql.database"] = (dir_.path() / "nope.db").string();
  std::vector<Case> cases = {
      {SqlTask("SELECT * FROM missing", {}, {}),
       {},
       "SqlError",
       "task sql.query: no such table: missing"},
      {SqlTask("SELECT {{ .inputs.y }}", {{"x", types::Int()}}, {}),
       lit::Inputs({{"x", lit::Int(1)}}), "SqlTemplateError",
       "task sql.query: the statement names input y, which the task does not have"},
      {SqlTask("SELECT 1", {}, {}, core::Sql::HIVE),
       {},
       "SqlDialectUnsupported",
       "task sql.query: dialect HIVE cannot run on SQLite (ANSI or OTHER can)"},
      {no_db,
       {},
       "SqlDatabaseMissing",
       "task sql.query: database " + (dir_.path() / "nope.db").string() + " does not exist"},
      {SqlTask("SELECT name FROM t", {}, {{"n", types::Int()}}),
       {},
       "SqlOutputMismatch",
       "task sql.query: output n (int) needs one row with one column; the query returned 3 rows "
       "of 1 columns"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    auto r = RunTask(c.task, c.inputs);
    EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind(), core::ExecutionError::USER);
    EXPECT_EQ(r.error->code(), c.code);
    EXPECT_EQ(r.error->message(), c.message);
    EXPECT_EQ(r.error->message().find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace flytecpp::runtime
