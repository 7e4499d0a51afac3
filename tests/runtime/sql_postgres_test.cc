// SQL tasks on a real PostgreSQL server (the throwaway one the test command
// starts: tests/support/postgres.sh): inputs are bound parameters, the
// password comes from the secret store, result sets become outputs.
#include <fstream>

#include "../engine/engine_test_util.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/runtime/sql.h"
#include "support/pg_schema.h"

namespace flytecpp::runtime {
namespace {

using namespace flytecpp::engine::testing;
namespace fs = std::filesystem;

class PostgresTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (!pg_.available()) GTEST_SKIP() << flytecpp::testing::PgSchema::kSkip;
    conninfo_ = pg_.conninfo();
    password_ = pg_.password();
    schema_ = pg_.name();
  }

  std::string Exec(const std::string& sql) { return pg_.Exec(sql); }

  SqlRuntimeOptions RuntimeOptions() {
    SqlRuntimeOptions o;
    o.connections["warehouse"] = {conninfo_ + " options=-csearch_path=" + schema_, "db/pg"};
    o.secrets.emplace(dir_.path() / "secrets");
    return o;
  }

  engine::ExecutionResult Run(SqlRuntime& runtime, const TaskTemplate& task,
                              const core::LiteralMap& inputs) {
    auto o = Options();
    o.runtimes = {&runtime};
    o.clock = nullptr;
    return EngineTest::RunTask(task, inputs, std::move(o));
  }

  TaskTemplate Query(const std::string& name, const std::string& statement,
                     std::vector<std::pair<std::string, LiteralType>> inputs,
                     std::pair<std::string, LiteralType> output) {
    TaskBuilder b(name, "sql");
    for (auto& [n, t] : inputs) b.Input(n, t);
    b.Output(output.first, output.second);
    b.Sql(statement);
    b.Config("flytecpp.sql.connection", "warehouse");
    return b.Build();
  }

  flytecpp::testing::PgSchema pg_;
  std::string conninfo_, password_, schema_;
};

TEST_F(PostgresTest, InputsAreBoundParametersNeverText) {
  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("db", "pg", password_).ok());
  Exec("CREATE TABLE " + schema_ + ".t(name text)");
  Exec("INSERT INTO " + schema_ + ".t VALUES ('alice')");
  SqlRuntime runtime(RuntimeOptions());
  TaskTemplate t = Query("pg.count", "SELECT count(*) FROM t WHERE name = {{ .inputs.name }}",
                         {{"name", types::String()}}, {"n", types::Int()});
  auto hostile = Run(runtime, t, lit::Inputs({{"name", lit::String("'; DROP TABLE t; --")}}));
  ASSERT_EQ(hostile.phase, core::WorkflowExecution::SUCCEEDED)
      << (hostile.error ? hostile.error->message() : "");
  ASSERT_TRUE(hostile.outputs.literals().contains("n"));
  EXPECT_EQ(Int(hostile.outputs, "n"), 0);
  EXPECT_EQ(Exec("SELECT count(*) FROM " + schema_ + ".t"), "1");  // the table survived
  auto alice = Run(runtime, t, lit::Inputs({{"name", lit::String("alice")}}));
  ASSERT_EQ(alice.phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(alice.outputs, "n"), 1);
}

TEST_F(PostgresTest, AResultSetIsAStructuredDatasetWithTypedColumns) {
  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("db", "pg", password_).ok());
  Exec("CREATE TABLE " + schema_ + ".m(id int, score float8, ok bool, note text)");
  Exec("INSERT INTO " + schema_ + ".m VALUES (1, 0.5, true, 'a,b'), (2, NULL, false, 'c')");
  SqlRuntime runtime(RuntimeOptions());
  TaskTemplate t = Query("pg.rows", "SELECT * FROM m WHERE id >= {{ .inputs.min }} ORDER BY id",
                         {{"min", types::Int()}}, {"rows", types::StructuredDataset()});
  auto r = Run(runtime, t, lit::Inputs({{"min", lit::Int(1)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  ASSERT_TRUE(r.outputs.literals().contains("rows"));
  const auto& sd = r.outputs.literals().at("rows").scalar().structured_dataset();
  const auto& cols = sd.metadata().structured_dataset_type().columns();
  ASSERT_EQ(cols.size(), 4);
  EXPECT_EQ(cols[0].name(), "id");
  EXPECT_EQ(cols[0].literal_type().simple(), core::INTEGER);
  EXPECT_EQ(cols[1].literal_type().simple(), core::FLOAT);
  EXPECT_EQ(cols[2].literal_type().simple(), core::BOOLEAN);
  EXPECT_EQ(cols[3].literal_type().simple(), core::STRING);
  ASSERT_EQ(sd.uri().rfind("file://", 0), 0u);
  auto csv = idl::ReadFileBytes(sd.uri().substr(7) + "");
  ASSERT_TRUE(csv.ok()) << sd.uri();
  EXPECT_EQ(*csv, "id,score,ok,note\n1,0.5,true,\"a,b\"\n2,,false,c\n");
}

TEST_F(PostgresTest, ThePasswordComesFromTheSecretStoreAndNeverLeaks) {
  SqlRuntime runtime(RuntimeOptions());
  TaskTemplate t = Query("pg.one", "SELECT 1", {}, {"one", types::Int()});
  auto unset = Run(runtime, t, lit::Inputs({}));
  ASSERT_EQ(unset.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(unset.error.has_value());
  EXPECT_EQ(unset.error->code(), "SecretNotFound");
  EXPECT_NE(unset.error->message().find("its password secret db/pg is not set"), std::string::npos)
      << unset.error->message();

  const std::string wrong = "wrong-pw-5d1e";
  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("db", "pg", wrong).ok());
  auto refused = Run(runtime, t, lit::Inputs({}));
  ASSERT_EQ(refused.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_NE(refused.error->message().find("password authentication failed"), std::string::npos)
      << refused.error->message();
  EXPECT_EQ(refused.error->message().find(wrong), std::string::npos);

  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("db", "pg", password_).ok());
  auto ok = Run(runtime, t, lit::Inputs({}));
  ASSERT_EQ(ok.phase, core::WorkflowExecution::SUCCEEDED) << (ok.error ? ok.error->message() : "");
  EXPECT_EQ(Int(ok.outputs, "one"), 1);

  // Nowhere in the store (events, errors, outputs) is either password.
  for (const auto& e : fs::recursive_directory_iterator(dir_.path() / "store")) {
    if (!e.is_regular_file()) continue;
    auto bytes = idl::ReadFileBytes(e.path());
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(bytes->find(password_), std::string::npos) << e.path();
    EXPECT_EQ(bytes->find(wrong), std::string::npos) << e.path();
  }
}

TEST_F(PostgresTest, UnknownConnectionsAndSqlErrorsAreOneLineEach) {
  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("db", "pg", password_).ok());
  SqlRuntime runtime(RuntimeOptions());
  TaskTemplate t = Query("pg.bad", "SELEC 1", {}, {"one", types::Int()});
  auto bad = Run(runtime, t, lit::Inputs({}));
  ASSERT_EQ(bad.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_NE(bad.error->message().find("task pg.bad: ERROR:  syntax error at or near \"SELEC\""),
            std::string::npos)
      << bad.error->message();
  EXPECT_EQ(bad.error->message().find('\n'), std::string::npos);

  (*t.mutable_config())["flytecpp.sql.connection"] = "lake";
  auto unknown = Run(runtime, t, lit::Inputs({}));
  ASSERT_TRUE(unknown.error.has_value());
  EXPECT_EQ(unknown.error->message(),
            "task pg.bad: no SQL connection \"lake\" in the config (it has: warehouse)");
}

TEST(SqlConfigTest, ConnectionsComeFromTheConfigAndNeverHoldPasswords) {
  flytecpp::testing::TempDir dir;
  const fs::path config = dir.path() / "config.yaml";
  std::ofstream(config) << "sql:\n  connections:\n    wh:\n      postgres: \"host=db dbname=x\"\n"
                           "      password_secret: db/pw\n";
  auto loaded = LoadRuntimeConfig(config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const auto* c = &loaded->sql_connections;
  ASSERT_TRUE(c->contains("wh"));
  EXPECT_EQ(c->at("wh").conninfo, "host=db dbname=x");
  EXPECT_EQ(c->at("wh").password_secret, "db/pw");
  std::ofstream(config)
      << "sql:\n  connections:\n    wh:\n      postgres: \"host=db password=x\"\n";
  auto leaky = LoadRuntimeConfig(config);
  ASSERT_FALSE(leaky.ok());
  EXPECT_NE(leaky.status().message().find("sql.connections.wh.postgres: holds a password"),
            std::string::npos);
  std::ofstream(config) << "sql:\n  connections:\n    wh:\n      postgress: \"host=db\"\n";
  auto typo = LoadRuntimeConfig(config);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("sql.connections.wh.postgress: unknown field"),
            std::string::npos);
}

}  // namespace
}  // namespace flytecpp::runtime
