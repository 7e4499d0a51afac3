// Gate nodes (docs/semantics.md R36-R42): sleeps on durable time, approvals
// and typed signals, shared by gates of one execution, inside branches,
// sub-workflows and launch plans, set from this engine or another.
#include "engine_test_util.h"
#include "fake_runtime.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class GatesTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("t.add1", Add1);
  }

  compiler::CompiledWorkflowClosure Compile(const WorkflowTemplate& wf,
                                            const std::vector<WorkflowTemplate>& subs = {}) {
    auto closure = CompileIt(wf, {kAdd1}, subs);
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    return *closure;
  }

  // x -> a (+1) -> gate `g` (approve "go") -> b (+1) -> y
  compiler::CompiledWorkflowClosure Approval() {
    WorkflowBuilder wf("approval");
    wf.Input("x", types::Int());
    wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
    wf.Add(ApproveGate("g", "go").Bind("v", Promise("a", "o0")));
    wf.Add(TaskNode("b", kAdd1).Bind("x", Promise("g", "v")));
    wf.Output("y", types::Int(), Promise("b", "o0"));
    return Compile(wf.Build());
  }

  // Waits (real time, bounded) until node `path` of `exec` is RUNNING.
  bool Reaches(const std::string& exec, const std::string& path,
               core::NodeExecution::Phase phase = core::NodeExecution::RUNNING) {
    return Eventually([&] {
      auto phases = NodePhases(exec);
      return phases.count(path) && phases[path] == phase;
    });
  }
};

TEST_F(GatesTest, R36_ASleepGateWaitsItsDurationOnTheEnginesClock) {
  WorkflowBuilder wf("nap");
  wf.Add(SleepGate("nap", 10min));
  wf.Add(TaskNode("after", kAdd1).Bind("x", Constant(lit::Int(1))).After("nap"));
  wf.Output("y", types::Int(), Promise("after", "o0"));
  Engine engine(Options());
  auto id = engine.Submit({.closure = Compile(wf.Build())});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Reaches(*id, "nap"));
  clock_.Advance(9min);
  ASSERT_TRUE(engine.Settle().ok());  // the engine has looked at its clock since
  EXPECT_EQ(NodePhases(*id)["nap"], core::NodeExecution::RUNNING);
  clock_.Advance(1min);
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(r->outputs, "y"), 2);
  EXPECT_EQ(NodePhases(*id)["nap"], core::NodeExecution::SUCCEEDED);
}

TEST_F(GatesTest, R37_ASleepThatEndedWhileNoEngineRanEndsAtOnceOnResume) {
  WorkflowBuilder wf("nap");
  wf.Add(SleepGate("nap", 1h));
  auto closure = Compile(wf.Build());
  std::string id;
  {
    Engine a(Options());
    auto submitted = a.Submit({.closure = closure});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(Reaches(id, "nap"));
  }                    // stopped while sleeping
  clock_.Advance(3h);  // down far longer than the sleep
  Engine b(Options());
  ASSERT_TRUE(b.Resume(id).ok());
  auto r = b.Wait(id);  // not another hour: the due time was stored
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);

  // Resumed before its time: it wakes when it would have, not a full hour later.
  {
    Engine a(Options());
    auto submitted = a.Submit({.closure = closure, .execution_id = "early"});
    ASSERT_TRUE(submitted.ok());
    ASSERT_TRUE(Reaches("early", "nap"));
  }
  clock_.Advance(40min);
  Engine c(Options());
  ASSERT_TRUE(c.Resume("early").ok());
  // Still asleep once the resumed engine has looked at its clock (a row
  // read before that would be the one written before the stop).
  ASSERT_TRUE(c.Settle().ok());
  EXPECT_EQ(NodePhases("early")["nap"], core::NodeExecution::RUNNING);
  clock_.Advance(19min);
  ASSERT_TRUE(c.Settle().ok());
  EXPECT_EQ(NodePhases("early")["nap"], core::NodeExecution::RUNNING);
  clock_.Advance(1min);
  auto early = c.Wait("early");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(GatesTest, R38_AnApprovalPassesTheInputsOnARejectionFailsNamingWhoAndWhy) {
  Engine engine(Options());
  auto id = engine.Submit({.closure = Approval(), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Reaches(*id, "g"));
  ASSERT_TRUE(engine.Signal(*id, "go", lit::Bool(true), "ann@host").ok());
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(r->outputs, "y"), 3);  // a's 2 went through the gate

  auto rejected =
      engine.Submit({.closure = Approval(), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(rejected.ok());
  ASSERT_TRUE(Reaches(*rejected, "g"));
  ASSERT_TRUE(engine.Signal(*rejected, "go", lit::Bool(false), "bob@host", "not today").ok());
  auto f = engine.Wait(*rejected);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(f->error);
  EXPECT_EQ(f->error->kind(), core::ExecutionError::USER);
  EXPECT_EQ(f->error->code(), "ReceivedRejectSignal");
  EXPECT_EQ(f->error->message(), "gate g was rejected by bob@host (signal go): not today");
  EXPECT_EQ(f->failed_node, "g");
  EXPECT_EQ(NodePhases(*rejected).count("b"), 0u);
}

TEST_F(GatesTest, R39_ASignalIsTypedAndBecomesTheGatesOutput) {
  WorkflowBuilder wf("signal");
  wf.Add(SignalGate("ask", "limit", types::Int(), "n"));
  wf.Add(TaskNode("use", kAdd1).Bind("x", Promise("ask", "n")));
  wf.Output("y", types::Int(), Promise("use", "o0"));
  Engine engine(Options());
  auto id = engine.Submit({.closure = Compile(wf.Build())});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Reaches(*id, "ask"));
  // Wrong type, unknown signal, approval of a typed signal: refused, nothing changes.
  Status bad = engine.Signal(*id, "limit", lit::String("ten"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("signal limit of execution " + *id + " takes a int"),
            std::string::npos)
      << bad.message();
  Status unknown = engine.Signal(*id, "nope", lit::Int(1));
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("(its signals: limit)"), std::string::npos);
  auto listed = engine.Signals(*id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].waiting);
  EXPECT_FALSE((*listed)[0].value.has_value());
  EXPECT_EQ((*listed)[0].type.simple(), core::INTEGER);
  EXPECT_EQ(NodePhases(*id)["ask"], core::NodeExecution::RUNNING);

  ASSERT_TRUE(engine.Signal(*id, "limit", lit::Int(41), "me").ok());
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Int(r->outputs, "y"), 42);
  Status again = engine.Signal(*id, "limit", lit::Int(1));
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition) << again.ToString();  // set once
  auto stored = reader_->GetSignals(*id);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  ASSERT_TRUE((*stored)[0].value.has_value());
  EXPECT_EQ((*stored)[0].origin, "me");
}

TEST_F(GatesTest, R40_GatesWorkInBranchesSubWorkflowsAndLaunchPlansAndShareSignals) {
  // A sub-workflow waiting on "go" too, and a branch case that is a gate.
  WorkflowBuilder sub("sub");
  sub.Input("x", types::Int());
  sub.Add(ApproveGate("inner", "go").Bind("x", WorkflowInput("x")));
  sub.Output("y", types::Int(), Promise("inner", "x"));
  const WorkflowTemplate subt = sub.Build();
  WorkflowBuilder wf("nested");
  wf.Input("x", types::Int());
  wf.Add(SubWorkflowNode("sw", subt.id()).Bind("x", WorkflowInput("x")));
  wf.Add(ApproveGate("outer", "go").Bind("x", WorkflowInput("x")));
  wf.Add(BranchNode("br")
             .Bind("x", WorkflowInput("x"))
             .If(Var("x") > Val(0), SignalGate("pick", "choice", types::Int(), "o0"))
             .ElseFail("negative"));
  wf.Output("a", types::Int(), Promise("sw", "y"));
  wf.Output("b", types::Int(), Promise("outer", "x"));
  wf.Output("c", types::Int(), Promise("br", "o0"));
  Engine engine(Options());
  auto id = engine.Submit(
      {.closure = Compile(wf.Build(), {subt}), .inputs = lit::Inputs({{"x", lit::Int(5)}})});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Reaches(*id, "sw/inner"));
  ASSERT_TRUE(Reaches(*id, "outer"));
  ASSERT_TRUE(Reaches(*id, "br-pick"));
  ASSERT_TRUE(engine.Signal(*id, "go", lit::Bool(true)).ok());  // releases both gates on "go"
  ASSERT_TRUE(engine.Signal(*id, "choice", lit::Int(7)).ok());
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "a"), 5);
  EXPECT_EQ(Int(r->outputs, "b"), 5);
  EXPECT_EQ(Int(r->outputs, "c"), 7);

  // A launch plan's child waits on its own signals, under its own id.
  core::Identifier lp = MakeIdentifier(core::LAUNCH_PLAN, "approval_lp");
  LaunchPlanTarget target;
  target.closure = Approval();
  ASSERT_TRUE(RegisterLaunchPlan(*reader_, lp, target).ok());
  compiler::LaunchPlanInterface lpi;
  lpi.id = lp;
  *(*lpi.expected_inputs.mutable_parameters())["x"].mutable_var()->mutable_type() = types::Int();
  (*lpi.expected_inputs.mutable_parameters())["x"].set_required(true);
  *(*lpi.expected_outputs.mutable_variables())["y"].mutable_type() = types::Int();
  WorkflowBuilder parent("parent");
  parent.Input("x", types::Int());
  parent.Add(LaunchPlanNode("lp", lp).Bind("x", WorkflowInput("x")));
  parent.Output("y", types::Int(), Promise("lp", "y"));
  auto closure = CompileIt(parent.Build(), {kAdd1}, {}, {lpi});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  auto pid = engine.Submit(
      {.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "par"});
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(Reaches("par-lp", "g"));
  EXPECT_EQ(engine.Signal("par", "go", lit::Bool(true)).code(), StatusCode::kNotFound);
  ASSERT_TRUE(engine.Signal("par-lp", "go", lit::Bool(true)).ok());
  auto pr = engine.Wait("par");
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(pr->outputs, "y"), 3);
}

TEST_F(GatesTest, R41_ASignalSetByAnotherProcessReachesTheRunningEngine) {
  Engine engine(Options());
  auto id = engine.Submit({.closure = Approval(), .inputs = lit::Inputs({{"x", lit::Int(1)}})});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Reaches(*id, "g"));
  // Another process: its own store handle and engine, which does not run it.
  auto other_store = store::OpenSqliteStore(dir_.path() / "store");
  ASSERT_TRUE(other_store.ok());
  EngineOptions o = Options();
  o.store = other_store->get();
  {
    Engine other(o);
    ASSERT_TRUE(other.Signal(*id, "go", lit::Bool(true), "elsewhere").ok());
  }
  ASSERT_TRUE(engine.Settle().ok());
  EXPECT_EQ(NodePhases(*id)["g"], core::NodeExecution::RUNNING);  // not looked for yet
  clock_.Advance(250ms);                                          // past the engine's control poll
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  // A value set before the gate is reached is found when it is.
  auto early = engine.Submit(
      {.closure = Approval(), .inputs = lit::Inputs({{"x", lit::Int(1)}}), .hold = true});
  ASSERT_TRUE(early.ok());
  ASSERT_TRUE(engine.Signal(*early, "go", lit::Bool(true)).ok());
  ASSERT_TRUE(engine.Resume(*early).ok());
  auto er = engine.Wait(*early);
  ASSERT_TRUE(er.ok());
  EXPECT_EQ(er->phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(GatesTest, R42_HeldAndBlockedExecutions) {
  FakeRuntime fake;
  EngineOptions o = Options();
  o.runtimes = {&fake};
  Engine engine(o);
  // Held: recorded QUEUED, nothing started, no lease kept; Resume starts it.
  auto held = engine.Submit(
      {.closure = Approval(), .inputs = lit::Inputs({{"x", lit::Int(1)}}), .hold = true});
  ASSERT_TRUE(held.ok());
  auto record = reader_->GetExecution(*held);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->phase, core::WorkflowExecution::QUEUED);
  EXPECT_EQ(record->lease_expires_ns, 0);
  EXPECT_TRUE(reader_->GetNodes(*held)->empty());
  EXPECT_EQ(fake.total_starts(), 0);
  // Blocked: once a and the gate are reached, nothing runs; only the gate can move it.
  ASSERT_TRUE(engine.Resume(*held).ok());
  ASSERT_TRUE(fake.WaitRunning(*held, "a"));
  ASSERT_TRUE(fake.Complete(*held, "a", lit::Inputs({{"o0", lit::Int(2)}})));
  auto blocked = engine.WaitUntilBlocked(*held);
  ASSERT_TRUE(blocked.ok());
  EXPECT_FALSE(blocked->has_value());
  EXPECT_EQ(NodePhases(*held)["g"], core::NodeExecution::RUNNING);
  ASSERT_TRUE(engine.Signal(*held, "go", lit::Bool(true)).ok());
  ASSERT_TRUE(fake.WaitRunning(*held, "b"));
  ASSERT_TRUE(fake.Complete(*held, "b", lit::Inputs({{"o0", lit::Int(3)}})));
  auto ended = engine.WaitUntilBlocked(*held);
  ASSERT_TRUE(ended.ok());
  ASSERT_TRUE(ended->has_value());
  EXPECT_EQ((*ended)->phase, core::WorkflowExecution::SUCCEEDED);
}

}  // namespace
}  // namespace flytecpp::engine
