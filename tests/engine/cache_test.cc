// Caching of discoverable tasks (docs/semantics.md R50-R55).
#include "flytecpp/engine/cache.h"

#include <fstream>

#include "engine_test_util.h"
#include "fake_runtime.h"
#include "flyteidl/core/catalog.pb.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
using namespace std::chrono_literals;

TaskTemplate Cached(const std::string& version = "1", const std::string& task_version = "v1",
                    std::vector<std::string> ignore = {}) {
  TaskBuilder b("t.cached");
  b.Input("x", types::Int()).Input("salt", types::String()).Output("o0", types::Int());
  b.Container(ContainerBuilder("img").Command({"run"}));
  b.Version(task_version).Discoverable(version);
  if (!ignore.empty()) b.CacheIgnoreInputs(std::move(ignore));
  return b.Build();
}

class CacheTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("t.cached", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
      return lit::Inputs({{"o0", lit::Int(Int(in, "x") * 10)}});
    });
  }

  compiler::CompiledWorkflowClosure Closure(const TaskTemplate& task) {
    WorkflowBuilder wf("cached");
    wf.Input("x", types::Int());
    wf.Input("salt", types::String());
    wf.Add(TaskNode("n0", task).Bind("x", WorkflowInput("x")).Bind("salt", WorkflowInput("salt")));
    wf.Output("y", types::Int(), Promise("n0", "o0"));
    auto closure = CompileIt(wf.Build(), {task});
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    return *closure;
  }

  static core::LiteralMap In(int x, const std::string& salt = "a") {
    return lit::Inputs({{"x", lit::Int(x)}, {"salt", lit::String(salt)}});
  }

  ExecutionResult RunIt(Engine& engine, const TaskTemplate& task, const core::LiteralMap& inputs,
                        bool overwrite = false) {
    auto r = engine.Run({.closure = Closure(task), .inputs = inputs, .overwrite_cache = overwrite});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED)
        << (r->error ? r->error->message() : "");
    return *r;
  }

  // The cache status of node n0's SUCCEEDED event; -1 when there is none.
  int CacheStatus(const std::string& exec, const std::string& node = "n0") {
    for (const auto& e : NodeEvents(exec)) {
      if (e.id().node_id() == node && e.phase() == core::NodeExecution::SUCCEEDED &&
          e.has_task_node_metadata()) {
        return e.task_node_metadata().cache_status();
      }
    }
    return -1;
  }
};

TEST_F(CacheTest, R50_ASuccessIsCachedAndTheSameInputsHitWithoutRunning) {
  Engine engine(Options());
  auto first = RunIt(engine, Cached(), In(4));
  EXPECT_EQ(Calls("t.cached"), 1);
  EXPECT_EQ(CacheStatus(first.execution_id), core::CatalogCacheStatus::CACHE_POPULATED);
  auto entries = reader_->ListCache();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].task, "t.cached");
  EXPECT_EQ((*entries)[0].source_execution, first.execution_id);
  EXPECT_EQ((*entries)[0].source_node, "n0");
  EXPECT_GT((*entries)[0].size_bytes, 0);

  auto hit = RunIt(engine, Cached(), In(4));
  EXPECT_EQ(Calls("t.cached"), 1);  // not run again
  EXPECT_EQ(Int(hit.outputs, "y"), 40);
  EXPECT_EQ(CacheStatus(hit.execution_id), core::CatalogCacheStatus::CACHE_HIT);

  // The task's version is not part of the key; its cache version is.
  RunIt(engine, Cached("1", "v2"), In(4));
  EXPECT_EQ(Calls("t.cached"), 1);
  RunIt(engine, Cached("2"), In(4));
  EXPECT_EQ(Calls("t.cached"), 2);
  // Other inputs: a miss.
  auto other = RunIt(engine, Cached(), In(5));
  EXPECT_EQ(Calls("t.cached"), 3);
  EXPECT_EQ(Int(other.outputs, "y"), 50);
}

TEST_F(CacheTest, R50_ANodeAfterTheOneThatRanAKeyHitsItInTheSameExecution) {
  // The entry is not committed yet when n1 looks (the same turn, or a
  // deferred commit): it was a miss, and the task ran twice.
  WorkflowBuilder wf("twice");
  wf.Input("x", types::Int());
  wf.Input("salt", types::String());
  wf.Add(
      TaskNode("n0", Cached()).Bind("x", WorkflowInput("x")).Bind("salt", WorkflowInput("salt")));
  wf.Add(TaskNode("n1", Cached())
             .Bind("x", WorkflowInput("x"))
             .Bind("salt", WorkflowInput("salt"))
             .After("n0"));
  wf.Output("y", types::Int(), Promise("n1", "o0"));
  auto closure = CompileIt(wf.Build(), {Cached()});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  auto r = engine.Run({.closure = *closure, .inputs = In(6)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(r->outputs, "y"), 60);
  EXPECT_EQ(Calls("t.cached"), 1);
  EXPECT_EQ(CacheStatus(r->execution_id, "n0"), core::CatalogCacheStatus::CACHE_POPULATED);
  EXPECT_EQ(CacheStatus(r->execution_id, "n1"), core::CatalogCacheStatus::CACHE_HIT);
}

TEST_F(CacheTest, R50_AnAttemptAResumedEngineFinishesIsCached) {
  // Its key was made only for cache_serializable tasks on resume: the
  // success was never cached and the next run ran it again.
  FakeRuntime fake;
  fake.set_survives(true);  // the attempt outlives its engine, as a Slurm job
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit({.closure = Closure(Cached()), .inputs = In(3)});
    ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "n0"));
  }
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  ASSERT_TRUE(fake.Complete(id, "n0", lit::Inputs({{"o0", lit::Int(30)}})));
  auto r = b.Wait(id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(CacheStatus(id), core::CatalogCacheStatus::CACHE_POPULATED);
  auto entries = reader_->ListCache();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].source_execution, id);
  // The next run with the same inputs takes it from the cache.
  auto again = b.Run({.closure = Closure(Cached()), .inputs = In(3)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(CacheStatus(again->execution_id), core::CatalogCacheStatus::CACHE_HIT);
  EXPECT_EQ(fake.Starts(again->execution_id, "n0"), 0);
}

TEST_F(CacheTest, R51_KeysHonourIgnoredInputsAndLiteralHashes) {
  Engine engine(Options());
  RunIt(engine, Cached("1", "v1", {"salt"}), In(4, "a"));
  RunIt(engine, Cached("1", "v1", {"salt"}), In(4, "b"));  // salt is left out of the key
  EXPECT_EQ(Calls("t.cached"), 1);
  RunIt(engine, Cached(), In(4, "a"));
  RunIt(engine, Cached(), In(4, "b"));  // here it counts
  EXPECT_EQ(Calls("t.cached"), 3);

  // A literal with a hash counts by its hash alone.
  core::LiteralMap a = In(4), b = In(4, "other");
  (*a.mutable_literals())["salt"].set_hash("h1");
  (*b.mutable_literals())["salt"].set_hash("h1");
  auto ka = CacheKeyOf(Cached(), a), kb = CacheKeyOf(Cached(), b);
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(*ka, *kb);
  (*b.mutable_literals())["salt"].set_hash("h2");
  EXPECT_NE(*ka, *CacheKeyOf(Cached(), b));
  // Descriptions do not change the key; an interface change does.
  TaskTemplate described = Cached();
  (*described.mutable_interface()->mutable_inputs()->mutable_variables())["x"].set_description(
      "the x");
  EXPECT_EQ(*CacheKeyOf(described, In(4)), *CacheKeyOf(Cached(), In(4)));
  TaskTemplate wider = Cached();
  (*wider.mutable_interface()->mutable_outputs()->mutable_variables())["o1"] =
      (*wider.mutable_interface()->mutable_outputs()->mutable_variables())["o0"];
  EXPECT_NE(*CacheKeyOf(wider, In(4)), *CacheKeyOf(Cached(), In(4)));
  // No cache version: a clear error.
  TaskTemplate unversioned = Cached();
  unversioned.mutable_metadata()->set_discovery_version("  ");
  auto none = CacheKeyOf(unversioned, In(4));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "task t.cached is cacheable (discoverable) but has no cache version");
}

TEST_F(CacheTest, R52_OverwriteRunsAgainAndReplacesTheEntry) {
  Engine engine(Options());
  RunIt(engine, Cached(), In(4));
  auto again = RunIt(engine, Cached(), In(4), /*overwrite=*/true);
  EXPECT_EQ(Calls("t.cached"), 2);
  auto entries = reader_->ListCache();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].source_execution, again.execution_id);
}

TEST_F(CacheTest, R53_AnEntryWhoseDataIsGoneIsAMiss) {
  // The task returns a file; the file is deleted; the next run runs again.
  const auto file = dir_.path() / "out.txt";
  TaskBuilder b("t.file");
  b.Input("x", types::Int()).Output("f", types::Blob());
  b.Container(ContainerBuilder("img").Command({"run"}));
  b.Discoverable("1");
  TaskTemplate task = b.Build();
  Register("t.file", [&](const core::LiteralMap&) -> runtime::TaskOutcome {
    std::ofstream(file) << "data";
    core::Literal f;
    f.mutable_scalar()->mutable_blob()->set_uri("file://" + file.string());
    return lit::Inputs({{"f", f}});
  });
  WorkflowBuilder wf("files");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", task).Bind("x", WorkflowInput("x")));
  auto closure = CompileIt(wf.Build(), {task});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  auto inputs = lit::Inputs({{"x", lit::Int(1)}});
  ASSERT_TRUE(engine.Run({.closure = *closure, .inputs = inputs}).ok());
  auto hit = engine.Run({.closure = *closure, .inputs = inputs});
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(Calls("t.file"), 1);
  EXPECT_EQ(CacheStatus(hit->execution_id), core::CatalogCacheStatus::CACHE_HIT);
  std::filesystem::remove(file);
  auto miss = engine.Run({.closure = *closure, .inputs = inputs});
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(miss->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Calls("t.file"), 2);
  EXPECT_EQ(CacheStatus(miss->execution_id), core::CatalogCacheStatus::CACHE_POPULATED);
}

TEST_F(CacheTest, R54_SerializableWorkRunsOnceAndADeadHoldersReservationRunsOut) {
  TaskTemplate task = Cached();
  task.mutable_metadata()->set_cache_serializable(true);
  FakeRuntime fake;
  Engine engine(FakeOptions(&fake));
  auto a = engine.Submit({.closure = Closure(task), .inputs = In(7)});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(fake.WaitRunning(*a, "n0"));
  auto b = engine.Submit({.closure = Closure(task), .inputs = In(7)});
  ASSERT_TRUE(b.ok());
  // b waits QUEUED on a's reservation, looking again as time passes.
  ASSERT_TRUE(Eventually([&] { return NodePhases(*b)["n0"] == core::NodeExecution::QUEUED; }));
  clock_.Advance(1s);
  ASSERT_TRUE(fake.Complete(*a, "n0", lit::Inputs({{"o0", lit::Int(70)}})));
  ASSERT_TRUE(engine.Wait(*a).ok());
  clock_.Advance(1s);
  auto rb = engine.Wait(*b);
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(rb->outputs, "y"), 70);
  EXPECT_EQ(fake.total_starts(), 1);  // ran once
  EXPECT_EQ(CacheStatus(*b), core::CatalogCacheStatus::CACHE_HIT);

  // A reservation whose holder is gone runs out; then the waiter runs it.
  auto key = CacheKeyOf(task, In(8));
  ASSERT_TRUE(key.ok());
  auto ghost = reader_->ReserveCache(*key, "ghost", clock_.Now(), clock_.Now() + 5'000'000'000);
  ASSERT_TRUE(ghost.ok());
  ASSERT_EQ(*ghost, "ghost");
  auto c = engine.Submit({.closure = Closure(task), .inputs = In(8)});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Eventually([&] { return NodePhases(*c)["n0"] == core::NodeExecution::QUEUED; }));
  clock_.Advance(3s);
  ASSERT_TRUE(engine.Settle().ok());  // the engine looked again: still held
  EXPECT_EQ(fake.Starts(*c, "n0"), 0);
  clock_.Advance(3s);  // past the ghost's time
  ASSERT_TRUE(fake.WaitRunning(*c, "n0"));
  ASSERT_TRUE(fake.Complete(*c, "n0", lit::Inputs({{"o0", lit::Int(80)}})));
  auto rc = engine.Wait(*c);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(CacheTest, R55_ArrayElementsAreCachedOneByOne) {
  TaskTemplate square =
      Task("t.sq", {{"x", types::List(types::Int())}}, {{"o0", types::List(types::Int())}});
  square.mutable_metadata()->set_discoverable(true);
  square.mutable_metadata()->set_discovery_version("1");
  Register("t.sq", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", lit::Int(Int(in, "x") * Int(in, "x"))}});
  });
  WorkflowBuilder wf("squares");
  wf.Input("xs", types::List(types::Int()));
  wf.Add(ArrayNode("sq", TaskNode("sq-sub", square)).Bind("x", WorkflowInput("xs")));
  wf.Output("ys", types::List(types::Int()), Promise("sq", "o0"));
  auto closure = CompileIt(wf.Build(), {square});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  ASSERT_TRUE(engine.Run({.closure = *closure, .inputs = XsInput({1, 2, 3})}).ok());
  EXPECT_EQ(Calls("t.sq"), 3);
  // 2 and 3 are cached; 4 is new.
  auto r = engine.Run({.closure = *closure, .inputs = XsInput({3, 4, 2})});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Calls("t.sq"), 4);
  const auto& ys = r->outputs.literals().at("ys").collection();
  ASSERT_EQ(ys.literals_size(), 3);
  EXPECT_EQ(ys.literals(0).scalar().primitive().integer(), 9);
  EXPECT_EQ(ys.literals(1).scalar().primitive().integer(), 16);
  EXPECT_EQ(ys.literals(2).scalar().primitive().integer(), 4);
  // All cached: nothing runs.
  ASSERT_TRUE(engine.Run({.closure = *closure, .inputs = XsInput({1, 2, 3, 4})}).ok());
  EXPECT_EQ(Calls("t.sq"), 4);
}

}  // namespace
}  // namespace flytecpp::engine
