// Array nodes (docs/semantics.md R43-R49).
#include "engine_test_util.h"
#include "fake_runtime.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/store/data_dir.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// As flytekit writes a mapped task: its interface made of collections; each
// element gets its own x and returns its own o0.
const TaskTemplate kSquare =
    Task("t.square", {{"x", types::List(types::Int())}, {"k", types::Int()}},
         {{"o0", types::List(types::Int())}});

class ArraysTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("t.square", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
      const int64_t x = Int(in, "x");
      if (x < 0) return UserError("negative: " + std::to_string(x));
      return lit::Inputs({{"o0", lit::Int(x * x + Int(in, "k"))}});
    });
  }

  // xs (list) and k (one int, passed whole) -> sq[i] -> ys
  compiler::CompiledWorkflowClosure Squares(std::function<void(ArrayNodeBuilder&)> options = {},
                                            std::function<void(NodeBuilder&)> sub_options = {}) {
    WorkflowBuilder wf("squares");
    wf.Input("xs", types::List(types::Int()));
    wf.Input("k", types::Int());
    NodeBuilder sub = TaskNode("sq-sub", kSquare);
    if (sub_options) sub_options(sub);
    ArrayNodeBuilder array = ArrayNode("sq", sub);
    array.Bind("x", WorkflowInput("xs")).Bind("k", WorkflowInput("k"));
    if (options) options(array);
    wf.Add(array);
    wf.Output("ys", types::List(types::Int()), Promise("sq", "o0"));
    auto closure = CompileIt(wf.Build(), {kSquare});
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    return *closure;
  }

  static core::LiteralMap Xs(std::vector<int> xs, int k = 0) {
    std::vector<core::Literal> items;
    for (int x : xs) items.push_back(lit::Int(x));
    return lit::Inputs({{"xs", lit::List(items)}, {"k", lit::Int(k)}});
  }

  // The elements of ys as text: "1 4 none 16".
  static std::string Ys(const core::LiteralMap& out) {
    std::string text;
    for (const auto& l : out.literals().at("ys").collection().literals()) {
      text += (text.empty() ? "" : " ") + (l.scalar().has_none_type()
                                               ? std::string("none")
                                               : std::to_string(l.scalar().primitive().integer()));
    }
    return text;
  }

  std::map<int64_t, store::ElementRecord> Elements(const std::string& exec,
                                                   const std::string& path = "sq") {
    std::map<int64_t, store::ElementRecord> out;
    for (auto& e : *reader_->GetElements(exec, path)) out[e.index] = e;
    return out;
  }
};

TEST_F(ArraysTest, R43_ElementsAreMappedAndGatheredInInputOrder) {
  Engine engine(Options());
  auto r = engine.Run({.closure = Squares(), .inputs = Xs({1, 2, 3, 4, 5}, 100)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Ys(r->outputs), "101 104 109 116 125");  // k passed whole to every element
  EXPECT_EQ(Calls("t.square"), 5);
  auto elements = Elements(r->execution_id);
  ASSERT_EQ(elements.size(), 5u);
  for (const auto& [i, e] : elements) {
    EXPECT_EQ(e.phase, core::NodeExecution::SUCCEEDED) << i;
    ASSERT_TRUE(e.outputs.has_value()) << i;
    EXPECT_EQ(Int(*e.outputs, "o0"), (i + 1) * (i + 1) + 100);
  }
  // Element progress is in aggregated task events of the array node.
  std::set<uint32_t> reported;
  for (const auto& ev : *reader_->GetEvents(r->execution_id)) {
    if (ev.kind != store::EventKind::kTask || ev.node_path != "sq") continue;
    flyteidl::event::TaskExecutionEvent te;
    te.ParseFromString(ev.payload);
    EXPECT_EQ(te.task_type(), "container_array");
    EXPECT_GT(te.occurred_at().seconds(), 0) << "an element event without its time";
    for (const auto& res : te.metadata().external_resources()) {
      if (res.phase() == core::TaskExecution::SUCCEEDED) reported.insert(res.index());
    }
  }
  EXPECT_EQ(reported, (std::set<uint32_t>{0, 1, 2, 3, 4}));
  // An empty input: an empty output, nothing run.
  auto empty = engine.Run({.closure = Squares(), .inputs = Xs({})});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Ys(empty->outputs), "");
}

TEST_F(ArraysTest, R44_InputArraysOfUnequalLengthAreTheUsersError) {
  TaskTemplate pair =
      Task("t.pair", {{"a", types::List(types::Int())}, {"b", types::List(types::Int())}},
           {{"o0", types::List(types::Int())}});
  WorkflowBuilder wf("pairs");
  wf.Input("as", types::List(types::Int()));
  wf.Input("bs", types::List(types::Int()));
  wf.Add(ArrayNode("p", TaskNode("p-sub", pair))
             .Bind("a", WorkflowInput("as"))
             .Bind("b", WorkflowInput("bs")));
  auto closure = CompileIt(wf.Build(), {pair});
  ASSERT_TRUE(closure.ok());
  auto r = Engine(Options()).Run(
      {.closure = *closure,
       .inputs = lit::Inputs({{"as", lit::List({lit::Int(1), lit::Int(2)})},
                              {"bs", lit::List({lit::Int(1), lit::Int(2), lit::Int(3)})}})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r->error);
  EXPECT_EQ(r->error->kind(), core::ExecutionError::USER);
  EXPECT_EQ(r->error->code(), "InvalidArrayLength");
  EXPECT_EQ(r->error->message(), "array p: input arrays have different lengths: a has 2, b has 3");
}

TEST_F(ArraysTest, R45_ParallelismBoundsTheElementsInFlight) {
  FakeRuntime fake(0, [](const runtime::AttemptSpec& spec) -> runtime::TaskOutcome {
    return lit::Inputs({{"o0", lit::Int(spec.array_index)}});
  });
  EngineOptions o = Options();
  o.runtimes = {&fake};
  Engine engine(o);
  auto r = engine.Run({.closure = Squares([](ArrayNodeBuilder& a) { a.Parallelism(3); }),
                       .inputs = Xs(std::vector<int>(200, 1))});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(fake.total_starts(), 200);
  EXPECT_LE(fake.max_running(), 3);
  EXPECT_GE(fake.max_running(), 1);
  // Elements see their index (FLYTE_K8S_ARRAY_INDEX for process tasks).
  EXPECT_EQ(
      r->outputs.literals().at("ys").collection().literals(199).scalar().primitive().integer(),
      199);

  // data_mode INDIVIDUAL_INPUT_FILES: each element finds its own inputs.pb.
  FakeRuntime files(0, [](const runtime::AttemptSpec& spec) -> runtime::TaskOutcome {
    core::LiteralMap own;
    if (!store::ReadProto((spec.data_dir / "inputs.pb").string(), &own).ok()) {
      return UserError("no inputs.pb in " + spec.data_dir.string());
    }
    return lit::Inputs({{"o0", own.literals().at("x")}});
  });
  o.runtimes = {&files};
  Engine individual(o);
  auto f = individual.Run({.closure = Squares([](ArrayNodeBuilder& a) {
                             a.mutable_node().mutable_array_node()->set_data_mode(
                                 core::ArrayNode::INDIVIDUAL_INPUT_FILES);
                           }),
                           .inputs = Xs({5, 6, 7})});
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->phase, core::WorkflowExecution::SUCCEEDED) << (f->error ? f->error->message() : "");
  EXPECT_EQ(Ys(f->outputs), "5 6 7");
}

// A runtime that runs arrays whole (Slurm's job arrays) gets every element
// at once, as one batch carrying the parallelism it is to honour; a retry
// starts alone.
TEST_F(ArraysTest, ARuntimeThatRunsArraysGetsAllElementsAsOneBatch) {
  FakeRuntime fake;
  fake.set_runs_arrays(true);
  EngineOptions o = Options();
  o.runtimes = {&fake};
  Engine engine(o);
  auto id = engine.Submit({.closure = Squares([](ArrayNodeBuilder& a) { a.Parallelism(2); },
                                              [](NodeBuilder& sub) { sub.Retries(1); }),
                           .inputs = Xs({1, 2, 3, 4, 5})});
  ASSERT_TRUE(id.ok());
  std::string batch;
  for (int e = 0; e < 5; ++e) {  // all running, none ended: the parallelism is the runtime's
    const std::string path = "sq/" + std::to_string(e);
    ASSERT_TRUE(fake.WaitRunning(*id, path)) << path;
    auto spec = fake.RunningSpec(*id, path);
    ASSERT_TRUE(spec.has_value());
    EXPECT_FALSE(spec->array_batch.empty());
    if (e == 0) batch = spec->array_batch;
    EXPECT_EQ(spec->array_batch, batch);
    EXPECT_EQ(spec->array_batch_size, 5);
    EXPECT_EQ(spec->array_parallelism, 2);
    EXPECT_EQ(spec->array_index, e);
  }
  for (int e = 0; e < 5; ++e) {
    const std::string path = "sq/" + std::to_string(e);
    ASSERT_TRUE(fake.Complete(*id, path,
                              e == 3 ? runtime::TaskOutcome(UserError("flaky", true))
                                     : lit::Inputs({{"o0", lit::Int(e)}})));
  }
  ASSERT_TRUE(fake.WaitRunning(*id, "sq/3"));  // its retry: alone
  auto retry = fake.RunningSpec(*id, "sq/3");
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->id.attempt, 1);
  EXPECT_TRUE(retry->array_batch.empty());
  EXPECT_EQ(retry->array_index, 3);
  ASSERT_TRUE(fake.Complete(*id, "sq/3", lit::Inputs({{"o0", lit::Int(3)}})));
  auto r = engine.Wait(*id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Ys(r->outputs), "0 1 2 3 4");
}

TEST_F(ArraysTest, R46_MinSuccessesSucceedsWithNoneForFailuresOrFailsOnceImpossible) {
  Engine engine(Options());
  // 3 of 5 must succeed; 2 fail: outputs with none in their places.
  auto some = engine.Run({.closure = Squares([](ArrayNodeBuilder& a) { a.MinSuccesses(3); }),
                          .inputs = Xs({1, -2, 3, -4, 5})});
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->phase, core::WorkflowExecution::SUCCEEDED)
      << (some->error ? some->error->message() : "");
  EXPECT_EQ(Ys(some->outputs), "1 none 9 none 25");
  auto elements = Elements(some->execution_id);
  ASSERT_EQ(elements.count(1), 1u);
  EXPECT_EQ(elements[1].phase, core::NodeExecution::FAILED);
  ASSERT_TRUE(elements[1].error.has_value());
  EXPECT_EQ(elements[1].error->message(), "negative: -2");
  // A ratio: 80% of 5 is 4; two failures make it impossible. One at a time,
  // the elements after the second failure never start.
  auto ratio = engine.Run(
      {.closure = Squares([](ArrayNodeBuilder& a) { a.MinSuccessRatio(0.8f).Parallelism(1); }),
       .inputs = Xs({-1, -2, 3, 4, 5})});
  ASSERT_TRUE(ratio.ok());
  EXPECT_EQ(ratio->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(ratio->error);
  EXPECT_EQ(ratio->error->code(), "ArrayNodeFailed");
  EXPECT_EQ(
      ratio->error->message(),
      "array sq: 2 of 5 elements failed (2 Boom), 4 had to succeed; first: Boom: negative: -1");
  EXPECT_EQ(Elements(ratio->execution_id).size(), 2u);  // 3, 4 and 5 never started
  // run_all_sub_nodes: everything runs, then it fails (Flyte 1.16 ignores the flag).
  const int before = Calls("t.square");
  auto all = engine.Run({.closure = Squares([](ArrayNodeBuilder& a) {
                           a.MinSuccessRatio(0.8f).Parallelism(1);
                           a.mutable_node().mutable_array_node()->set_run_all_sub_nodes(true);
                         }),
                         .inputs = Xs({-1, -2, 3, 4, 5})});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->phase, core::WorkflowExecution::FAILED);
  EXPECT_EQ(Calls("t.square") - before, 5);
  EXPECT_EQ(Elements(all->execution_id).size(), 5u);
}

TEST_F(ArraysTest, R47_ElementsRetryOnTheSubNodesBudgetAndTimeOutOnTheirOwn) {
  // Element 1 fails twice, then succeeds: retries 2 are enough; the others run once.
  std::mutex mu;
  std::map<int64_t, int> calls;
  Register("t.flaky", [&](const core::LiteralMap& in) -> runtime::TaskOutcome {
    const int64_t x = Int(in, "x");
    std::lock_guard<std::mutex> lock(mu);
    if (x == 1 && ++calls[x] < 3) return UserError("not yet", /*retryable=*/true);
    return lit::Inputs({{"o0", lit::Int(x)}});
  });
  TaskTemplate flaky =
      Task("t.flaky", {{"x", types::List(types::Int())}}, {{"o0", types::List(types::Int())}});
  WorkflowBuilder wf("flaky");
  wf.Input("xs", types::List(types::Int()));
  wf.Add(ArrayNode("f", TaskNode("f-sub", flaky).Retries(2)).Bind("x", WorkflowInput("xs")));
  wf.Output("ys", types::List(types::Int()), Promise("f", "o0"));
  auto closure = CompileIt(wf.Build(), {flaky});
  ASSERT_TRUE(closure.ok());
  auto r = Engine(Options()).Run(
      {.closure = *closure,
       .inputs = lit::Inputs({{"xs", lit::List({lit::Int(0), lit::Int(1)})}})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  auto elements = Elements(r->execution_id, "f");
  ASSERT_EQ(elements.size(), 2u);
  ASSERT_TRUE(elements.count(0) && elements.count(1));
  EXPECT_EQ(elements.at(0).phase, core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(elements.at(0).attempts, 0);
  EXPECT_EQ(elements.at(1).attempts, 2);

  // A timeout bounds each element's attempt.
  FakeRuntime fake;
  EngineOptions o = Options();
  o.runtimes = {&fake};
  Engine engine(o);
  auto id = engine.Submit(
      {.closure = Squares({}, [](NodeBuilder& sub) { sub.Timeout(1s); }), .inputs = Xs({1, 2})});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(fake.WaitRunning(*id, "sq/0"));
  ASSERT_TRUE(fake.WaitRunning(*id, "sq/1"));
  ASSERT_TRUE(fake.Complete(*id, "sq/0", lit::Inputs({{"o0", lit::Int(1)}})));
  clock_.Advance(1001ms);  // element 1 hangs: it times out, without retries it fails
  auto t = engine.Wait(*id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(t->error);
  EXPECT_NE(t->error->message().find("1 RetriesExhausted|TimeoutExpired"), std::string::npos)
      << t->error->message();
}

TEST_F(ArraysTest, R48_ResumeKeepsFinishedElementsAndRetriesInterruptedOnes) {
  FakeRuntime fake;
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit({.closure = Squares([](ArrayNodeBuilder& b) { b.Parallelism(2); }),
                               .inputs = Xs({1, 2, 3, 4})});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "sq/0"));
    ASSERT_TRUE(fake.WaitRunning(id, "sq/1"));
    ASSERT_TRUE(fake.Complete(id, "sq/0", lit::Inputs({{"o0", lit::Int(10)}})));
    ASSERT_TRUE(fake.WaitRunning(id, "sq/2"));
    ASSERT_TRUE(Eventually([&] {
      auto rows = Elements(id);
      return rows.count(0) && rows[0].phase == core::NodeExecution::SUCCEEDED;
    }));
  }  // stops with elements 1 and 2 running
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  for (const char* e : {"sq/1", "sq/2", "sq/3"}) {
    ASSERT_TRUE(fake.WaitRunning(id, e)) << e;
    ASSERT_TRUE(fake.Complete(id, e, lit::Inputs({{"o0", lit::Int(7)}}))) << e;
  }
  auto r = b.Wait(id);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Ys(r->outputs), "10 7 7 7");
  EXPECT_EQ(fake.Starts(id, "sq/0"), 1);  // finished before: not again
  EXPECT_EQ(fake.Starts(id, "sq/1"), 2);  // interrupted: its next attempt
  auto elements = Elements(id);
  EXPECT_EQ(elements[1].attempts, 1);
  EXPECT_EQ(elements[1].system_failures, 1);
}

TEST_F(ArraysTest, R61_ASubWorkflowIsMappedWithAChildScopePerElement) {
  // sub(x): s0 = square(x, k=0) -> s1 = square(s0, k=1); elements fail when x < 0.
  const TaskTemplate square =
      Task("t.square1", {{"x", types::Int()}, {"k", types::Int()}}, {{"o0", types::Int()}});
  Register("t.square1", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
    if (Int(in, "x") < 0) return UserError("negative: " + std::to_string(Int(in, "x")));
    return lit::Inputs({{"o0", lit::Int(Int(in, "x") * Int(in, "x") + Int(in, "k"))}});
  });
  WorkflowBuilder sub("sub.sq");
  sub.Input("x", types::Int());
  sub.Add(TaskNode("s0", square).Bind("x", WorkflowInput("x")).Bind("k", Constant(lit::Int(0))));
  sub.Add(TaskNode("s1", square).Bind("x", Promise("s0", "o0")).Bind("k", Constant(lit::Int(1))));
  sub.Output("y", types::Int(), Promise("s1", "o0"));
  const WorkflowTemplate sub_template = sub.Build();
  WorkflowBuilder wf("map.sub");
  wf.Input("xs", types::List(types::Int()));
  wf.Add(ArrayNode("m", SubWorkflowNode("m-sub", sub_template.id()))
             .Bind("x", WorkflowInput("xs"))
             .MinSuccesses(2)
             .Parallelism(2)
             .OriginalSubNodeInterface());
  wf.Output("ys", types::List(types::Int()), Promise("m", "y"));
  auto closure = CompileIt(wf.Build(), {square}, {sub_template});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  Engine engine(Options());
  auto r = engine.Run({.closure = *closure, .inputs = XsInput({1, -2, 3})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  const auto& ys = r->outputs.literals().at("ys").collection();
  ASSERT_EQ(ys.literals_size(), 3);
  EXPECT_EQ(ys.literals(0).scalar().primitive().integer(), 2);  // (1*1)^2 + 1
  EXPECT_TRUE(ys.literals(1).scalar().has_none_type());
  EXPECT_EQ(ys.literals(2).scalar().primitive().integer(), 82);  // (3*3)^2 + 1
  auto phases = NodePhases(r->execution_id);
  EXPECT_EQ(phases["m/0/s1"], core::NodeExecution::SUCCEEDED);
  EXPECT_EQ(phases["m/1/s0"], core::NodeExecution::FAILED);
  auto elements = Elements(r->execution_id, "m");
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(elements[1].phase, core::NodeExecution::FAILED);
  ASSERT_TRUE(elements[1].error.has_value());
  EXPECT_EQ(elements[1].error->message(), "negative: -2");

  // Resume restores the running elements' scopes: finished tasks stay done.
  FakeRuntime fake;
  std::string id;
  {
    Engine a(FakeOptions(&fake));
    auto submitted = a.Submit({.closure = *closure, .inputs = XsInput({1, 2, 3})});
    ASSERT_TRUE(submitted.ok());
    id = *submitted;
    ASSERT_TRUE(fake.WaitRunning(id, "m/0/s0"));
    ASSERT_TRUE(fake.WaitRunning(id, "m/1/s0"));
    ASSERT_TRUE(fake.Complete(id, "m/1/s0", lit::Inputs({{"o0", lit::Int(4)}})));
    ASSERT_TRUE(fake.WaitRunning(id, "m/1/s1"));
    ASSERT_TRUE(
        Eventually([&] { return NodePhases(id)["m/1/s0"] == core::NodeExecution::SUCCEEDED; }));
  }  // stops with m/0/s0 and m/1/s1 running
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume(id).ok());
  for (const char* path : {"m/0/s0", "m/1/s1", "m/0/s1", "m/2/s0", "m/2/s1"}) {
    ASSERT_TRUE(fake.WaitRunning(id, path)) << path;
    ASSERT_TRUE(fake.Complete(id, path, lit::Inputs({{"o0", lit::Int(9)}}))) << path;
  }
  auto resumed = b.Wait(id);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->phase, core::WorkflowExecution::SUCCEEDED)
      << (resumed->error ? resumed->error->message() : "");
  EXPECT_EQ(Ys(resumed->outputs), "9 9 9");
  EXPECT_EQ(fake.Starts(id, "m/1/s0"), 1);  // finished before: not again
  EXPECT_EQ(fake.Starts(id, "m/0/s0"), 2);  // interrupted: again
}

TEST_F(ArraysTest, R62_ALaunchPlanIsMappedWithAChildExecutionPerElement) {
  Register("t.add1", Add1);
  WorkflowBuilder child("child");
  child.Input("x", types::Int());
  child.Add(TaskNode("c0", kAdd1).Bind("x", WorkflowInput("x")));
  child.Output("y", types::Int(), Promise("c0", "o0"));
  auto child_closure = CompileIt(child.Build(), {kAdd1});
  ASSERT_TRUE(child_closure.ok());
  const core::Identifier lp_id = MakeIdentifier(core::LAUNCH_PLAN, "child_lp");
  LaunchPlanTarget target;
  target.closure = *child_closure;
  ASSERT_TRUE(RegisterLaunchPlan(*store_, lp_id, target).ok());
  compiler::LaunchPlanInterface lpi;
  lpi.id = lp_id;
  *(*lpi.expected_inputs.mutable_parameters())["x"].mutable_var()->mutable_type() = types::Int();
  (*lpi.expected_inputs.mutable_parameters())["x"].set_required(true);
  *(*lpi.expected_outputs.mutable_variables())["y"].mutable_type() = types::Int();
  WorkflowBuilder wf("map.lp");
  wf.Input("xs", types::List(types::Int()));
  wf.Add(ArrayNode("m", LaunchPlanNode("m-sub", lp_id))
             .Bind("x", WorkflowInput("xs"))
             .OriginalSubNodeInterface());
  wf.Output("ys", types::List(types::Int()), Promise("m", "y"));
  auto closure = CompileIt(wf.Build(), {}, {}, {lpi});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  auto r = Engine(Options()).Run(
      {.closure = *closure,
       .inputs = lit::Inputs({{"xs", lit::List({lit::Int(10), lit::Int(20), lit::Int(30)})}}),
       .execution_id = "lpmap"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  const auto& ys = r->outputs.literals().at("ys").collection();
  ASSERT_EQ(ys.literals_size(), 3);
  EXPECT_EQ(ys.literals(2).scalar().primitive().integer(), 31);
  // Each element is a child execution of its own, with its parent named.
  auto element = reader_->GetExecution("lpmap-m-2");
  ASSERT_TRUE(element.ok()) << element.status().ToString();
  EXPECT_EQ(element->parent, "lpmap");
  EXPECT_EQ(element->phase, core::WorkflowExecution::SUCCEEDED);
  ASSERT_TRUE(element->outputs);
  EXPECT_EQ(Int(*element->outputs, "y"), 31);

  // Resume: an element whose child ended is not run again; a running one
  // continues in its child execution.
  FakeRuntime fake;
  {
    Engine a(FakeOptions(&fake));
    ASSERT_TRUE(a.Submit({.closure = *closure,
                          .inputs = lit::Inputs({{"xs", lit::List({lit::Int(1), lit::Int(2)})}}),
                          .execution_id = "lpres"})
                    .ok());
    ASSERT_TRUE(fake.WaitRunning("lpres-m-0", "c0"));
    ASSERT_TRUE(fake.WaitRunning("lpres-m-1", "c0"));
    ASSERT_TRUE(fake.Complete("lpres-m-0", "c0", lit::Inputs({{"o0", lit::Int(5)}})));
    ASSERT_TRUE(Eventually([&] {
      auto rec = reader_->GetExecution("lpres-m-0");
      return rec.ok() && rec->phase == core::WorkflowExecution::SUCCEEDED;
    }));
  }
  Engine b(FakeOptions(&fake));
  ASSERT_TRUE(b.Resume("lpres").ok());
  ASSERT_TRUE(fake.WaitRunning("lpres-m-1", "c0"));
  ASSERT_TRUE(fake.Complete("lpres-m-1", "c0", lit::Inputs({{"o0", lit::Int(6)}})));
  auto resumed = b.Wait("lpres");
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->phase, core::WorkflowExecution::SUCCEEDED)
      << (resumed->error ? resumed->error->message() : "");
  const auto& rys = resumed->outputs.literals().at("ys").collection();
  ASSERT_EQ(rys.literals_size(), 2);
  EXPECT_EQ(rys.literals(0).scalar().primitive().integer(), 5);
  EXPECT_EQ(rys.literals(1).scalar().primitive().integer(), 6);
  EXPECT_EQ(fake.Starts("lpres-m-0", "c0"), 1);
  EXPECT_EQ(fake.Starts("lpres-m-1", "c0"), 2);
}

}  // namespace
}  // namespace flytecpp::engine
