// The engine as a service: many executions in one engine, durable time,
// leases, slots and parallelism, attempts that outlive (or not) their
// engine, launch plans across a resume, listeners, and a failing store.
#include <set>
#include <thread>

#include "engine_test_util.h"
#include "executor.h"
#include "fake_runtime.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/store/data_dir.h"
#include "flytecpp/store/store_wrapper.h"
#include "plan.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class EngineServiceTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("t.add1", Add1);
  }

  // x -> a -> b -> y, all t.add1.
  compiler::CompiledWorkflowClosure Chain(int length = 2, std::chrono::milliseconds timeout = 0ms,
                                          uint32_t retries = 0) {
    WorkflowBuilder wf("chain");
    wf.Input("x", types::Int());
    for (int i = 0; i < length; ++i) {
      auto node =
          TaskNode("n" + std::to_string(i), kAdd1)
              .Bind("x", i == 0 ? WorkflowInput("x") : Promise("n" + std::to_string(i - 1), "o0"));
      if (timeout.count() > 0) node.Timeout(timeout);
      if (retries > 0) node.Retries(retries);
      wf.Add(node);
    }
    wf.Output("y", types::Int(), Promise("n" + std::to_string(length - 1), "o0"));
    auto closure = CompileIt(wf.Build(), {kAdd1});
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    return *closure;
  }

  // A second handle on the same store, as another process would have.
  std::unique_ptr<store::Store> OtherStore() {
    auto s = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
    EXPECT_TRUE(s.ok());
    return std::move(s).value();
  }

  static runtime::TaskOutcome Outputs(int64_t v) { return lit::Inputs({{"o0", lit::Int(v)}}); }
};

TEST_F(EngineServiceTest, AThousandExecutionsInOneEngine) {
  const auto closure = Chain(3);
  Engine engine(Options());
  std::vector<std::string> ids(1000);
  // Submitted from four threads at once.
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&, t] {
      for (int k = t; k < 1000; k += 4) {
        auto id = engine.Submit({.closure = closure,
                                 .inputs = lit::Inputs({{"x", lit::Int(k)}}),
                                 .execution_id = "many-" + std::to_string(k)});
        if (id.ok()) ids[k] = *id;
      }
    });
  }
  for (auto& t : submitters) t.join();
  for (int k = 0; k < 1000; ++k) {
    ASSERT_EQ(ids[k], "many-" + std::to_string(k));
    auto r = engine.Wait(ids[k]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << ids[k];
    ASSERT_EQ(r->outputs.literals().count("y"), 1u);
    EXPECT_EQ(Int(r->outputs, "y"), k + 3);
  }
  EXPECT_EQ(Calls("t.add1"), 3000);
  // A finished execution is answered from the store, and an id taken stays taken.
  auto again = engine.Wait("many-7");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Int(again->outputs, "y"), 10);
  auto dup = engine.Submit(
      {.closure = closure, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "many-7"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
}

TEST(MemoryStoreTest, RunsWorkflowsWithNothingOnDisk) {
  flytecpp::testing::TempDir dir;
  auto store = store::OpenMemoryStore(dir.path() / "data");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  runtime::InProcessRuntime tasks;
  tasks.Register("t.add1", Add1);
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("b", kAdd1).Bind("x", Promise("a", "o0")));
  wf.Output("y", types::Int(), Promise("b", "o0"));
  compiler::CompiledTask t;
  *t.mutable_template_() = kAdd1;
  auto closure = compiler::CompileWorkflow(wf.Build(), {}, {t}, {});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine({.store = store->get(), .runtimes = {&tasks}});
  auto r = engine.Run({.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  ASSERT_EQ(r->outputs.literals().count("y"), 1u);
  EXPECT_EQ(r->outputs.literals().at("y").scalar().primitive().integer(), 3);
  // Its rows are in memory: readable through the store, nothing in files.
  auto nodes = (*store)->GetNodes(r->execution_id);
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(nodes->size(), 4u);  // start, a, b, end
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "data"));
  EXPECT_FALSE(store::OpenMemoryStore("").ok());  // large data needs somewhere to go
}

TEST_F(EngineServiceTest, SubmitReturnsOnceTheExecutionIsRecorded) {
  FakeRuntime fake;
  Engine engine(FakeOptions(&fake));
  auto id = engine.Submit({.closure = Chain(), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok());
  auto record = OtherStore()->GetExecution(*id);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->phase, core::WorkflowExecution::RUNNING);
  EXPECT_EQ(record->owner, engine.owner());
  ASSERT_TRUE(fake.WaitRunning(*id, "n0"));
}

TEST_F(EngineServiceTest, ResumeDoesNotRestartTheActiveDeadline) {
  FakeRuntime fake;  // attempts do not outlive their engine
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted =
        a.Submit({.closure = Chain(1, 1000ms), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "n0"));
  }  // the engine stops with n0 running
  const store::NodeRecord before = Row(id, "n0");
  EXPECT_EQ(before.phase, core::NodeExecution::RUNNING);
  EXPECT_GT(before.queued_ns, 0);
  EXPECT_GT(before.attempt_started_ns, 0);
  // Down for 3 s: past twice the timeout since n0 was queued.
  clock_.Advance(3s);
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  auto r = b.Wait(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), "ActiveTimeout");  // at once, not 2 s after the resume
  EXPECT_EQ(Row(id, "n0").phase, core::NodeExecution::TIMED_OUT);
  EXPECT_EQ(fake.Starts(id, "n0"), 1);  // no attempt started after the resume
}

TEST_F(EngineServiceTest, AReattachedAttemptKeepsItsNumberAndItsDeadline) {
  FakeRuntime fake;
  fake.set_survives(true);  // as a Slurm job does
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit(
        {.closure = Chain(1, 1000ms, /*retries=*/1), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "n0"));
    ASSERT_TRUE(Eventually([&] { return !Row(id, "n0").handle.empty(); }));
  }
  const std::string handle = Row(id, "n0").handle;
  EXPECT_EQ(handle, "fake-handle-" + id + "/n0/0");
  clock_.Advance(400ms);
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  ASSERT_EQ(fake.reattached(), std::vector<std::string>{handle});
  // Still attempt 0, and its timeout counts from its own start: 600 ms left.
  clock_.Advance(599ms);
  auto spec = fake.RunningSpec(id, "n0");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->id.attempt, 0);
  clock_.Advance(2ms);  // 1001 ms after it started: it times out and is retried
  ASSERT_TRUE(Eventually([&] {
    auto running = fake.RunningSpec(id, "n0");
    return running && running->id.attempt == 1;
  }));
  EXPECT_EQ(fake.Starts(id, "n0"), 2);
  ASSERT_TRUE(fake.Complete(id, "n0", Outputs(7)));
  auto r = b.Wait(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(r->outputs, "y"), 7);
}

TEST_F(EngineServiceTest, AnInterruptedAttemptIsASystemFailureAndTheNextGetsANewDirectory) {
  FakeRuntime fake;
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit({.closure = Chain(1), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "n0"));
    auto spec = fake.RunningSpec(id, "n0");
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->id.attempt, 0);
  }
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  ASSERT_TRUE(fake.WaitRunning(id, "n0"));
  auto spec = fake.RunningSpec(id, "n0");
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->id.attempt, 1);
  store::DataDir data(store_->data_dir(), id);
  EXPECT_EQ(spec->output_dir.string(), data.OutputDir("n0", 1));
  ASSERT_TRUE(fake.Complete(id, "n0", Outputs(5)));
  auto r = b.Wait(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  const store::NodeRecord n0 = Row(id, "n0");
  EXPECT_EQ(n0.attempts, 1);
  EXPECT_EQ(n0.system_failures, 1);
  // The interruption is in the events: attempt 0 FAILED with Interrupted.
  bool interrupted = false;
  for (const auto& e : *reader_->GetEvents(id)) {
    if (e.kind != store::EventKind::kTask) continue;
    flyteidl::event::TaskExecutionEvent te;
    te.ParseFromString(e.payload);
    if (te.retry_attempt() == 0 && te.phase() == core::TaskExecution::FAILED) {
      interrupted =
          te.error().code() == "Interrupted" && te.error().kind() == core::ExecutionError::SYSTEM;
    }
  }
  EXPECT_TRUE(interrupted);
}

TEST_F(EngineServiceTest, ResumeRefusesALiveLeaseAndTakesOverAnExpiredOne) {
  FakeRuntime fake;
  Engine a(FakeOptions(&fake));
  auto id = a.Submit({.closure = Chain(1), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(fake.WaitRunning(*id, "n0"));
  auto other = OtherStore();
  EngineOptions bo = FakeOptions(&fake);
  bo.store = other.get();
  {
    Engine b(bo);
    Status st = b.Resume(*id);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(st.message().find("is being run by " + a.owner()), std::string::npos) << st.message();
  }
  // A holder on another host that stopped renewing: refused until its time runs out.
  auto ghost = OtherStore();
  ASSERT_TRUE(ghost
                  ->AcquireLease(*id, "elsewhere:1:1:ghost", clock_.Now(),
                                 clock_.Now() + std::chrono::nanoseconds(30s).count(), a.owner())
                  .ok());
  Engine b(bo);
  Status refused = b.Resume(*id);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("elsewhere:1:1:ghost"), std::string::npos);
  clock_.Advance(31s);
  ASSERT_TRUE(b.Resume(*id).ok());
  ASSERT_TRUE(Eventually([&] {
    auto running = fake.RunningSpec(*id, "n0");
    return running && running->id.attempt == 1;  // b's, after the interrupted one
  }));
  ASSERT_TRUE(fake.Complete(*id, "n0", Outputs(2)));
  auto r = b.Wait(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(EngineServiceTest, AnEngineThatLostItsLeaseWritesNothingMore) {
  FakeRuntime fake;
  Engine a(FakeOptions(&fake));
  auto id = a.Submit({.closure = Chain(1), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(fake.WaitRunning(*id, "n0"));
  // Another engine took it over (as if `a` had stalled past its lease).
  ASSERT_TRUE(
      OtherStore()
          ->AcquireLease(*id, "thief", clock_.Now(), clock_.Now() + 1'000'000'000, a.owner())
          .ok());
  // `a` may have noticed already and stopped its attempt (then there is
  // nothing to complete); either way nothing more of it is written.
  (void)fake.Complete(*id, "n0", Outputs(2));
  auto r = a.Wait(*id);  // whether `a` let it go before or after this asks
  ASSERT_FALSE(r.ok());
  const std::string& why = r.status().message();
  EXPECT_TRUE(why.find("lease lost: another engine runs execution " + *id) != std::string::npos ||
              why.find("its lease holder: thief") != std::string::npos)
      << why;
  EXPECT_EQ(Row(*id, "n0").phase, core::NodeExecution::RUNNING);  // the fence held
}

TEST_F(EngineServiceTest, AdoptOrphansFinishesWhatAStoppedEngineLeft) {
  FakeRuntime fake(0, [](const runtime::AttemptSpec&) { return Outputs(10); });
  FakeRuntime stuck;
  std::vector<std::string> ids;
  {
    Engine a(FakeOptions(&stuck));
    for (int k = 0; k < 3; ++k) {
      auto id = a.Submit({.closure = Chain(2), .inputs = lit::Inputs({{"x", lit::Int(k)}})});
      ASSERT_TRUE(id.ok());
      ids.push_back(*id);
      ASSERT_TRUE(stuck.WaitRunning(*id, "n0"));
    }
  }
  Engine b(FakeOptions(&fake));
  auto adopted = b.AdoptOrphans();
  ASSERT_TRUE(adopted.ok()) << adopted.status().ToString();
  EXPECT_EQ(std::set<std::string>(adopted->begin(), adopted->end()),
            std::set<std::string>(ids.begin(), ids.end()));
  for (const auto& id : ids) {
    auto r = b.Wait(id);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  }
}

TEST_F(EngineServiceTest, RuntimeSlotsBoundAttemptsInFlight) {
  // A fan-out of 10,000 tasks on a runtime with 4 slots.
  FakeRuntime fake(4, [](const runtime::AttemptSpec&) { return core::LiteralMap(); });
  TaskTemplate noop = Task("t.noop", {}, {});
  WorkflowBuilder wf("fan");
  for (int i = 0; i < 10000; ++i) wf.Add(TaskNode("n" + std::to_string(i), noop));
  auto closure = CompileIt(wf.Build(), {noop});
  ASSERT_TRUE(closure.ok());
  Engine engine(FakeOptions(&fake));
  std::map<int, int> queued_seen;  // a listener sees nodes wait QUEUED for slots
  std::atomic<int> queued_now{0}, max_queued{0};
  engine.Subscribe([&](const Event& e) {
    if (e.kind != store::EventKind::kNode) return;
    if (e.phase == core::NodeExecution::QUEUED) {
      max_queued = std::max(max_queued.load(), ++queued_now);
    } else if (e.phase == core::NodeExecution::RUNNING) {
      --queued_now;
    }
  });
  auto r = engine.Run({.closure = *closure});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(fake.total_starts(), 10000);
  EXPECT_LE(fake.max_running(), 4);
  EXPECT_GE(fake.max_running(), 1);
  EXPECT_GT(max_queued.load(), 4);  // the others waited, QUEUED
}

TEST_F(EngineServiceTest, MaxParallelismBoundsAnExecution) {
  FakeRuntime fake(0, [](const runtime::AttemptSpec&) { return core::LiteralMap(); });
  TaskTemplate noop = Task("t.noop", {}, {});
  WorkflowBuilder wf("fan");
  for (int i = 0; i < 200; ++i) wf.Add(TaskNode("n" + std::to_string(i), noop));
  auto closure = CompileIt(wf.Build(), {noop});
  ASSERT_TRUE(closure.ok());
  Engine engine(FakeOptions(&fake));
  auto r = engine.Run({.closure = *closure, .max_parallelism = 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(fake.total_starts(), 200);
  EXPECT_LE(fake.max_running(), 3);
  auto record = reader_->GetExecution(r->execution_id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->max_parallelism, 3);
  auto negative = engine.Submit({.closure = *closure, .max_parallelism = -1});
  EXPECT_FALSE(negative.ok());
}

// A parent with a launch-plan node n0 whose child also has a node n0.
class LaunchPlanResumeTest : public EngineServiceTest {
 protected:
  void SetUp() override {
    EngineServiceTest::SetUp();
    WorkflowBuilder child("child");
    child.Input("x", types::Int());
    child.Add(TaskNode("n0", kAdd1).Bind("x", WorkflowInput("x")));
    child.Add(TaskNode("n1", kAdd1).Bind("x", Promise("n0", "o0")));
    child.Output("y", types::Int(), Promise("n1", "o0"));
    auto child_closure = CompileIt(child.Build(), {kAdd1});
    ASSERT_TRUE(child_closure.ok());
    lp_id_ = MakeIdentifier(core::LAUNCH_PLAN, "child_lp");
    target_.closure = *child_closure;
    // Registered in the store: the engine's default resolver reads it from there.
    ASSERT_TRUE(RegisterLaunchPlan(*store_, lp_id_, target_).ok());
    compiler::LaunchPlanInterface lpi;
    lpi.id = lp_id_;
    *(*lpi.expected_inputs.mutable_parameters())["x"].mutable_var()->mutable_type() = types::Int();
    (*lpi.expected_inputs.mutable_parameters())["x"].set_required(true);
    *(*lpi.expected_outputs.mutable_variables())["y"].mutable_type() = types::Int();
    WorkflowBuilder wf("parent");
    wf.Input("x", types::Int());
    wf.Add(LaunchPlanNode("n0", lp_id_).Bind("x", WorkflowInput("x")));
    wf.Add(TaskNode("after", kAdd1).Bind("x", Promise("n0", "y")));
    wf.Output("y", types::Int(), Promise("after", "o0"));
    std::vector<compiler::CompiledTask> tasks(1);
    *tasks[0].mutable_template_() = kAdd1;
    auto closure = compiler::CompileWorkflow(wf.Build(), {}, tasks, {lpi});
    ASSERT_TRUE(closure.ok()) << closure.status().ToString();
    closure_ = *closure;
  }
  core::Identifier lp_id_;
  LaunchPlanTarget target_;
  compiler::CompiledWorkflowClosure closure_;
};

// Versions are immutable: registering the same launch plan again is a
// no-op; another under its id is refused, naming it, and the first stays.
TEST_F(LaunchPlanResumeTest, ALaunchPlanRegisteredAgainMustBeTheSame) {
  EXPECT_TRUE(RegisterLaunchPlan(*store_, lp_id_, target_).ok());
  LaunchPlanTarget other = target_;
  other.max_parallelism = 3;
  Status st = RegisterLaunchPlan(*store_, lp_id_, other);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("child_lp"), std::string::npos) << st.ToString();
  auto row = reader_->GetRegistered(lp_id_);
  ASSERT_TRUE(row.ok() && row->has_value());
  flyteidl::admin::LaunchPlanSpec spec;
  ASSERT_TRUE(spec.ParseFromString((*row)->spec));
  EXPECT_EQ(spec.max_parallelism(), 0u);
}

TEST_F(LaunchPlanResumeTest, RowsOfAParentAndItsChildWithTheSamePathAreBothKept) {
  auto r = Engine(Options()).Run(
      {.closure = closure_, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "p"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 4);
  EXPECT_EQ(Row("p", "n0").phase, core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(Row("p-n0", "n0").phase, core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(Row("p-n0", "n1").phase, core::NodeExecution::SUCCEEDED);
}

TEST_F(LaunchPlanResumeTest, ResumeContinuesTheChildWithoutRunningFinishedNodesAgain) {
  FakeRuntime fake;
  {
    Engine a(FakeOptions(&fake));
    auto id = a.Submit(
        {.closure = closure_, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "p"});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_TRUE(fake.WaitRunning("p-n0", "n0"));
    ASSERT_TRUE(fake.Complete("p-n0", "n0", Outputs(2)));
    ASSERT_TRUE(fake.WaitRunning("p-n0", "n1"));
  }  // stops with the child's n1 running
  EngineOptions o = FakeOptions(&fake);
  o.launch_plans = nullptr;  // the store's registrations and the child's record are enough
  Engine b(o);
  ASSERT_TRUE(b.Resume("p").ok());
  ASSERT_TRUE(fake.WaitRunning("p-n0", "n1"));
  ASSERT_TRUE(fake.Complete("p-n0", "n1", Outputs(3)));
  ASSERT_TRUE(fake.WaitRunning("p", "after"));
  ASSERT_TRUE(fake.Complete("p", "after", Outputs(4)));
  auto r = b.Wait("p");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 4);
  EXPECT_EQ(fake.Starts("p-n0", "n0"), 1);  // finished before: not run again
  EXPECT_EQ(fake.Starts("p-n0", "n1"), 2);  // interrupted: its next attempt
  auto child = reader_->GetExecution("p-n0");
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(child->parent, "p");
  EXPECT_EQ(child->root, "p");
}

TEST_F(EngineServiceTest, AbortingAnExecutionNoEngineRunsTakesItOver) {
  FakeRuntime fake;
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit({.closure = Chain(2), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "n0"));
  }
  Engine b(FakeOptions(&fake));
  auto outcome = b.Abort(id, "no longer needed");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, AbortOutcome::kAborted);
  // What the stopped engine left running was looked for, to be stopped.
  EXPECT_EQ(fake.reattached().size(), 1u);
  auto record = reader_->GetExecution(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->phase, core::WorkflowExecution::ABORTED);
  EXPECT_EQ(Row(id, "n0").phase, core::NodeExecution::ABORTED);
  EXPECT_EQ(fake.Starts(id, "n0"), 1);  // nothing started again
  auto again = b.Abort(id, "twice");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already ended ABORTED"), std::string::npos);
  auto missing = b.Abort("nope", "x");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(EngineServiceTest, ListenersHearOnlyWhatIsCommitted) {
  auto other = OtherStore();
  Engine engine(Options());
  std::mutex mu;
  std::vector<std::string> heard;
  std::vector<size_t> stored_then;  // events in the store when each was heard
  engine.Subscribe([&](const Event& e) {
    auto events = other->GetEvents(e.execution_id);
    std::lock_guard<std::mutex> lock(mu);
    heard.push_back(e.node_path + ":" + std::to_string(e.phase));
    stored_then.push_back(events.ok() ? events->size() : 0);
  });
  auto r = engine.Run(
      {.closure = Chain(2), .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "heard"});
  ASSERT_TRUE(r.ok());
  auto stored = reader_->GetEvents("heard");
  ASSERT_TRUE(stored.ok());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(heard.size(), stored->size());
  for (size_t k = 0; k < heard.size(); ++k) EXPECT_GT(stored_then[k], k) << heard[k];
}

// A store whose commits fail once told to.
class FailingStore : public store::StoreWrapper {
 public:
  explicit FailingStore(store::Store* inner) : StoreWrapper(inner) {}
  void FailFromNowOn() { failing_ = true; }
  Status Commit(const store::Batch& batch) override {
    if (failing_) return IoError("disk full (injected)");
    return StoreWrapper::Commit(batch);
  }

 private:
  std::atomic<bool> failing_{false};
};

TEST_F(EngineServiceTest, AFailedCommitStopsTheEngineAndSaysWhy) {
  FakeRuntime fake;
  FailingStore failing(store_.get());
  EngineOptions o = FakeOptions(&fake);
  o.store = &failing;
  Engine engine(o);
  auto id = engine.Submit({.closure = Chain(1), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(fake.WaitRunning(*id, "n0"));
  ASSERT_TRUE(Eventually([&] { return !Row(*id, "n0").handle.empty(); }));  // all committed
  failing.FailFromNowOn();
  ASSERT_TRUE(fake.Complete(*id, "n0", Outputs(2)));  // its commit fails
  auto r = engine.Wait(*id);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("disk full (injected)"), std::string::npos);
  // Sticky: the outcome of that commit is unknown, so nothing more runs.
  auto next = engine.Submit({.closure = Chain(1), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("disk full (injected)"), std::string::npos);
  EXPECT_NE(reader_->GetExecution(*id)->phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(EngineServiceTest, MalformedPromiseVarsAreErrorsNotCrashes) {
  for (const std::string var : {"[x].o0", "[1", "[99999999999999999999].o0", "[-1].o0"}) {
    auto closure = Chain(2);
    auto* node = closure.mutable_primary()->mutable_template_()->mutable_nodes(3);
    ASSERT_EQ(node->id(), "n1");
    node->mutable_inputs(0)->mutable_binding()->mutable_promise()->set_var(var);
    Engine engine(Options());
    auto r = engine.Submit({.closure = closure, .inputs = lit::Inputs({{"x", lit::Int(1)}})});
    ASSERT_FALSE(r.ok()) << var;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("promise var \"" + var + "\""), std::string::npos)
        << r.status().message();
  }
}

TEST(OwnerTest, AnEngineOfThisHostIsKnownDeadOnlyWhenItSurelyIs) {
  const std::string me = internal::DefaultOwner();
  EXPECT_FALSE(internal::OwnerDeadHere(me));  // this process runs
  // Same place, a pid that is not running (or not since that start time).
  const size_t c3 = me.rfind(':'), c2 = me.rfind(':', c3 - 1), c1 = me.rfind(':', c2 - 1);
  const std::string place = me.substr(0, c1);
  EXPECT_TRUE(internal::OwnerDeadHere(place + ":" + std::to_string(::getpid()) + ":1:x"));
  EXPECT_TRUE(internal::OwnerDeadHere(place + ":999999999:12345:x"));
  // Another boot of this host: rebooted since, so gone.
  const size_t s2 = place.rfind('/'), s1 = place.rfind('/', s2 - 1);
  const std::string host = place.substr(0, s1), pid_ns = place.substr(s2 + 1);
  EXPECT_TRUE(internal::OwnerDeadHere(host + "/another-boot/" + pid_ns + ":1:1:x"));
  // Another pid namespace (a container with the same host name): cannot tell.
  const std::string boot = place.substr(s1 + 1, s2 - s1 - 1);
  EXPECT_FALSE(internal::OwnerDeadHere(host + "/" + boot + "/1:999999999:12345:x"));
  // Another host, or another form of name: never.
  EXPECT_FALSE(internal::OwnerDeadHere("elsewhere/" + boot + "/" + pid_ns + ":999999999:1:x"));
  EXPECT_FALSE(internal::OwnerDeadHere("thief"));
  EXPECT_FALSE(internal::OwnerDeadHere("a:b:c"));
  EXPECT_FALSE(internal::OwnerDeadHere(place + ":notapid:1:x"));
}

}  // namespace
}  // namespace flytecpp::engine

namespace flytecpp::engine {
namespace {

using namespace testing;

// Flyte's RecoverExecution: what succeeded in the failed execution is not
// run again; the rest runs.
TEST_F(EngineTest, RecoveryReusesWhatSucceededAndRunsTheRest) {
  Register("t.add1", Add1);
  std::atomic<bool> broken{true};
  const TaskTemplate flaky = Task("t.flaky", {{"x", types::Int()}}, {{"o0", types::Int()}});
  Register("t.flaky", [&broken](const core::LiteralMap& in) -> runtime::TaskOutcome {
    if (broken) return UserError("not today");
    return Add1(in);
  });
  WorkflowBuilder wf("recoverable");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", kAdd1).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", flaky).Bind("x", Promise("n0", "o0")));
  wf.Add(TaskNode("n2", kAdd1).Bind("x", Promise("n1", "o0")));
  wf.Output("y", types::Int(), Promise("n2", "o0"));
  auto closure = CompileIt(wf.Build(), {kAdd1, flaky});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  auto first = engine.Run(
      {.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "first"});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->phase, core::WorkflowExecution::FAILED);
  ASSERT_EQ(Calls("t.add1"), 1);  // n0 ran; n2 never did

  broken = false;
  auto again = engine.Run({.closure = *closure,
                           .inputs = lit::Inputs({{"x", lit::Int(1)}}),
                           .execution_id = "again",
                           .recover_from = "first"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->phase, core::WorkflowExecution::SUCCEEDED);
  ASSERT_EQ(again->outputs.literals().count("y"), 1u);
  EXPECT_EQ(Int(again->outputs, "y"), 4);
  EXPECT_EQ(Calls("t.add1"), 2);  // n2 only: n0 was recovered
  EXPECT_EQ(Calls("t.flaky"), 2);
  auto phases = NodePhases("again");
  EXPECT_EQ(phases["n0"], core::NodeExecution::RECOVERED);
  EXPECT_EQ(phases["n1"], core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(phases["n2"], core::NodeExecution::SUCCEEDED);
  // Recovered outputs are the new execution's own data, as any node's.
  EXPECT_EQ(Row("again", "n0").attempts, 0);

  // Recovering from an execution that does not exist runs everything.
  auto fresh = engine.Run({.closure = *closure,
                           .inputs = lit::Inputs({{"x", lit::Int(5)}}),
                           .execution_id = "fresh",
                           .recover_from = "no-such-execution"});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Int(fresh->outputs, "y"), 8);
  EXPECT_EQ(Calls("t.add1"), 4);
}

}  // namespace
}  // namespace flytecpp::engine
