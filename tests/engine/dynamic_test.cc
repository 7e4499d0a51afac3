// Dynamic workflows (docs/semantics.md R57-R60).
#include "engine_test_util.h"
#include "fake_runtime.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
using namespace std::chrono_literals;

const TaskTemplate kDyn = Task("t.dyn", {{"x", types::Int()}}, {{"o0", types::Int()}});

// d0 -> d1 -> ... of t.add1 from `start`: the workflow outputs start + n.
core::DynamicJobSpec Chain(int n, int64_t start) {
  core::DynamicJobSpec spec;
  for (int k = 0; k < n; ++k) {
    NodeBuilder node = TaskNode("d" + std::to_string(k), kAdd1);
    node.Bind("x", k == 0 ? Constant(lit::Int(start)) : Promise("d" + std::to_string(k - 1), "o0"));
    *spec.add_nodes() = node.Build();
  }
  auto* out = spec.add_outputs();
  out->set_var("o0");
  *out->mutable_binding() = Promise("d" + std::to_string(n - 1), "o0");
  *spec.add_tasks() = kAdd1;
  return spec;
}

class DynamicTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("t.add1", Add1);
    Register("t.dyn", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
      return Chain(3, Int(in, "x"));
    });
  }

  compiler::CompiledWorkflowClosure OneNode(const TaskTemplate& task) {
    WorkflowBuilder wf("dyn");
    wf.Input("x", types::Int());
    wf.Add(TaskNode("n0", task).Bind("x", WorkflowInput("x")));
    wf.Output("y", types::Int(), Promise("n0", "o0"));
    auto closure = CompileIt(wf.Build(), {task});
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    return *closure;
  }

  static core::LiteralMap X(int64_t x) { return lit::Inputs({{"x", lit::Int(x)}}); }
};

TEST_F(DynamicTest, R57_TheGeneratedWorkflowRunsUnderTheNodeAndItsOutputsAreTheNodes) {
  Engine engine(Options());
  auto r = engine.Run({.closure = OneNode(kDyn), .inputs = X(10)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 13);
  EXPECT_EQ(Calls("t.add1"), 3);
  auto phases = NodePhases(r->execution_id);
  for (const char* path : {"n0", "n0/d0", "n0/d1", "n0/d2"}) {
    ASSERT_EQ(phases.count(path), 1u) << path;
    EXPECT_EQ(phases[path], core::NodeExecution::SUCCEEDED) << path;
  }
  bool dynamic_event = false;
  for (const auto& e : NodeEvents(r->execution_id)) {
    if (e.id().node_id() == "n0" && e.is_dynamic()) {
      dynamic_event = true;
      EXPECT_EQ(e.task_node_metadata().dynamic_workflow().id().name(), "dynamic_n0");
    }
  }
  EXPECT_TRUE(dynamic_event);
  // The spec is stored with the attempt.
  EXPECT_TRUE(std::filesystem::exists(store_->data_dir() / r->execution_id / "n0" / "data" / "0" /
                                      "dynamic_job_spec.pb"));
}

TEST_F(DynamicTest, R58_ASpecThatDoesNotCompileFailsTheNodeAtOnceAsTheUsersError) {
  Register("t.bad", [](const core::LiteralMap&) -> runtime::TaskOutcome {
    core::DynamicJobSpec spec = Chain(2, 1);
    // d1 reads an output d0 does not have.
    *spec.mutable_nodes(1)->mutable_inputs(0)->mutable_binding() = Promise("d0", "nope");
    return spec;
  });
  TaskTemplate bad = Task("t.bad", {{"x", types::Int()}}, {{"o0", types::Int()}});
  auto r = Engine(Options()).Run({.closure = OneNode(bad), .inputs = X(1)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->kind(), core::ExecutionError::USER);
  EXPECT_EQ(r->error->code(), "DynamicWorkflowBuildFailed");
  EXPECT_NE(r->error->message().find("dynamic workflow of task t.bad (node n0): "),
            std::string::npos)
      << r->error->message();
  EXPECT_NE(r->error->message().find("nope"), std::string::npos) << r->error->message();
  EXPECT_EQ(Calls("t.add1"), 0);  // nothing of it ran
}

TEST_F(DynamicTest, R59_ResumeContinuesInsideTheStoredWorkflow) {
  FakeRuntime fake;
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit({.closure = OneNode(kDyn), .inputs = X(5)});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "n0"));
    ASSERT_TRUE(fake.Complete(id, "n0", Chain(3, 5)));
    ASSERT_TRUE(fake.WaitRunning(id, "n0/d0"));
    ASSERT_TRUE(fake.Complete(id, "n0/d0", lit::Inputs({{"o0", lit::Int(6)}})));
    ASSERT_TRUE(fake.WaitRunning(id, "n0/d1"));
    ASSERT_TRUE(
        Eventually([&] { return NodePhases(id)["n0/d0"] == core::NodeExecution::SUCCEEDED; }));
  }  // stops with d1 running
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  ASSERT_TRUE(fake.WaitRunning(id, "n0/d1"));
  ASSERT_TRUE(fake.Complete(id, "n0/d1", lit::Inputs({{"o0", lit::Int(7)}})));
  ASSERT_TRUE(fake.WaitRunning(id, "n0/d2"));
  ASSERT_TRUE(fake.Complete(id, "n0/d2", lit::Inputs({{"o0", lit::Int(8)}})));
  auto r = b.Wait(id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 8);
  EXPECT_EQ(fake.Starts(id, "n0"), 1);     // the task that generated it: not again
  EXPECT_EQ(fake.Starts(id, "n0/d0"), 1);  // finished before: not again
  EXPECT_EQ(fake.Starts(id, "n0/d1"), 2);  // interrupted: its next attempt
}

TEST_F(DynamicTest, R60_DynamicsNestAndGatesInsideThemWork) {
  // t.outer generates: inner = t.dyn(x) (itself dynamic), then a 5 s sleep,
  // then add1(inner).
  Register("t.outer", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    core::DynamicJobSpec spec;
    *spec.add_nodes() = TaskNode("inner", kDyn).Bind("x", Constant(lit::Int(Int(in, "x")))).Build();
    *spec.add_nodes() = SleepGate("nap", 5s).After("inner").Build();
    *spec.add_nodes() =
        TaskNode("last", kAdd1).Bind("x", Promise("inner", "o0")).After("nap").Build();
    auto* out = spec.add_outputs();
    out->set_var("o0");
    *out->mutable_binding() = Promise("last", "o0");
    *spec.add_tasks() = kDyn;
    *spec.add_tasks() = kAdd1;
    return spec;
  });
  TaskTemplate outer = Task("t.outer", {{"x", types::Int()}}, {{"o0", types::Int()}});
  Engine engine(Options());
  auto id = engine.Submit({.closure = OneNode(outer), .inputs = X(100)});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      Eventually([&] { return NodePhases(*id)["n0/nap"] == core::NodeExecution::RUNNING; }));
  EXPECT_EQ(NodePhases(*id)["n0/inner/d2"], core::NodeExecution::SUCCEEDED);
  clock_.Advance(5s);
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 104);  // 100 + 3 (inner chain) + 1
}

}  // namespace
}  // namespace flytecpp::engine
