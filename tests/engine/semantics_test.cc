// One test per rule of docs/semantics.md (the rule's number in the name).
#include <chrono>
#include <thread>

#include "data.h"
#include "engine_test_util.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/store/data_dir.h"
#include "flytecpp/util/clock.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class SemanticsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("t.add1", Add1);
  }
};

TEST_F(SemanticsTest, R01_NodesRunAfterTheirUpstreamAndOutputsFlowToTheEnd) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("b", kAdd1).Bind("x", Promise("a", "o0")));
  wf.Add(TaskNode("c", kAdd1).Bind("x", Promise("b", "o0")));
  wf.Output("y", types::Int(), Promise("c", "o0"));
  auto r = RunOk(wf.Build(), {kAdd1}, lit::Inputs({{"x", lit::Int(1)}}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(r.outputs, "y"), 4);
  // Node events come in dependency order.
  std::vector<std::string> succeeded;
  for (const auto& e : NodeEvents(r.execution_id)) {
    if (e.phase() == core::NodeExecution::SUCCEEDED) succeeded.push_back(e.id().node_id());
  }
  EXPECT_EQ(succeeded, (std::vector<std::string>{"start-node", "a", "b", "c", "end-node"}));
}

TEST_F(SemanticsTest, R02_InputsAreCheckedBeforeAnythingRuns) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  auto closure = CompileIt(wf.Build(), {kAdd1});
  Engine engine(Options());
  auto r = engine.Run({.closure = *closure,
                       .inputs = lit::Inputs({{"x", lit::String("one")}}),
                       .execution_id = "bad"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x"), std::string::npos) << r.status().message();
  EXPECT_FALSE(reader_->GetExecution("bad").ok());  // nothing recorded
  EXPECT_EQ(Calls("t.add1"), 0);
  auto missing = engine.Run({.closure = *closure, .inputs = lit::Inputs({})});
  EXPECT_FALSE(missing.ok());
}

TEST_F(SemanticsTest, R03_DefaultsFillMissingInputs) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("a", "o0"));
  auto closure = CompileIt(wf.Build(), {kAdd1});
  core::ParameterMap defaults;
  *(*defaults.mutable_parameters())["x"].mutable_default_() = lit::Int(41);
  Engine engine(Options());
  auto r = engine.Run({.closure = *closure, .inputs = lit::Inputs({}), .defaults = defaults});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Int(r->outputs, "y"), 42);
  auto given = engine.Run(
      {.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .defaults = defaults});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ(Int(given->outputs, "y"), 2);
  // A launch plan's fixed inputs win over given ones.
  auto fixed = engine.Run({.closure = *closure,
                           .inputs = lit::Inputs({{"x", lit::Int(1)}}),
                           .defaults = defaults,
                           .fixed_inputs = lit::Inputs({{"x", lit::Int(9)}})});
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(Int(fixed->outputs, "y"), 10);
}

TEST_F(SemanticsTest, R04_BindingsOfEveryKind) {
  // A dataclass-like struct type, so the attribute path is typed at compile time.
  LiteralType inner = types::Struct();
  (*inner.mutable_structure()->mutable_dataclass_type())["v"] = types::Float();
  LiteralType outer = types::Struct();
  (*outer.mutable_structure()->mutable_dataclass_type())["nested"] = inner;
  TaskTemplate make =
      Task("t.make", {},
           {{"xs", types::List(types::Int())}, {"m", types::Map(types::Int())}, {"s", outer}});
  TaskTemplate collect = Task("t.collect",
                              {{"a", types::Int()},
                               {"b", types::Int()},
                               {"c", types::Float()},
                               {"d", types::List(types::Int())},
                               {"e", types::Map(types::Int())},
                               {"k", types::Int()}},
                              {{"o0", types::List(types::Int())}});
  Register("t.make", [](const core::LiteralMap&) -> runtime::TaskOutcome {
    google::protobuf::Struct s;
    (*s.mutable_fields())["nested"].mutable_struct_value();
    (*(*s.mutable_fields())["nested"].mutable_struct_value()->mutable_fields())["v"]
        .set_number_value(2.5);
    return lit::Inputs({{"xs", lit::List({lit::Int(10), lit::Int(20)})},
                        {"m", lit::Map({{"k", lit::Int(7)}})},
                        {"s", lit::Generic(s)}});
  });
  Register("t.collect", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    std::vector<core::Literal> out = {in.literals().at("a"), in.literals().at("b"),
                                      lit::Int(static_cast<int64_t>(Float(in, "c") * 10))};
    for (const auto& l : in.literals().at("d").collection().literals()) out.push_back(l);
    out.push_back(in.literals().at("e").map().literals().at("z"));
    out.push_back(in.literals().at("k"));
    return lit::Inputs({{"o0", lit::List(out)}});
  });
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("mk", make).OutputAlias("xs", "numbers"));
  wf.Add(TaskNode("c", collect)
             .Bind("a", Promise("mk", "numbers", {1}))        // alias + list index
             .Bind("b", Promise("mk", "m", {"k"}))            // map key
             .Bind("c", Promise("mk", "s", {"nested", "v"}))  // into a Struct
             .Bind("d", BindList({WorkflowInput("x"), Constant(lit::Int(5))}))
             .Bind("e", BindMap({{"z", Constant(lit::Int(9))}}))
             .Bind("k", Constant(lit::Int(3))));
  wf.Output("o", types::List(types::Int()), Promise("c", "o0"));
  auto r = RunOk(wf.Build(), {make, collect}, lit::Inputs({{"x", lit::Int(1)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  EXPECT_EQ(*FromLiteral<std::vector<int>>(r.outputs.literals().at("o")),
            (std::vector<int>{20, 7, 25, 1, 5, 9, 3}));
}

TEST_F(SemanticsTest, R05_UnresolvableBindingsFailWithoutRetry) {
  TaskTemplate make = Task("t.list", {}, {{"xs", types::List(types::Int())}});
  Register("t.list", [](const core::LiteralMap&) -> runtime::TaskOutcome {
    return lit::Inputs({{"xs", lit::List({lit::Int(1)})}});
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("mk", make));
  wf.Add(TaskNode("a", kAdd1).Bind("x", Promise("mk", "xs", {5})).Retries(3));  // out of range
  auto r = RunOk(wf.Build(), {make, kAdd1}, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code(), "BindingResolutionFailure");
  EXPECT_EQ(r.error->kind(), core::ExecutionError::SYSTEM);
  EXPECT_EQ(r.failed_node, "a");
  EXPECT_EQ(Calls("t.add1"), 0);
}

TEST_F(SemanticsTest, R06_MissingDeclaredOutputsAreARetryableUserError) {
  TaskTemplate t = Task("t.lazy", {}, {{"o0", types::Int()}}, /*retries=*/1);
  Register("t.lazy",
           [](const core::LiteralMap&) -> runtime::TaskOutcome { return core::LiteralMap(); });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t));
  auto r = RunOk(wf.Build(), {t}, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code(), "RetriesExhausted|OutputsNotFound");
  EXPECT_EQ(Calls("t.lazy"), 2);
}

TEST_F(SemanticsTest, R07_UserRetriesThenRetriesExhausted) {
  TaskTemplate t = Task("t.flaky", {}, {{"o0", types::Int()}}, /*retries=*/2);
  std::atomic<int> calls{0};
  Register("t.flaky", [&calls](const core::LiteralMap&) -> runtime::TaskOutcome {
    if (++calls < 3) return UserError("not yet", /*retryable=*/true);
    return lit::Inputs({{"o0", lit::Int(calls)}});
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t));
  wf.Output("y", types::Int(), Promise("a", "o0"));
  auto r = RunOk(wf.Build(), {t}, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Int(r.outputs, "y"), 3);  // third attempt

  // Node retries win over task retries; exhausted is a USER error.
  TaskTemplate always = Task("t.always", {}, {}, /*retries=*/5);
  Register("t.always",
           [](const core::LiteralMap&) -> runtime::TaskOutcome { return UserError("nope", true); });
  WorkflowBuilder wf2("wf2");
  wf2.Add(TaskNode("a", always).Retries(1));
  auto r2 = RunOk(wf2.Build(), {always}, lit::Inputs({}));
  EXPECT_EQ(r2.phase, core::WorkflowExecution::FAILED);
  EXPECT_EQ(Calls("t.always"), 2);
  ASSERT_TRUE(r2.error.has_value());
  EXPECT_EQ(r2.error->kind(), core::ExecutionError::USER);
  EXPECT_EQ(r2.error->code(), "RetriesExhausted|Boom");
  EXPECT_EQ(r2.error->message(), "[2/2] currentAttempt done. Last Error: USER::nope");
}

TEST_F(SemanticsTest, R08_NonRetryableFailuresFailAtOnce) {
  TaskTemplate t = Task("t.fatal", {}, {}, /*retries=*/3);
  Register("t.fatal", [](const core::LiteralMap&) -> runtime::TaskOutcome {
    return UserError("bad input", /*retryable=*/false);
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t));
  auto r = RunOk(wf.Build(), {t}, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code(), "Boom");
  EXPECT_EQ(Calls("t.fatal"), 1);
}

TEST_F(SemanticsTest, R09_SystemFailuresHaveTheirOwnBudget) {
  TaskTemplate t = Task("t.infra", {}, {}, /*retries=*/0);
  std::atomic<int> calls{0};
  Register("t.infra", [&calls](const core::LiteralMap&) -> runtime::TaskOutcome {
    if (++calls <= 3)
      return runtime::TaskError{core::ExecutionError::SYSTEM, "Lost", "node lost", true};
    return core::LiteralMap();
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t));
  auto r = RunOk(wf.Build(), {t}, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED);  // 3 system retries, 0 user retries
  EXPECT_EQ(calls, 4);
  const store::NodeRecord a = Row(r.execution_id, "a");
  EXPECT_EQ(a.attempts, 3);
  EXPECT_EQ(a.system_failures, 3);
  TaskTemplate t2 = Task("t.infra2", {}, {});
  Register("t.infra2", [](const core::LiteralMap&) -> runtime::TaskOutcome {
    return runtime::TaskError{core::ExecutionError::SYSTEM, "Lost", "node lost", true};
  });
  WorkflowBuilder wf2("wf2");
  wf2.Add(TaskNode("a", t2));
  auto r2 = RunOk(wf2.Build(), {t2}, lit::Inputs({}));
  ASSERT_TRUE(r2.error.has_value());
  EXPECT_EQ(r2.error->code(), "RetriesExhausted|Lost");
  EXPECT_EQ(Calls("t.infra2"), 4);
}

TEST_F(SemanticsTest, R10_AttemptTimeoutIsRetryable) {
  TaskTemplate t = Task("t.slow", {}, {{"o0", types::Int()}}, /*retries=*/1);
  auto first_started = NewLatch(), release = NewLatch();
  std::atomic<int> calls{0};
  Register("t.slow",
           [&calls, first_started, release](const core::LiteralMap&) -> runtime::TaskOutcome {
             const int call = ++calls;
             if (call == 1) {  // the first attempt hangs
               first_started->Open();
               release->Wait();
             }
             return lit::Inputs({{"o0", lit::Int(call)}});
           });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t).Timeout(250ms));
  wf.Output("y", types::Int(), Promise("a", "o0"));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok());
  Engine engine(Options());
  auto id = engine.Submit({.closure = *closure});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(first_started->WaitFor());
  clock_.Advance(249ms);
  ASSERT_TRUE(engine.Settle().ok());
  EXPECT_EQ(calls.load(), 1) << "timed out before its 250 ms";
  clock_.Advance(2ms);
  auto r = engine.Wait(*id);
  release->Open();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 2);
  const store::NodeRecord a = Row(*id, "a");
  EXPECT_EQ(a.attempts, 1);
  EXPECT_EQ(a.system_failures, 0);
  // The timed-out attempt is recorded as such.
  bool timed_out_event = false;
  for (const auto& e : *reader_->GetEvents(*id)) {
    if (e.kind != store::EventKind::kTask) continue;
    flyteidl::event::TaskExecutionEvent te;
    te.ParseFromString(e.payload);
    if (te.phase() == core::TaskExecution::FAILED && te.retry_attempt() == 0) {
      timed_out_event = true;
      EXPECT_EQ(te.error().code(), "TimeoutExpired");
      EXPECT_EQ(te.error().message(), "task execution timeout [0.250s] expired");
    }
  }
  EXPECT_TRUE(timed_out_event);
}

TEST_F(SemanticsTest, R11_ActiveDeadlineTimesTheNodeOut) {
  TaskTemplate t = Task("t.hang", {}, {}, /*retries=*/5);
  auto release = NewLatch();
  std::atomic<int> started{0};
  Register("t.hang", [&started, release](const core::LiteralMap&) -> runtime::TaskOutcome {
    ++started;
    release->Wait();
    return core::LiteralMap();
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t).Timeout(100ms));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok());
  Engine engine(Options());
  auto id = engine.Submit({.closure = *closure});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return started == 1; }));
  clock_.Advance(101ms);  // the first attempt times out; the second starts
  ASSERT_TRUE(Eventually([&] { return started == 2; }));
  clock_.Advance(100ms);  // 201ms since queueing: past twice the timeout
  auto r = engine.Wait(*id);
  release->Open();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::FAILED);
  EXPECT_EQ(NodePhases(*id)["a"], core::NodeExecution::TIMED_OUT);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->code(), "ActiveTimeout");
  EXPECT_EQ(started, 2);  // not retried after the deadline
}

TEST_F(SemanticsTest, R12_InterruptibleIsRecordedInTaskEvents) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.InterruptibleByDefault();
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("b", kAdd1).Bind("x", WorkflowInput("x")).Interruptible(false));
  auto r = RunOk(wf.Build(), {kAdd1}, lit::Inputs({{"x", lit::Int(1)}}));
  std::map<std::string, int> instance;
  for (const auto& e : *reader_->GetEvents(r.execution_id)) {
    if (e.kind != store::EventKind::kTask) continue;
    flyteidl::event::TaskExecutionEvent te;
    te.ParseFromString(e.payload);
    instance[te.parent_node_execution_id().node_id()] = te.metadata().instance_class();
  }
  ASSERT_EQ(instance.count("a"), 1u);
  ASSERT_EQ(instance.count("b"), 1u);
  EXPECT_EQ(instance["a"], flyteidl::event::TaskExecutionMetadata::INTERRUPTIBLE);
  EXPECT_EQ(instance["b"], flyteidl::event::TaskExecutionMetadata::DEFAULT);
}

WorkflowTemplate BranchWorkflow(const TaskTemplate& t, bool with_else_error) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  auto b = BranchNode("b")
               .Bind("x", WorkflowInput("x"))
               .If(Var("x") > Val(10), TaskNode("big", t).Bind("x", Constant(lit::Int(100))))
               .ElseIf(Var("x") >= Val(0) && Var("x") <= Val(10),
                       TaskNode("small", t).Bind("x", WorkflowInput("x")));
  if (with_else_error) {
    b.ElseFail("x must not be negative");
  }
  wf.Add(b);
  wf.Output("y", types::Int(), Promise("b", "o0"));
  return wf.Build();
}

TEST_F(SemanticsTest, R13_BranchesRunTheFirstTrueCase) {
  auto big = RunOk(BranchWorkflow(kAdd1, true), {kAdd1}, lit::Inputs({{"x", lit::Int(11)}}));
  EXPECT_EQ(Int(big.outputs, "y"), 101);
  auto phases = NodePhases(big.execution_id);
  EXPECT_EQ(phases["b-big"], core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(phases["b-small"], core::NodeExecution::SKIPPED);
  std::map<std::string, std::string> parent_of;  // node -> parent node, from events
  for (const auto& e : NodeEvents(big.execution_id)) {
    parent_of[e.id().node_id()] = e.parent_node_metadata().node_id();
  }
  EXPECT_EQ(parent_of.count("b-small"), 0u) << "a case not taken has no events";
  ASSERT_EQ(parent_of.count("b-big"), 1u);
  EXPECT_EQ(parent_of["b-big"], "b");
  auto small = RunOk(BranchWorkflow(kAdd1, true), {kAdd1}, lit::Inputs({{"x", lit::Int(3)}}));
  EXPECT_EQ(Int(small.outputs, "y"), 4);
  auto fail = RunOk(BranchWorkflow(kAdd1, true), {kAdd1}, lit::Inputs({{"x", lit::Int(-1)}}));
  EXPECT_EQ(fail.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(fail.error.has_value());
  EXPECT_EQ(fail.error->code(), "UserProvidedError");
  EXPECT_EQ(fail.error->message(), "[UserProvidedError] x must not be negative");
  EXPECT_EQ(fail.error->kind(), core::ExecutionError::USER);
}

TEST_F(SemanticsTest, R13_ABranchWaitsForWhatItsCasesRead) {
  // The case reads "slow", which the branch node does not bind: flytekit
  // writes such workflows (a conditional over one task's output whose case
  // uses another's). "slow" is released only once "fast" (the condition's
  // input) has ended and been recorded: a branch that did not wait would
  // have run its case without slow's outputs by then.
  TaskTemplate slow = Task("t.slow", {}, {{"o0", types::Int()}});
  TaskTemplate fast = Task("t.fast", {}, {{"o0", types::Int()}});
  auto release = NewLatch();
  Register("t.slow", [release](const core::LiteralMap&) -> runtime::TaskOutcome {
    release->Wait();
    return lit::Inputs({{"o0", lit::Int(41)}});
  });
  Register("t.fast", [](const core::LiteralMap&) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", lit::Int(1)}});
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("slow", slow));
  wf.Add(TaskNode("fast", fast));
  wf.Add(BranchNode("b")
             .Bind("c", Promise("fast", "o0"))
             .If(Var("c") > Val(0), TaskNode("use", kAdd1).Bind("x", Promise("slow", "o0")))
             .ElseFail("no"));
  wf.Output("y", types::Int(), Promise("b", "o0"));
  auto closure = CompileIt(wf.Build(), {slow, fast, kAdd1});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  engine.Subscribe([release](const engine::Event& e) {
    if (e.kind == store::EventKind::kNode && e.node_path == "fast" &&
        e.phase == core::NodeExecution::SUCCEEDED) {
      release->Open();
    }
  });
  auto r = engine.Run({.closure = *closure});
  release->Open();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED)
      << (r->error ? r->error->message() : std::string("no error"));
  EXPECT_EQ(Int(r->outputs, "y"), 42);
}

TEST_F(SemanticsTest, R14_ConditionsCompareTypedValues) {
  core::LiteralMap in = lit::Inputs({{"i", lit::Int(3)},
                                     {"f", lit::Float(2.5)},
                                     {"s", lit::String("abc")},
                                     {"b", lit::Bool(true)}});
  auto eval = [&](const Condition& c) { return engine::internal::EvaluateCondition(c.proto, in); };
  EXPECT_TRUE(*eval(Var("i") > Val(2)));
  EXPECT_TRUE(*eval(Var("i") > Var("f")));  // int and float compare numerically
  EXPECT_TRUE(*eval(Var("s") < Val("abd")));
  EXPECT_TRUE(*eval(Var("b") == Val(true)));
  EXPECT_TRUE(*eval(Var("i") < Val(0) || Var("s") != Val("x")));
  EXPECT_FALSE(*eval(Var("i") < Val(0) && Var("s") != Val("x")));
  EXPECT_FALSE(eval(Var("b") > Val(false)).ok());  // booleans: equality only
  EXPECT_FALSE(eval(Var("s") > Val(1)).ok());      // different types
  EXPECT_FALSE(eval(Var("nope") > Val(1)).ok());   // unknown variable
}

TEST_F(SemanticsTest, R15_SubWorkflowsRunUnderTheirNode) {
  WorkflowBuilder sub("sub");
  sub.Input("x", types::Int());
  sub.Add(TaskNode("s0", kAdd1).Bind("x", WorkflowInput("x")));
  sub.Add(TaskNode("s1", kAdd1).Bind("x", Promise("s0", "o0")));
  sub.Output("y", types::Int(), Promise("s1", "o0"));
  WorkflowTemplate subt = sub.Build();
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(SubWorkflowNode("n", subt.id()).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("after", kAdd1).Bind("x", Promise("n", "y")));
  wf.Output("y", types::Int(), Promise("after", "o0"));
  auto r = RunOk(wf.Build(), {kAdd1}, lit::Inputs({{"x", lit::Int(10)}}), {subt});
  EXPECT_EQ(Int(r.outputs, "y"), 13);
  auto phases = NodePhases(r.execution_id);
  EXPECT_EQ(phases["n/s0"], core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(phases["n/s1"], core::NodeExecution::SUCCEEDED);
  std::map<std::string, flyteidl::event::NodeExecutionEvent> last;  // per node, its last event
  for (const auto& e : NodeEvents(r.execution_id)) last[e.id().node_id()] = e;
  ASSERT_EQ(last.count("n/s0"), 1u);
  ASSERT_EQ(last.count("n"), 1u);
  EXPECT_EQ(last["n/s0"].parent_node_metadata().node_id(), "n");
  EXPECT_TRUE(last["n"].is_parent());
}

TEST_F(SemanticsTest, R16_LaunchPlansRunAsChildExecutions) {
  WorkflowBuilder child("child");
  child.Input("x", types::Int());
  child.Input("k", types::Int());
  child.Add(TaskNode("c", kAdd1).Bind("x", WorkflowInput("k")));
  child.Output("y", types::Int(), Promise("c", "o0"));
  auto child_closure = CompileIt(child.Build(), {kAdd1});
  ASSERT_TRUE(child_closure.ok());
  core::Identifier lp_id = MakeIdentifier(core::LAUNCH_PLAN, "child_lp");
  launch_plans_ = [&](const core::Identifier& id) -> Result<LaunchPlanTarget> {
    if (id.name() != "child_lp") return NotFound("no launch plan " + id.name());
    LaunchPlanTarget t;
    t.closure = *child_closure;
    (*t.fixed_inputs.mutable_literals())["k"] = lit::Int(41);
    return t;
  };
  compiler::LaunchPlanInterface lpi;
  lpi.id = lp_id;
  *(*lpi.expected_inputs.mutable_parameters())["x"].mutable_var()->mutable_type() = types::Int();
  (*lpi.expected_inputs.mutable_parameters())["x"].set_required(true);
  *(*lpi.expected_outputs.mutable_variables())["y"].mutable_type() = types::Int();
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(LaunchPlanNode("lp", lp_id).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("lp", "y"));
  std::vector<compiler::CompiledTask> none;
  auto closure = compiler::CompileWorkflow(wf.Build(), {}, none, {lpi});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  auto r = engine.Run(
      {.closure = *closure, .inputs = lit::Inputs({{"x", lit::Int(1)}}), .execution_id = "parent"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "y"), 42);  // the fixed input won
  auto child_record = reader_->GetExecution("parent-lp");
  ASSERT_TRUE(child_record.ok());
  EXPECT_EQ(child_record->parent, "parent");
  EXPECT_EQ(child_record->phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(SemanticsTest, R17_FailImmediatelyAbortsRunningNodes) {
  TaskTemplate fail = Task("t.fail", {}, {});
  TaskTemplate slow = Task("t.slow", {}, {});
  auto slow_started = NewLatch(), release = NewLatch();
  Register("t.fail", [slow_started](const core::LiteralMap&) -> runtime::TaskOutcome {
    slow_started->Wait();  // fails while "s" runs
    return UserError("broken");
  });
  Register("t.slow", [slow_started, release](const core::LiteralMap&) -> runtime::TaskOutcome {
    slow_started->Open();
    release->Wait();
    return core::LiteralMap();
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("f", fail));
  wf.Add(TaskNode("s", slow));
  wf.Add(TaskNode("after", slow).After("f"));
  auto r = RunOk(wf.Build(), {fail, slow}, lit::Inputs({}));
  release->Open();
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  EXPECT_EQ(r.failed_node, "f");
  auto phases = NodePhases(r.execution_id);
  ASSERT_EQ(phases.count("s"), 1u);
  EXPECT_EQ(phases["s"], core::NodeExecution::ABORTED);
  EXPECT_EQ(phases.count("after"), 0u);  // never started: no record, no event
}

TEST_F(SemanticsTest, R18_FailAfterExecutableNodesCompleteLetsIndependentWorkFinish) {
  TaskTemplate fail = Task("t.fail", {}, {});
  TaskTemplate ok = Task("t.ok", {}, {});
  auto failed = NewLatch();
  Register("t.fail", [failed](const core::LiteralMap&) -> runtime::TaskOutcome {
    failed->Open();
    return UserError("broken");
  });
  Register("t.ok", [failed](const core::LiteralMap&) -> runtime::TaskOutcome {
    failed->Wait();  // still running when the failure happens
    return core::LiteralMap();
  });
  WorkflowBuilder wf("wf");
  wf.OnFailure(core::WorkflowMetadata::FAIL_AFTER_EXECUTABLE_NODES_COMPLETE);
  wf.Add(TaskNode("f", fail));
  wf.Add(TaskNode("independent", ok));
  wf.Add(TaskNode("downstream", ok).After("f"));
  auto r = RunOk(wf.Build(), {fail, ok}, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message(), "broken");
  auto phases = NodePhases(r.execution_id);
  ASSERT_EQ(phases.count("independent"), 1u);
  ASSERT_EQ(phases.count("downstream"), 1u);
  EXPECT_EQ(phases["independent"], core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(phases["downstream"], core::NodeExecution::SKIPPED);
}

TEST_F(SemanticsTest, R19_FailureNodeReceivesTheError) {
  TaskTemplate fail = Task("t.fail", {{"x", types::Int()}}, {});
  TaskTemplate handler =
      Task("t.handler",
           {{"x", types::Int()}, {"err", types::Union({types::Error(), types::None()})}}, {});
  Register("t.fail",
           [](const core::LiteralMap&) -> runtime::TaskOutcome { return UserError("broken"); });
  core::LiteralMap seen;
  std::mutex seen_mu;
  Register("t.handler", [&](const core::LiteralMap& in) -> runtime::TaskOutcome {
    std::lock_guard<std::mutex> lock(seen_mu);
    seen = in;
    return core::LiteralMap();
  });
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("f", fail).Bind("x", WorkflowInput("x")));
  wf.FailureNode(TaskNode("on_fail", handler).Bind("x", WorkflowInput("x")));
  auto r = RunOk(wf.Build(), {fail, handler}, lit::Inputs({{"x", lit::Int(7)}}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->message(), "broken");  // the original error stands
  std::lock_guard<std::mutex> lock(seen_mu);
  EXPECT_EQ(Int(seen, "x"), 7);
  const auto& err = seen.literals().at("err").scalar().union_();
  EXPECT_EQ(err.type().structure().tag(), "FlyteError");
  EXPECT_EQ(err.value().scalar().error().message(), "broken");
  EXPECT_EQ(err.value().scalar().error().failed_node_id(), "f");
  EXPECT_EQ(NodePhases(r.execution_id)["on_fail"], core::NodeExecution::SUCCEEDED);
}

TEST_F(SemanticsTest, R20_EventsForEveryTransition) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  auto r = RunOk(wf.Build(), {kAdd1}, lit::Inputs({{"x", lit::Int(1)}}));
  std::vector<std::string> seq;
  for (const auto& e : *reader_->GetEvents(r.execution_id)) {
    if (e.kind == store::EventKind::kWorkflow) {
      flyteidl::event::WorkflowExecutionEvent we;
      we.ParseFromString(e.payload);
      seq.push_back("wf:" + core::WorkflowExecution::Phase_Name(we.phase()));
    } else if (e.kind == store::EventKind::kNode && e.node_path == "a") {
      flyteidl::event::NodeExecutionEvent ne;
      ne.ParseFromString(e.payload);
      seq.push_back("a:" + core::NodeExecution::Phase_Name(ne.phase()));
      EXPECT_EQ(ne.target_entity().name(), "t.add1");
      EXPECT_NE(ne.input_uri().find("/a/data/inputs.pb"), std::string::npos);
    } else if (e.kind == store::EventKind::kTask) {
      flyteidl::event::TaskExecutionEvent te;
      te.ParseFromString(e.payload);
      seq.push_back("task:" + core::TaskExecution::Phase_Name(te.phase()));
    }
  }
  EXPECT_EQ(seq, (std::vector<std::string>{"wf:RUNNING", "a:QUEUED", "a:RUNNING", "task:RUNNING",
                                           "task:SUCCEEDED", "a:SUCCEEDED", "wf:SUCCEEDED"}));
}

TEST_F(SemanticsTest, R21_SucceededNodesHaveTheirOutputsInTheStore) {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", kAdd1).Bind("x", WorkflowInput("x")));
  wf.Output("y", types::Int(), Promise("a", "o0"));
  auto r = RunOk(wf.Build(), {kAdd1}, lit::Inputs({{"x", lit::Int(1)}}));
  store::DataDir data(store_->data_dir(), r.execution_id);
  core::LiteralMap out;
  ASSERT_TRUE(store::ReadData(*reader_, data, store::DataDir::OutputsKey("a", 0), &out).ok());
  EXPECT_EQ(Int(out, "o0"), 2);
  ASSERT_TRUE(
      store::ReadData(*reader_, data, store::DataDir::OutputsKey("end-node", 0), &out).ok());
  EXPECT_EQ(Int(out, "y"), 2);
  ASSERT_TRUE(store::ReadData(*reader_, data, store::DataDir::InputsKey("a"), &out).ok());
  EXPECT_EQ(Int(out, "x"), 1);
  // Small data lives in the database: no file, no directory per node.
  EXPECT_FALSE(std::filesystem::exists(data.OutputsPath("a", 0)));
  EXPECT_FALSE(std::filesystem::exists(data.InputsPath("a")));
  auto stored = StoredResult(*reader_, r.execution_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(LiteralMapEquals(stored->outputs, r.outputs));
}

TEST_F(SemanticsTest, R21_LargeDataIsOffloadedToFiles) {
  // Above kInlineDataMaxBytes a literal lives in its file, as Flyte offloads
  // large literals; downstream nodes and readers find it there.
  const std::string big(store::kInlineDataMaxBytes + 1, 'x');
  TaskTemplate make = TaskBuilder("t.big").Output("o0", types::String()).Build();
  TaskTemplate size =
      TaskBuilder("t.size").Input("s", types::String()).Output("o0", types::Int()).Build();
  Register("t.big", [&](const core::LiteralMap&) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", lit::String(big)}});
  });
  Register("t.size", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    return lit::Inputs(
        {{"o0", lit::Int(static_cast<int64_t>(
                    in.literals().at("s").scalar().primitive().string_value().size()))}});
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", make));
  wf.Add(TaskNode("b", size).Bind("s", Promise("a", "o0")));
  wf.Output("n", types::Int(), Promise("b", "o0"));
  auto r = RunOk(wf.Build(), {make, size}, lit::Inputs({}));
  EXPECT_EQ(Int(r.outputs, "n"), static_cast<int64_t>(big.size()));
  store::DataDir data(store_->data_dir(), r.execution_id);
  EXPECT_TRUE(std::filesystem::exists(data.OutputsPath("a", 0)));  // large: a file
  EXPECT_TRUE(std::filesystem::exists(data.InputsPath("b")));
  EXPECT_FALSE(std::filesystem::exists(data.OutputsPath("b", 0)));  // small: a row
  core::LiteralMap out;
  ASSERT_TRUE(store::ReadData(*reader_, data, store::DataDir::OutputsKey("a", 0), &out).ok());
  ASSERT_EQ(out.literals().count("o0"), 1u);
  EXPECT_EQ(out.literals().at("o0").scalar().primitive().string_value(), big);
}

TEST_F(SemanticsTest, R22_AbortEndsTheExecution) {
  TaskTemplate slow = Task("t.sleepy", {}, {});
  auto started = NewLatch(), release = NewLatch();
  Register("t.sleepy", [started, release](const core::LiteralMap&) -> runtime::TaskOutcome {
    started->Open();
    release->Wait();
    return core::LiteralMap();
  });
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", slow));
  auto closure = CompileIt(wf.Build(), {slow});
  ASSERT_TRUE(closure.ok());
  Engine engine(Options());
  auto id = engine.Submit({.closure = *closure, .execution_id = "to-abort"});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(started->WaitFor());
  auto outcome = engine.Abort("to-abort", "stop");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, AbortOutcome::kAborted);
  auto r = engine.Wait("to-abort");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::ABORTED);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->message(), "stop");
  EXPECT_EQ(NodePhases("to-abort")["a"], core::NodeExecution::ABORTED);
  // The aborted attempt has its event.
  bool aborted_event = false;
  for (const auto& e : *reader_->GetEvents("to-abort")) {
    if (e.kind != store::EventKind::kTask) continue;
    flyteidl::event::TaskExecutionEvent te;
    te.ParseFromString(e.payload);
    aborted_event = aborted_event || te.phase() == core::TaskExecution::ABORTED;
  }
  EXPECT_TRUE(aborted_event);
  release->Open();

  // Another process asks through the store; the engine looks a few times a second.
  TaskTemplate slow2 = Task("t.sleepy2", {}, {});
  auto started2 = NewLatch(), release2 = NewLatch();
  Register("t.sleepy2", [started2, release2](const core::LiteralMap&) -> runtime::TaskOutcome {
    started2->Open();
    release2->Wait();
    return core::LiteralMap();
  });
  WorkflowBuilder wf2("wf2");
  wf2.Add(TaskNode("a", slow2));
  auto closure2 = CompileIt(wf2.Build(), {slow2});
  ASSERT_TRUE(closure2.ok());
  auto id2 = engine.Submit({.closure = *closure2, .execution_id = "to-abort-2"});
  ASSERT_TRUE(id2.ok());
  ASSERT_TRUE(started2->WaitFor());
  auto other = store::OpenSqliteStore(dir_.path() / "store");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->RequestAbort("to-abort-2").ok());
  clock_.Advance(std::chrono::milliseconds(250));  // past the control poll interval
  auto r2 = engine.Wait("to-abort-2");
  release2->Open();
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->phase, core::WorkflowExecution::ABORTED);
  EXPECT_EQ(NodePhases("to-abort-2")["a"], core::NodeExecution::ABORTED);
}

}  // namespace
}  // namespace flytecpp::engine
