// Task templates shaped as pyflyte writes them, built by the official JS
// bindings (js_pyflyte.js), run on flytecpp's runtimes unchanged: a pod task
// with a sidecar on the process runtime, a SQLite3Task on the SQL runtime.
#include <sqlite3.h>

#include "../engine/engine_test_util.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/runtime/process.h"
#include "flytecpp/runtime/sql.h"

namespace flytecpp {
namespace {

using namespace flytecpp::engine::testing;
namespace fs = std::filesystem;

class PyflyteTemplates : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    const char* dir = std::getenv("FLYTECPP_INTEROP_DIR");
    ASSERT_NE(dir, nullptr) << "FLYTECPP_INTEROP_DIR is not set (ctest sets it)";
    dir_in_ = dir;
    process_ = std::make_unique<runtime::ProcessRuntime>(runtime::ProcessRuntimeOptions{});
    if (!process_->CheckSandbox().ok()) GTEST_SKIP() << "bubblewrap cannot run here";
  }

  TaskTemplate Read(const std::string& name) {
    TaskTemplate t;
    Status st = idl::ReadMessage(dir_in_ / name, &t, idl::Format::kBinary);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return t;
  }

  engine::ExecutionResult Run(const TaskTemplate& t, const core::LiteralMap& inputs) {
    auto o = Options();
    o.runtimes = {&sql_, process_.get()};  // SQL first: a SQLite3Task has a container too
    o.clock = nullptr;
    return EngineTest::RunTask(t, inputs, std::move(o));
  }

  fs::path dir_in_;
  runtime::SqlRuntime sql_;
  std::unique_ptr<runtime::ProcessRuntime> process_;
};

TEST_F(PyflyteTemplates, APodTaskWithASidecarRuns) {
  TaskTemplate t = Read("pyflyte_pod_task.pb");
  ASSERT_TRUE(t.has_k8s_pod());
  auto r = Run(t, lit::Inputs({{"x", lit::Int(21)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  ASSERT_TRUE(r.outputs.literals().contains("x"));
  EXPECT_EQ(Int(r.outputs, "x"), 21);  // inputs.pb handed back as outputs.pb
}

TEST_F(PyflyteTemplates, ASqlite3TaskRuns) {
  TaskTemplate t = Read("pyflyte_sqlite_task.pb");
  ASSERT_EQ(t.type(), "sqlite");
  // The database its `uri` names, made here.
  const std::string db_path = t.custom().fields().at("uri").string_value();
  fs::remove(db_path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE tracks(id INTEGER, name TEXT);"
                         "INSERT INTO tracks VALUES (1,'a'),(2,'b'),(3,'a'),(4,'c');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = Run(t, lit::Inputs({{"limit", lit::Int(3)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  ASSERT_TRUE(r.outputs.literals().contains("results"));
  const auto& sd = r.outputs.literals().at("results").scalar().structured_dataset();
  ASSERT_EQ(sd.uri().rfind("file://", 0), 0u);
  auto csv = idl::ReadFileBytes(sd.uri().substr(7));
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, "name,tracks\na,2\nb,1\n");
}

}  // namespace
}  // namespace flytecpp
