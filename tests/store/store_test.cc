// The store, on SQLite and on PostgreSQL: upserts by their keys,
// all-or-nothing batches, fenced writes, leases, concurrent opens and writers
// in several processes; and SQLite's migration of a store written by the
// first schema.
#include "flytecpp/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "support/pg_schema.h"
#include "test_support.h"

namespace flytecpp::store {
namespace {

namespace fs = std::filesystem;
using flytecpp::testing::TempDir;

ExecutionRecord Execution(const std::string& id, core::WorkflowExecution::Phase phase,
                          const std::string& parent = "") {
  ExecutionRecord r;
  r.id = id;
  r.workflow_name = "wf";
  r.phase = phase;
  r.parent = parent;
  r.root = parent.empty() ? id : parent;
  r.created_ns = r.updated_ns = 1;
  return r;
}

NodeRecord Node(const std::string& exec, const std::string& path, core::NodeExecution::Phase phase,
                int attempts = 0) {
  NodeRecord n;
  n.execution_id = exec;
  n.path = path;
  n.phase = phase;
  n.attempts = attempts;
  n.queued_ns = 10;
  return n;
}

std::unique_ptr<Store> Open(const fs::path& dir) {
  auto s = OpenSqliteStore(dir, Durability::kOff);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// The store's behaviour, on each database: SQLite in a fresh directory, or
// PostgreSQL in a fresh schema.
enum class Database { kSqlite, kPostgres };

class StoreTest : public ::testing::TestWithParam<Database> {
 protected:
  void SetUp() override {
    if (GetParam() == Database::kPostgres) {
      pg_ = std::make_unique<flytecpp::testing::PgSchema>();
      if (!pg_->available()) GTEST_SKIP() << flytecpp::testing::PgSchema::kSkip;
    }
  }

  // Another store on the test's database (each opens its own connection).
  Result<std::unique_ptr<Store>> OpenShared() {
    if (GetParam() == Database::kPostgres) {
      return OpenPostgresStore(pg_->conninfo_in_schema(), dir_.path() / "data");
    }
    return OpenSqliteStore(dir_.path() / "store", Durability::kNormal);
  }
  std::unique_ptr<Store> Open() {
    auto s = OpenShared();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<flytecpp::testing::PgSchema> pg_;
};

INSTANTIATE_TEST_SUITE_P(, StoreTest, ::testing::Values(Database::kSqlite, Database::kPostgres),
                         [](const auto& info) {
                           return info.param == Database::kSqlite ? "Sqlite" : "Postgres";
                         });

std::map<std::string, NodeRecord> Nodes(Store& s, const std::string& exec) {
  std::map<std::string, NodeRecord> out;
  for (auto& n : *s.GetNodes(exec)) out[n.path] = n;
  return out;
}

TEST_P(StoreTest, NodeRowsAreKeyedByExecutionAndPath) {
  auto s = Open();
  Batch b;
  b.owner = "me";
  b.executions = {Execution("p", core::WorkflowExecution::RUNNING),
                  Execution("p-n0", core::WorkflowExecution::RUNNING, "p")};
  b.nodes = {Node("p", "n0", core::NodeExecution::RUNNING),
             Node("p-n0", "n0", core::NodeExecution::QUEUED)};
  ASSERT_TRUE(s->Commit(b).ok());
  // An upsert replaces its own row only.
  Batch u;
  u.owner = "me";
  NodeRecord done = Node("p-n0", "n0", core::NodeExecution::SUCCEEDED, 2);
  done.handle = "pid=1";
  done.runtime = "process";
  done.attempt_started_ns = 77;
  u.nodes = {done};
  ASSERT_TRUE(s->Commit(u).ok());
  auto parent = Nodes(*s, "p");
  auto child = Nodes(*s, "p-n0");
  ASSERT_EQ(parent.count("n0"), 1u);
  ASSERT_EQ(child.count("n0"), 1u);
  EXPECT_EQ(parent["n0"].phase, core::NodeExecution::RUNNING);
  EXPECT_EQ(child["n0"].phase, core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(child["n0"].attempts, 2);
  EXPECT_EQ(child["n0"].handle, "pid=1");
  EXPECT_EQ(child["n0"].runtime, "process");
  EXPECT_EQ(child["n0"].attempt_started_ns, 77);
  EXPECT_EQ(child["n0"].queued_ns, 10);
}

TEST_P(StoreTest, DataRowsAreKeyedByExecutionAndKeyAndFencedLikeRows) {
  auto s = Open();
  Batch b;
  b.owner = "me";
  b.executions = {Execution("p", core::WorkflowExecution::RUNNING)};
  b.data = {{"p", "n0/data/inputs.pb", "in"}, {"p", "n0/data/0/outputs.pb", "out"}};
  ASSERT_TRUE(s->Commit(b).ok());
  auto in = s->GetData("p", "n0/data/inputs.pb");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_TRUE(in->has_value());
  EXPECT_EQ(**in, "in");
  // Written again (a retried node): the new value replaces the old.
  Batch again;
  again.owner = "me";
  again.data = {{"p", "n0/data/inputs.pb", "in, again"}};
  ASSERT_TRUE(s->Commit(again).ok());
  EXPECT_EQ(**s->GetData("p", "n0/data/inputs.pb"), "in, again");
  EXPECT_EQ(**s->GetData("p", "n0/data/0/outputs.pb"), "out");
  // Another execution's key, or a missing one: nothing.
  auto missing = s->GetData("q", "n0/data/inputs.pb");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  // Another owner's batch writes no data of an execution it does not hold.
  Batch thief;
  thief.owner = "other";
  thief.data = {{"p", "n0/data/inputs.pb", "stolen"}};
  EXPECT_EQ(s->Commit(thief).code(), StatusCode::kAborted);
  EXPECT_EQ(**s->GetData("p", "n0/data/inputs.pb"), "in, again");
}

TEST_P(StoreTest, ExecutionUpsertsKeepClosureAndInputsFromTheFirstRow) {
  auto s = Open();
  ExecutionRecord first = Execution("e", core::WorkflowExecution::RUNNING);
  auto inputs = std::make_shared<core::LiteralMap>();
  (*inputs->mutable_literals())["x"].mutable_scalar()->mutable_primitive()->set_integer(5);
  first.inputs = inputs;
  first.closure.mutable_primary()->mutable_template_()->mutable_id()->set_name("wf.name");
  first.max_parallelism = 4;
  Batch b;
  b.owner = "me";
  b.executions = {first};
  ASSERT_TRUE(s->Commit(b).ok());
  ExecutionRecord later = Execution("e", core::WorkflowExecution::SUCCEEDED);  // no closure
  later.outputs = std::make_shared<const core::LiteralMap>();
  b.executions = {later};
  ASSERT_TRUE(s->Commit(b).ok());
  auto e = s->GetExecution("e");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(e->closure.primary().template_().id().name(), "wf.name");
  ASSERT_TRUE(e->inputs);
  ASSERT_EQ(e->inputs->literals().count("x"), 1u);
  EXPECT_EQ(e->max_parallelism, 4);
  EXPECT_TRUE(e->outputs);
  EXPECT_EQ(e->owner, "me");
  EXPECT_EQ(e->lease_expires_ns, 0);  // a finished execution holds no lease
}

TEST_P(StoreTest, AFailedBatchLeavesNothingBehind) {
  auto s = Open();
  Batch theirs;
  theirs.owner = "them";
  theirs.executions = {Execution("held", core::WorkflowExecution::RUNNING)};
  ASSERT_TRUE(s->Commit(theirs).ok());
  // One batch: a new execution of ours, and a row of one another engine holds.
  Batch mine;
  mine.owner = "me";
  mine.executions = {Execution("mine", core::WorkflowExecution::RUNNING)};
  mine.nodes = {Node("mine", "n0", core::NodeExecution::QUEUED),
                Node("held", "n0", core::NodeExecution::SUCCEEDED)};
  EventRecord ev;
  ev.execution_id = "mine";
  ev.payload = "x";
  mine.events = {ev};
  Status st = s->Commit(mine);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kAborted);
  EXPECT_NE(st.message().find("lease lost: execution held is now run by them"), std::string::npos)
      << st.message();
  EXPECT_EQ(s->GetExecution("mine").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(s->GetNodes("mine")->empty());
  EXPECT_TRUE(s->GetNodes("held")->empty());
  EXPECT_TRUE(s->GetEvents("mine")->empty());
  // The store is usable after the rollback.
  mine.nodes.pop_back();
  EXPECT_TRUE(s->Commit(mine).ok());
  EXPECT_EQ(s->GetNodes("mine")->size(), 1u);
}

TEST_P(StoreTest, LeasesCoverARootAndItsChildren) {
  auto s = Open();
  Batch b;
  b.owner = "a";
  b.lease_expires_ns = 1000;
  b.executions = {Execution("root", core::WorkflowExecution::RUNNING),
                  Execution("root-n0", core::WorkflowExecution::RUNNING, "root")};
  ASSERT_TRUE(s->Commit(b).ok());
  // Live: refused, naming the holder.
  Status st = s->AcquireLease("root", "b", /*now=*/500, /*expires=*/2000);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("is being run by a"), std::string::npos) << st.message();
  // A child is not leased on its own.
  EXPECT_NE(s->AcquireLease("root-n0", "b", 500, 2000).message().find("runs with its parent"),
            std::string::npos);
  // The holder known dead, or its time run out: taken, children too.
  EXPECT_TRUE(s->AcquireLease("root", "b", 500, 2000, /*dead_holder=*/"a").ok());
  EXPECT_EQ(s->GetExecution("root-n0")->owner, "b");
  EXPECT_TRUE(s->AcquireLease("root", "c", 2001, 3000).ok());
  // Writes of the former holder are fenced off.
  Batch stale;
  stale.owner = "b";
  stale.nodes = {Node("root-n0", "n0", core::NodeExecution::SUCCEEDED)};
  EXPECT_EQ(s->Commit(stale).code(), StatusCode::kAborted);
  // Renewal lists what is still held; release ends it now.
  auto held = s->RenewLeases("c", 5000);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, std::vector<std::string>{"root"});
  EXPECT_EQ(s->GetExecution("root")->lease_expires_ns, 5000);
  EXPECT_TRUE(s->RenewLeases("b", 5000)->empty());
  ASSERT_TRUE(s->ReleaseLease("root", "c").ok());
  EXPECT_EQ(s->GetExecution("root")->lease_expires_ns, 0);
  EXPECT_TRUE(s->AcquireLease("root", "d", 1, 9).ok());
  auto unfinished = s->ListUnfinished();
  ASSERT_TRUE(unfinished.ok());
  ASSERT_EQ(unfinished->size(), 1u);  // children are not listed
  EXPECT_EQ((*unfinished)[0].id, "root");
  EXPECT_EQ((*unfinished)[0].owner, "d");
  EXPECT_EQ(s->AcquireLease("nope", "d", 1, 9).code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, AbortRequestsReachTheHolder) {
  auto s = Open();
  Batch b;
  b.owner = "a";
  b.executions = {Execution("e1", core::WorkflowExecution::RUNNING),
                  Execution("e2", core::WorkflowExecution::RUNNING)};
  ASSERT_TRUE(s->Commit(b).ok());
  ASSERT_TRUE(s->RequestAbort("e2").ok());
  EXPECT_EQ(*s->AbortRequests("a"), std::vector<std::string>{"e2"});
  EXPECT_TRUE(s->AbortRequests("b")->empty());
  EXPECT_EQ(s->RequestAbort("nope").code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, SignalUpsertsKeepWhatTheyLeaveUnset) {
  auto s = Open();
  Batch b;
  SignalRecord waiting;
  waiting.execution_id = "e";
  waiting.signal_id = "approve";
  waiting.type = core::LiteralType();
  waiting.type->set_simple(core::BOOLEAN);
  b.signals = {waiting};
  ASSERT_TRUE(s->Commit(b).ok());
  SignalRecord sent;
  sent.execution_id = "e";
  sent.signal_id = "approve";
  sent.value = core::Literal();
  sent.value->mutable_scalar()->mutable_primitive()->set_boolean(true);
  b.signals = {sent};
  ASSERT_TRUE(s->Commit(b).ok());
  auto signals = s->GetSignals("e");
  ASSERT_TRUE(signals.ok());
  ASSERT_EQ(signals->size(), 1u);
  ASSERT_TRUE((*signals)[0].type.has_value());
  ASSERT_TRUE((*signals)[0].value.has_value());
  EXPECT_EQ((*signals)[0].type->simple(), core::BOOLEAN);
  EXPECT_TRUE((*signals)[0].value->scalar().primitive().boolean());
}

TEST(SqliteStoreTest, ARelativeDirectoryIsMadeAbsolute) {
  TempDir dir;
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  auto s = OpenSqliteStore("relative/store", Durability::kOff);
  fs::current_path(cwd);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->data_dir().is_absolute());
  EXPECT_EQ((*s)->data_dir(), fs::weakly_canonical(dir.path()) / "relative/store/data");
}

TEST_P(StoreTest, ManyFirstOpensAtOnce) {
  std::vector<std::thread> openers;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(8);
  for (int i = 0; i < 8; ++i) {
    openers.emplace_back([&, i] {
      auto s = OpenShared();
      if (s.ok()) {
        ++ok;
      } else {
        errors[i] = s.status().ToString();
      }
    });
  }
  for (auto& t : openers) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(ok, 8);
}

TEST_P(StoreTest, TwoProcessesWriteOneStore) {
  constexpr int kBatches = 200;
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = ::fork();
    if (pid == 0) {
      // Each process opens the store itself (the first open races too).
      auto s = OpenShared();
      if (!s.ok()) ::_exit(3);
      const std::string owner = "proc" + std::to_string(p);
      for (int k = 0; k < kBatches; ++k) {
        Batch b;
        b.owner = owner;
        const std::string id = owner + "-e" + std::to_string(k);
        b.executions = {Execution(id, core::WorkflowExecution::RUNNING)};
        b.nodes = {Node(id, "n0", core::NodeExecution::SUCCEEDED)};
        if (!(*s)->Commit(b).ok()) ::_exit(4);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto s = Open();
  auto all = s->ListExecutions();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u * kBatches);
  for (int p = 0; p < 2; ++p) {
    for (int k = 0; k < kBatches; k += 37) {
      const std::string id = "proc" + std::to_string(p) + "-e" + std::to_string(k);
      EXPECT_EQ(s->GetNodes(id)->size(), 1u) << id;
    }
  }
}

TEST(SqliteStoreTest, AStoreOfTheFirstSchemaIsMigrated) {
  TempDir dir;
  fs::create_directories(dir.path() / "old");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "old" / "flytecpp.db").c_str(), &db), SQLITE_OK);
  // The schema flytecpp wrote before leases (user_version 0).
  const char* v1 = R"(
    CREATE TABLE executions(
      id TEXT PRIMARY KEY, workflow TEXT, phase INTEGER, parent TEXT,
      closure BLOB, inputs BLOB, outputs BLOB, error BLOB,
      created_ns INTEGER, updated_ns INTEGER,
      abort_requested INTEGER DEFAULT 0, owner_pid INTEGER DEFAULT 0);
    CREATE TABLE nodes(
      execution_id TEXT, path TEXT, phase INTEGER, attempts INTEGER,
      system_failures INTEGER, error BLOB, started_ns INTEGER, updated_ns INTEGER,
      PRIMARY KEY(execution_id, path));
    CREATE TABLE events(
      seq INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT, kind INTEGER,
      node_path TEXT, payload BLOB);
    CREATE TABLE entities(key TEXT PRIMARY KEY, resource_type INTEGER, spec BLOB);
    INSERT INTO executions(id, workflow, phase, parent, created_ns, updated_ns)
      VALUES('old', 'wf', 2, '', 5, 6);
    INSERT INTO executions(id, workflow, phase, parent, created_ns, updated_ns)
      VALUES('old-n1', 'child', 4, 'old', 5, 6);
    INSERT INTO nodes VALUES('old', 'n0', 4, 1, 0, NULL, 7, 8);
  )";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = Open(dir.path() / "old");
  ASSERT_NE(s, nullptr);
  auto old = s->GetExecution("old");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->root, "old");
  EXPECT_EQ(old->owner, "");
  EXPECT_EQ(s->GetExecution("old-n1")->root, "old");
  auto nodes = Nodes(*s, "old");
  ASSERT_EQ(nodes.count("n0"), 1u);
  EXPECT_EQ(nodes["n0"].queued_ns, 7);
  EXPECT_EQ(nodes["n0"].attempt_started_ns, 0);
  // Usable as any store: it can be leased and written.
  EXPECT_TRUE(s->AcquireLease("old", "me", 1, 2).ok());
  Batch b;
  b.owner = "me";
  b.nodes = {Node("old", "n1", core::NodeExecution::QUEUED)};
  EXPECT_TRUE(s->Commit(b).ok());
  // Opening again is a no-op.
  EXPECT_NE(Open(dir.path() / "old"), nullptr);
}

// Schema 8: what the `entities` table held (a local run's tasks, compiled
// workflows and launch plans, by identifier text) is in the registry, and
// the table is gone.
TEST(SqliteStoreTest, EntitiesOfAnOldStoreMoveIntoTheRegistry) {
  TempDir dir;
  fs::create_directories(dir.path() / "old");
  core::Identifier task_id;
  task_id.set_resource_type(core::TASK);
  task_id.set_project("p");
  task_id.set_domain("d");
  task_id.set_name("t");
  task_id.set_version("v1");
  core::TaskTemplate task;
  *task.mutable_id() = task_id;
  task.set_type("python-task");
  core::CompiledWorkflowClosure workflow;
  core::Identifier wf_id = task_id;
  wf_id.set_resource_type(core::WORKFLOW);
  wf_id.set_name("wf");
  *workflow.mutable_primary()->mutable_template_()->mutable_id() = wf_id;
  *workflow.add_tasks()->mutable_template_() = task;
  flyteidl::admin::LaunchPlan lp;
  *lp.mutable_id() = wf_id;
  lp.mutable_id()->set_resource_type(core::LAUNCH_PLAN);
  *lp.mutable_spec()->mutable_workflow_id() = wf_id;
  lp.mutable_spec()->set_max_parallelism(3);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "old" / "flytecpp.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE entities(key TEXT PRIMARY KEY, resource_type INTEGER, "
                         "spec BLOB); PRAGMA user_version = 7;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO entities VALUES(?, ?, ?)", -1, &insert, nullptr),
            SQLITE_OK);
  const std::vector<std::pair<int, std::string>> rows = {
      {core::TASK, task.SerializeAsString()},
      {core::WORKFLOW, workflow.SerializeAsString()},
      {core::LAUNCH_PLAN, lp.SerializeAsString()}};
  for (const auto& [type, bytes] : rows) {
    sqlite3_reset(insert);
    sqlite3_bind_text(insert, 1, ("key" + std::to_string(type)).c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(insert, 2, type);
    sqlite3_bind_blob(insert, 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);

  auto s = Open(dir.path() / "old");
  ASSERT_NE(s, nullptr);
  auto got_task = s->GetRegistered(task_id);
  ASSERT_TRUE(got_task.ok() && got_task->has_value()) << got_task.status().ToString();
  flyteidl::admin::TaskClosure task_closure;
  ASSERT_TRUE(task_closure.ParseFromString((*got_task)->closure));
  EXPECT_EQ(task_closure.compiled_task().template_().type(), "python-task");
  auto got_wf = s->GetRegistered(wf_id);
  ASSERT_TRUE(got_wf.ok() && got_wf->has_value()) << got_wf.status().ToString();
  flyteidl::admin::WorkflowClosure wf_closure;
  ASSERT_TRUE(wf_closure.ParseFromString((*got_wf)->closure));
  EXPECT_EQ(wf_closure.compiled_workflow().tasks_size(), 1);
  auto got_lp = s->GetRegistered(lp.id());
  ASSERT_TRUE(got_lp.ok() && got_lp->has_value()) << got_lp.status().ToString();
  flyteidl::admin::LaunchPlanSpec lp_spec;
  ASSERT_TRUE(lp_spec.ParseFromString((*got_lp)->spec));
  EXPECT_EQ(lp_spec.max_parallelism(), 3u);
  s.reset();
  ASSERT_EQ(sqlite3_open((dir.path() / "old" / "flytecpp.db").c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "SELECT * FROM entities", nullptr, nullptr, nullptr), SQLITE_OK)
      << "the entities table is gone";
  sqlite3_close(db);
}

// The same on PostgreSQL: a store of schema 7 with an `entities` row.
TEST(PostgresStoreTest, EntitiesOfAnOldStoreMoveIntoTheRegistry) {
  flytecpp::testing::PgSchema pg;
  if (!pg.available()) GTEST_SKIP() << flytecpp::testing::PgSchema::kSkip;
  TempDir dir;
  {
    auto fresh = OpenPostgresStore(pg.conninfo_in_schema(), dir.path() / "data");
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  }
  flyteidl::admin::LaunchPlan lp;
  lp.mutable_id()->set_resource_type(core::LAUNCH_PLAN);
  lp.mutable_id()->set_project("p");
  lp.mutable_id()->set_domain("d");
  lp.mutable_id()->set_name("lp");
  lp.mutable_id()->set_version("v1");
  lp.mutable_spec()->set_max_parallelism(7);
  std::string hex;
  for (unsigned char c : lp.SerializeAsString()) {
    static const char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  const std::string schema = pg.name();
  pg.Exec("CREATE TABLE " + schema +
          ".entities(key TEXT PRIMARY KEY, resource_type BIGINT, spec BYTEA)");
  pg.Exec("INSERT INTO " + schema + ".entities VALUES('k', " + std::to_string(core::LAUNCH_PLAN) +
          ", decode('" + hex + "', 'hex'))");
  pg.Exec("UPDATE " + schema + ".flytecpp_schema SET version = 7");

  auto s = OpenPostgresStore(pg.conninfo_in_schema(), dir.path() / "data");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto got = (*s)->GetRegistered(lp.id());
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  flyteidl::admin::LaunchPlanSpec spec;
  ASSERT_TRUE(spec.ParseFromString((*got)->spec));
  EXPECT_EQ(spec.max_parallelism(), 7u);
  EXPECT_EQ(pg.Exec("SELECT COUNT(*) FROM pg_tables WHERE schemaname = '" + schema +
                    "' AND tablename = 'entities'"),
            "0");
  EXPECT_EQ(pg.Exec("SELECT version FROM " + schema + ".flytecpp_schema"), "10");
}

}  // namespace
}  // namespace flytecpp::store

namespace flytecpp::store {
namespace {

TEST_P(StoreTest, ElementRowsAreKeyedByIndexAndFilteredByPhase) {
  auto s = Open();
  Batch b;
  b.owner = "me";
  b.executions = {Execution("e", core::WorkflowExecution::RUNNING)};
  for (int i = 0; i < 3; ++i) {
    ElementRecord r;
    r.execution_id = "e";
    r.path = "map";
    r.index = i;
    r.phase = i == 1 ? core::NodeExecution::FAILED : core::NodeExecution::SUCCEEDED;
    r.outputs = core::LiteralMap();
    b.elements.push_back(r);
  }
  ASSERT_TRUE(s->Commit(b).ok());
  Batch u;
  u.owner = "me";
  ElementRecord again;
  again.execution_id = "e";
  again.path = "map";
  again.index = 1;
  again.phase = core::NodeExecution::SUCCEEDED;
  again.attempts = 2;
  u.elements = {again};
  ASSERT_TRUE(s->Commit(u).ok());
  auto all = s->GetElements("e", "map");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].attempts, 2);
  EXPECT_EQ((*all)[1].phase, core::NodeExecution::SUCCEEDED);
  EXPECT_TRUE((*all)[0].outputs.has_value());
  EXPECT_FALSE((*all)[1].outputs.has_value());
  EXPECT_EQ(s->GetElements("e", "map", core::NodeExecution::SUCCEEDED)->size(), 3u);
  EXPECT_TRUE(s->GetElements("e", "map", core::NodeExecution::FAILED)->empty());
  EXPECT_TRUE(s->GetElements("e", "other")->empty());
}

TEST_P(StoreTest, CacheEntriesArePrunedByAgeThenLeastRecentlyUsed) {
  auto s = Open();
  Batch b;
  for (int i = 0; i < 4; ++i) {
    CacheEntry e;
    e.key = "k" + std::to_string(i);
    e.task = "t";
    auto out = std::make_shared<core::LiteralMap>();
    (*out->mutable_literals())["o"].mutable_scalar()->mutable_primitive()->set_string_value(
        std::string(100, 'x'));
    e.outputs = out;
    e.created_ns = e.used_ns = 100 * (i + 1);
    b.cache_puts.push_back(e);
  }
  ASSERT_TRUE(s->Commit(b).ok());
  // A hit makes k0 the most recently used.
  Batch hit;
  hit.cache_hits = {"k0"};
  hit.now_ns = 1000;
  ASSERT_TRUE(s->Commit(hit).ok());
  auto all = s->ListCache();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].key, "k0");
  EXPECT_FALSE((*all)[0].outputs);  // listed without outputs
  const int64_t each = (*all)[0].size_bytes;
  ASSERT_GT(each, 100);
  auto got = s->GetCacheEntry("k1");
  ASSERT_TRUE(got.ok() && got->has_value());
  ASSERT_TRUE((*got)->outputs);
  EXPECT_EQ((*got)->outputs->literals().at("o").scalar().primitive().string_value().size(), 100u);
  // Not used since 250: k1 (200) goes; then the least recently used until two fit.
  auto old = s->PruneCache(250, -1);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].key, "k1");
  auto lru = s->PruneCache(0, 2 * each);
  ASSERT_TRUE(lru.ok());
  ASSERT_EQ(lru->size(), 1u);
  EXPECT_EQ((*lru)[0].key, "k2");
  EXPECT_EQ(s->ListCache()->size(), 2u);
  EXPECT_EQ(s->RemoveCacheEntry("k2").code(), StatusCode::kNotFound);
  EXPECT_TRUE(s->RemoveCacheEntry("k3").ok());
  EXPECT_FALSE(s->GetCacheEntry("k3")->has_value());
}

TEST_P(StoreTest, ACacheReservationIsHeldUntilItRunsOutOrIsReleased) {
  auto s = Open();
  EXPECT_EQ(*s->ReserveCache("k", "a", 0, 100), "a");
  EXPECT_EQ(*s->ReserveCache("k", "b", 50, 150), "a");   // a's until 100
  EXPECT_EQ(*s->ReserveCache("k", "a", 60, 160), "a");   // extended
  EXPECT_EQ(*s->ReserveCache("k", "b", 120, 220), "a");  // still a's
  EXPECT_EQ(*s->ReserveCache("k", "b", 170, 270), "b");  // ran out: b's
  Batch release;
  release.cache_releases = {{"k", "a"}};  // not a's any more: kept
  ASSERT_TRUE(s->Commit(release).ok());
  EXPECT_EQ(*s->ReserveCache("k", "c", 180, 280), "b");
  release.cache_releases = {{"k", "b"}};
  ASSERT_TRUE(s->Commit(release).ok());
  EXPECT_EQ(*s->ReserveCache("k", "c", 180, 280), "c");
}

TEST_P(StoreTest, TheRegistryKeepsTheFirstSpecOfAVersionAndListsAPage) {
  auto s = Open();
  auto entity = [](const std::string& name, const std::string& version, const std::string& spec,
                   int64_t created) {
    RegisteredEntity e;
    e.id.set_resource_type(core::TASK);
    e.id.set_project("p");
    e.id.set_domain("d");
    e.id.set_name(name);
    e.id.set_version(version);
    e.spec = spec;
    e.closure = "closure-" + spec;
    e.created_ns = e.updated_ns = created;
    return e;
  };
  auto first = s->RegisterEntity(entity("t", "v1", "spec-a", 10));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->second);
  // The same id again, with another spec: not replaced; the first comes back.
  auto again = s->RegisterEntity(entity("t", "v1", "spec-b", 20));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->second);
  EXPECT_EQ(again->first.spec, "spec-a");
  EXPECT_EQ(again->first.created_ns, 10);
  ASSERT_TRUE(s->RegisterEntity(entity("t", "v2", "spec-c", 30)).ok());
  ASSERT_TRUE(s->RegisterEntity(entity("u", "v1", "spec-d", 40)).ok());

  EntityQuery q;
  q.resource_type = core::TASK;
  q.project = "p";
  q.domain = "d";
  auto all = s->ListRegistered(q);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id.name(), "u");  // newest first
  q.name = "t";
  q.sort_key = "version";
  q.ascending = true;
  q.limit = 1;
  q.offset = 1;
  auto page = s->ListRegistered(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].id.version(), "v2");
  q.sort_key = "colour";
  EXPECT_FALSE(s->ListRegistered(q).ok());

  core::Identifier id = entity("t", "v2", "", 0).id;
  ASSERT_TRUE(s->UpdateRegistered(id, 1, "new-closure", 50).ok());
  auto got = s->GetRegistered(id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->state, 1);
  EXPECT_EQ((*got)->closure, "new-closure");
  EXPECT_EQ((*got)->updated_ns, 50);
  id.set_version("v9");
  EXPECT_EQ(s->UpdateRegistered(id, 1, "", 60).code(), StatusCode::kNotFound);
  EXPECT_FALSE(s->GetRegistered(id)->has_value());
}

}  // namespace
}  // namespace flytecpp::store
