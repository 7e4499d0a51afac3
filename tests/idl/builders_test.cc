#include "flytecpp/idl/builders.h"

#include <gtest/gtest.h>

#include "flytecpp/idl/identifiers.h"

namespace flytecpp::idl {
namespace {

using namespace std::chrono_literals;
namespace core = flyteidl::core;

TEST(BuildersTest, TaskWithMetadataAndContainer) {
  TaskTemplate t = TaskBuilder("m.train")
                       .Input("x", types::Int())
                       .Output("o0", types::Float())
                       .Discoverable("1.0")
                       .Timeout(30min)
                       .Retries(3)
                       .Interruptible()
                       .Container(ContainerBuilder("python:3.9-slim")
                                      .Command({"python", "train.py"})
                                      .Args({"--n", "3"})
                                      .CpuRequest("500m")
                                      .MemoryRequest("1Gi"))
                       .Build();
  EXPECT_EQ(t.id().resource_type(), core::TASK);
  EXPECT_EQ(t.id().name(), "m.train");
  EXPECT_EQ(t.type(), "python-task");
  EXPECT_TRUE(t.metadata().discoverable());
  EXPECT_EQ(t.metadata().discovery_version(), "1.0");
  EXPECT_EQ(t.metadata().timeout().seconds(), 1800);
  EXPECT_EQ(t.metadata().retries().retries(), 3u);
  EXPECT_TRUE(t.metadata().interruptible());
  EXPECT_EQ(t.container().image(), "python:3.9-slim");
  EXPECT_EQ(t.container().resources().requests(0).name(), core::Resources::CPU);
  EXPECT_EQ(t.container().resources().requests(0).value(), "500m");
  EXPECT_EQ(t.container().resources().requests(1).value(), "1Gi");
  EXPECT_EQ(t.interface().inputs().variables().at("x").type().simple(), core::INTEGER);
}

TEST(BuildersTest, BuildersAreValues) {
  TaskBuilder b("m.t");
  TaskTemplate first = b.Build();
  b.Retries(5);
  EXPECT_EQ(first.metadata().retries().retries(), 0u);
  EXPECT_EQ(b.Build().metadata().retries().retries(), 5u);
}

TEST(BuildersTest, TwoNodeWorkflowWithDependency) {
  TaskTemplate t = TaskBuilder("m.t").Input("x", types::Int()).Output("o0", types::Int()).Build();
  WorkflowBuilder wf("m.wf");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", t).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", t).Bind("x", Promise("n0", "o0")).After("n0"));
  wf.Output("y", types::Int(), Promise("n1", "o0"));
  WorkflowTemplate w = wf.Build();
  ASSERT_EQ(w.nodes_size(), 2);
  EXPECT_EQ(w.nodes(0).inputs(0).binding().promise().node_id(), kStartNodeId);
  EXPECT_EQ(w.nodes(1).upstream_node_ids(0), "n0");
  EXPECT_EQ(w.nodes(1).inputs(0).binding().promise().node_id(), "n0");
  EXPECT_EQ(w.nodes(1).task_node().reference_id().name(), "m.t");
  EXPECT_EQ(w.outputs(0).var(), "y");
  EXPECT_EQ(w.interface().outputs().variables().at("y").type().simple(), core::INTEGER);
}

TEST(BuildersTest, BranchCasesAndConditions) {
  Node n = BranchNode("b")
               .If(Var("x") > Val(100), NodeBuilder("b-a"))
               .ElseIf(Var("x") == Val(1) || Var("y") <= Val(2.5), NodeBuilder("b-b"))
               .ElseFail("no case matched")
               .Build();
  const auto& ie = n.branch_node().if_else();
  EXPECT_EQ(ie.case_().condition().comparison().operator_(), core::ComparisonExpression::GT);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  EXPECT_EQ(ie.case_().condition().comparison().right_value().primitive().integer(), 100);
  EXPECT_EQ(ie.case_().then_node().id(), "b-a");
  ASSERT_EQ(ie.other_size(), 1);
  EXPECT_EQ(ie.other(0).condition().conjunction().operator_(), core::ConjunctionExpression::OR);
  EXPECT_DOUBLE_EQ(ie.other(0)
                       .condition()
                       .conjunction()
                       .right_expression()
                       .comparison()
                       .right_value()
                       .primitive()
                       .float_value(),
                   2.5);
#pragma GCC diagnostic pop
  EXPECT_EQ(ie.error().failed_node_id(), "b");
  EXPECT_EQ(ie.error().message(), "no case matched");
}

TEST(BuildersTest, ArrayNodeSuccessCriteriaAreAOneof) {
  ArrayNodeBuilder a = ArrayNode("a", NodeBuilder("a-sub")).Parallelism(10).MinSuccesses(8);
  EXPECT_EQ(a.Build().array_node().min_successes(), 8u);
  a.MinSuccessRatio(0.8f);
  Node n = a.Build();
  EXPECT_EQ(n.array_node().parallelism(), 10u);
  EXPECT_EQ(n.array_node().success_criteria_case(), core::ArrayNode::kMinSuccessRatio);
  EXPECT_FLOAT_EQ(n.array_node().min_success_ratio(), 0.8f);
}

TEST(BuildersTest, GatesAndBindings) {
  EXPECT_EQ(SleepGate("s", 90s).Build().gate_node().sleep().duration().seconds(), 90);
  EXPECT_EQ(ApproveGate("a", "go").Build().gate_node().approve().signal_id(), "go");
  Node sig = SignalGate("g", "sig", types::Bool(), "o0").Build();
  EXPECT_EQ(sig.gate_node().signal().type().simple(), core::BOOLEAN);
  BindingData c = Constant(lit::List({lit::Int(1), lit::Map({{"k", lit::String("v")}})}));
  ASSERT_EQ(c.collection().bindings_size(), 2);
  EXPECT_EQ(c.collection().bindings(1).map().bindings().at("k").scalar().primitive().string_value(),
            "v");
  BindingData p = Promise("n0", "o0", {"a", 2});
  EXPECT_EQ(p.promise().attr_path(0).string_value(), "a");
  EXPECT_EQ(p.promise().attr_path(1).int_value(), 2);
}

}  // namespace
}  // namespace flytecpp::idl
