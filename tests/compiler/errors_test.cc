// One failing input per error code the compiler raises, each checked for the
// code and the node it names.
#include <gtest/gtest.h>

#include "compiler_test_util.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::compiler {
namespace {

using namespace testing;
namespace core = flyteidl::core;

const TaskTemplate kIntToInt = Task("t.int", {{"x", types::Int()}}, {{"o0", types::Int()}});
const TaskTemplate kStrOut = Task("t.str", {}, {{"o0", types::String()}});

WorkflowBuilder IntWorkflow() {
  WorkflowBuilder wf("wf");
  wf.Input("x", types::Int());
  return wf;
}

TEST(CompileErrorsTest, ValueRequiredForContainerWithoutImage) {
  TaskTemplate t = TaskBuilder("t").Input("x", types::Int()).Build();
  t.mutable_container()->add_command("run");
  std::vector<CompileError> errors;
  EXPECT_FALSE(CompileTask(t, &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, ErrorCode::kValueRequired);
  EXPECT_EQ(errors[0].node_id, "container");
  EXPECT_EQ(errors[0].ToString(), "ValueRequired container: Value required [image].");
}

TEST(CompileErrorsTest, UnrecognizedValueForBadQuantity) {
  TaskTemplate t = TaskBuilder("t")
                       .Container(ContainerBuilder("img").CpuRequest("lots").MemoryLimit("1Gi"))
                       .Build();
  std::vector<CompileError> errors;
  EXPECT_FALSE(CompileTask(t, &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, ErrorCode::kUnrecognizedValue);
  EXPECT_EQ(errors[0].node_id, "resources.CPU");
}

TEST(CompileErrorsTest, InvalidValueForBadPodSpec) {
  google::protobuf::Struct spec;
  (*spec.mutable_fields())["containers"].set_string_value("not a list");
  std::vector<CompileError> errors;
  EXPECT_FALSE(CompileTask(TaskBuilder("t", "sidecar").K8sPod(spec).Build(), &errors).ok());
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].code, ErrorCode::kInvalidValue);

  google::protobuf::Struct bad_name;
  auto* c = (*bad_name.mutable_fields())["containers"].mutable_list_value()->add_values();
  (*c->mutable_struct_value()->mutable_fields())["name"].set_string_value("Not_DNS");
  EXPECT_FALSE(CompileTask(TaskBuilder("t", "sidecar").K8sPod(bad_name).Build(), &errors).ok());
  EXPECT_EQ(errors[0].message, "Invalid value [k8s pod spec container name].");
}

TEST(CompileErrorsTest, NoNodesFound) {
  auto o = Compile(WorkflowBuilder("empty").Build(), {});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kNoNodesFound, "WORKFLOW:::empty:");
}

TEST(CompileErrorsTest, TaskReferenceNotFound) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")));
  auto o = Compile(wf.Build(), {});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kTaskReferenceNotFound, "start-node");
}

TEST(CompileErrorsTest, WorkflowReferenceNotFoundForSubWorkflowAndLaunchPlan) {
  auto wf = IntWorkflow();
  wf.Add(SubWorkflowNode("sub", MakeIdentifier(core::WORKFLOW, "missing.sub")));
  auto o = Compile(wf.Build(), {});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kWorkflowReferenceNotFound, "sub");

  auto wf2 = IntWorkflow();
  wf2.Add(LaunchPlanNode("lp", MakeIdentifier(core::LAUNCH_PLAN, "missing.lp")));
  auto o2 = Compile(wf2.Build(), {});
  EXPECT_COMPILE_ERROR(o2, ErrorCode::kWorkflowReferenceNotFound, "start-node");
}

TEST(CompileErrorsTest, VariableNameNotFoundForUnknownInput) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")).Bind("nope", WorkflowInput("x")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kVariableNameNotFound, "n0");
}

TEST(CompileErrorsTest, VariableNameNotFoundForUnknownOutput) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", kIntToInt).Bind("x", Promise("n0", "o7")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kVariableNameNotFound, "n0");  // names the provider
  EXPECT_TRUE(o.Has(ErrorCode::kParameterNotBound, "n1")) << o.Listing();
}

TEST(CompileErrorsTest, ParameterNotBound) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kParameterNotBound, "n0");
  EXPECT_EQ(o.errors[0].ToString(), "ParameterNotBound n0: Parameter not bound [x].");
}

TEST(CompileErrorsTest, OptionalInputsNeedNoBinding) {
  TaskTemplate t = Task("t.opt", {{"x", types::Union({types::Int(), types::None()})}}, {});
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", t));
  EXPECT_TRUE(Compile(wf.Build(), {t}).closure.ok());
}

TEST(CompileErrorsTest, ParameterBoundMoreThanOnce) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")).Bind("x", WorkflowInput("x")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kParameterBoundMoreThanOnce, "n0");
}

TEST(CompileErrorsTest, NodeReferenceNotFound) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", Promise("ghost", "o0")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kNodeReferenceNotFound, "ghost");
}

TEST(CompileErrorsTest, MismatchingTypesForPromise) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("s", kStrOut));
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", Promise("s", "o0")));
  auto o = Compile(wf.Build(), {kIntToInt, kStrOut});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kMismatchingTypes, "n0");
  EXPECT_NE(o.Listing().find("'o0' has type [str]"), std::string::npos) << o.Listing();
}

TEST(CompileErrorsTest, MismatchingTypesForConstant) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", Constant(lit::String("seven"))));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kMismatchingTypes, "n0");
}

TEST(CompileErrorsTest, MismatchingBindings) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", BindList({Constant(lit::Int(1))})));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kMismatchingBindings, "n0");
}

TEST(CompileErrorsTest, IllegalEnumValue) {
  TaskTemplate t = Task("t.enum", {{"c", types::Enum({"red", "green"})}}, {});
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", t).Bind("c", Constant(lit::String("purple"))));
  auto o = Compile(wf.Build(), {t});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kIllegalEnumValue, "n0");
  auto ok = IntWorkflow();
  ok.Add(TaskNode("n0", t).Bind("c", Constant(lit::String("green"))));
  EXPECT_TRUE(Compile(ok.Build(), {t}).closure.ok());
}

TEST(CompileErrorsTest, AmbiguousBindingUnionValue) {
  // An empty list fits both list variants.
  TaskTemplate t = Task(
      "t.u", {{"xs", types::Union({types::List(types::Int()), types::List(types::String())})}}, {});
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", t).Bind("xs", BindList({})));
  auto o = Compile(wf.Build(), {t});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kAmbiguousBindingUnionValue, "n0");
}

TEST(CompileErrorsTest, IncompatibleBindingUnionValue) {
  TaskTemplate t = Task("t.u", {{"x", types::Union({types::Int(), types::String()})}}, {});
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", t).Bind("x", BindList({Constant(lit::Int(1))})));
  auto o = Compile(wf.Build(), {t});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kIncompatibleBindingUnionValue, "n0");
}

TEST(CompileErrorsTest, SyntaxErrorInPromiseVar) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", kIntToInt).Bind("x", Promise("n0", "o0.field")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kSyntaxError, "n1");
}

TEST(CompileErrorsTest, FieldNotFoundInDataclass) {
  LiteralType dc = types::Struct();
  (*dc.mutable_structure()->mutable_dataclass_type())["a"] = types::Int();
  TaskTemplate producer = Task("t.dc", {}, {{"o0", dc}});
  auto wf = IntWorkflow();
  wf.Add(TaskNode("p", producer));
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", Promise("p", "o0", {"a"})));
  EXPECT_TRUE(Compile(wf.Build(), {producer, kIntToInt}).closure.ok());
  auto bad = IntWorkflow();
  bad.Add(TaskNode("p", producer));
  bad.Add(TaskNode("n0", kIntToInt).Bind("x", Promise("p", "o0", {"b"})));
  auto o = Compile(bad.Build(), {producer, kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kFieldNotFound, "n0");
}

TEST(CompileErrorsTest, UnrecognizedValueForBlobWithoutMetadata) {
  TaskTemplate t = Task("t.blob", {{"f", types::Blob()}}, {});
  core::BindingData blob;
  blob.mutable_scalar()->mutable_blob()->set_uri("/x");
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", t).Bind("f", blob));
  auto o = Compile(wf.Build(), {t});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kUnrecognizedValue, "n0");
}

TEST(CompileErrorsTest, DuplicateAlias) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt)
             .Bind("x", WorkflowInput("x"))
             .OutputAlias("o0", "a")
             .OutputAlias("o0", "b"));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kDuplicateAlias, "n0");
}

TEST(CompileErrorsTest, AliasRenamesTheOutput) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")).OutputAlias("o0", "total"));
  wf.Add(TaskNode("n1", kIntToInt).Bind("x", Promise("n0", "total")));
  EXPECT_TRUE(Compile(wf.Build(), {kIntToInt}).closure.ok());
  auto old_name = IntWorkflow();
  old_name.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")).OutputAlias("o0", "total"));
  old_name.Add(TaskNode("n1", kIntToInt).Bind("x", Promise("n0", "o0")));
  EXPECT_COMPILE_ERROR(Compile(old_name.Build(), {kIntToInt}), ErrorCode::kVariableNameNotFound,
                       "n0");
}

TEST(CompileErrorsTest, DuplicateIdIsAnError) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kDuplicateId, "n0");
  auto reserved = IntWorkflow();
  reserved.Add(TaskNode("start-node", kIntToInt).Bind("x", WorkflowInput("x")));
  EXPECT_COMPILE_ERROR(Compile(reserved.Build(), {kIntToInt}), ErrorCode::kDuplicateId,
                       "start-node");
}

TEST(CompileErrorsTest, DuplicateSubWorkflowId) {
  WorkflowTemplate sub = WorkflowBuilder("sub").Build();
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", WorkflowInput("x")));
  auto o = Compile(wf.Build(), {kIntToInt}, {sub, sub});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kDuplicateId, "WORKFLOW:::sub:");
}

TEST(CompileErrorsTest, CycleDetected) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("a", kIntToInt).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("b", kIntToInt).Bind("x", Promise("a", "o0")).After("c"));
  wf.Add(TaskNode("c", kIntToInt).Bind("x", Promise("b", "o0")));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kCycleDetected, "start-node");
  EXPECT_NE(o.Listing().find("[start-node>a>b>c>b]"), std::string::npos) << o.Listing();
}

TEST(CompileErrorsTest, UnreachableNodesAndNoEntryNode) {
  auto wf = IntWorkflow();
  // Each waits for the other and nothing binds them to the workflow inputs.
  wf.Add(TaskNode("a", kStrOut).After("b"));
  wf.Add(TaskNode("b", kStrOut).After("a"));
  auto o = Compile(wf.Build(), {kStrOut});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kUnreachableNodes, "start-node");
  EXPECT_TRUE(o.Has(ErrorCode::kNoEntryNodeFound, "WORKFLOW:::wf:")) << o.Listing();
  EXPECT_NE(o.Listing().find("unreachable nodes [a,b]"), std::string::npos) << o.Listing();
}

TEST(CompileErrorsTest, BranchNodeHasNoDefault) {
  auto wf = IntWorkflow();
  wf.Add(BranchNode("b")
             .Bind("x", WorkflowInput("x"))
             .If(Var("x") > Val(1), TaskNode("t", kIntToInt).Bind("x", WorkflowInput("x"))));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kBranchNodeHasNoDefault, "b");
}

TEST(CompileErrorsTest, BranchNodeHasNoCondition) {
  auto wf = IntWorkflow();
  BranchNodeBuilder b = BranchNode("b").Bind("x", WorkflowInput("x")).ElseFail("never");
  *b.mutable_node().mutable_branch_node()->mutable_if_else()->mutable_case_()->mutable_then_node() =
      TaskNode("t", kIntToInt).Bind("x", WorkflowInput("x")).Build();
  wf.Add(b);
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kBranchNodeHasNoCondition, "b");
}

TEST(CompileErrorsTest, BranchNodeIdNotFound) {
  auto wf = IntWorkflow();
  BranchNodeBuilder b =
      BranchNode("b")
          .Bind("x", WorkflowInput("x"))
          .If(Var("x") > Val(1), TaskNode("t", kIntToInt).Bind("x", WorkflowInput("x")))
          .ElseFail("never");
  auto* other = b.mutable_node().mutable_branch_node()->mutable_if_else()->add_other();
  *other->mutable_condition() = (Var("x") < Val(0)).proto;
  wf.Add(b);
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kBranchNodeIdNotFound, "b");
}

TEST(CompileErrorsTest, BranchConditionVariablesAndTypes) {
  auto wf = IntWorkflow();
  wf.Add(BranchNode("b")
             .Bind("x", WorkflowInput("x"))
             .If(Var("y") > Val(1), TaskNode("t", kIntToInt).Bind("x", WorkflowInput("x")))
             .ElseFail("never"));
  EXPECT_COMPILE_ERROR(Compile(wf.Build(), {kIntToInt}), ErrorCode::kVariableNameNotFound, "b");
  auto wf2 = IntWorkflow();
  wf2.Add(BranchNode("b")
              .Bind("x", WorkflowInput("x"))
              .If(Var("x") > Val("ten"), TaskNode("t", kIntToInt).Bind("x", WorkflowInput("x")))
              .ElseFail("never"));
  EXPECT_COMPILE_ERROR(Compile(wf2.Build(), {kIntToInt}), ErrorCode::kMismatchingTypes, "b");
}

TEST(CompileErrorsTest, BranchCasesMustAgreeOnOutputTypes) {
  TaskTemplate float_out = Task("t.float", {}, {{"o0", types::Float()}});
  auto wf = IntWorkflow();
  wf.Add(BranchNode("b")
             .Bind("x", WorkflowInput("x"))
             .If(Var("x") > Val(1), TaskNode("i", kIntToInt).Bind("x", WorkflowInput("x")))
             .Else(TaskNode("f", float_out)));
  auto o = Compile(wf.Build(), {kIntToInt, float_out});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kMismatchingTypes, "b-f");
}

TEST(CompileErrorsTest, ValueCollisionOfBranchCaseIds) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("b-t", kIntToInt).Bind("x", WorkflowInput("x")));
  wf.Add(BranchNode("b")
             .Bind("x", WorkflowInput("x"))
             .If(Var("x") > Val(1), TaskNode("t", kIntToInt).Bind("x", WorkflowInput("x")))
             .ElseFail("never"));
  auto o = Compile(wf.Build(), {kIntToInt});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kValueCollision, "b-t");
}

TEST(CompileErrorsTest, NoConditionFoundInGate) {
  auto wf = IntWorkflow();
  NodeBuilder gate("g");
  gate.mutable_node().mutable_gate_node();
  wf.Add(gate);
  auto o = Compile(wf.Build(), {});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kNoConditionFound, "g");
}

TEST(CompileErrorsTest, ValueRequiredForNodeWithoutTarget) {
  auto wf = IntWorkflow();
  wf.Add(NodeBuilder("bare"));
  auto o = Compile(wf.Build(), {});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kValueRequired, "bare");
}

TEST(CompileErrorsTest, SubWorkflowContainingItselfIsACycle) {
  WorkflowBuilder sub("loop");
  sub.Add(SubWorkflowNode("again", MakeIdentifier(core::WORKFLOW, "loop")));
  auto wf = IntWorkflow();
  wf.Add(SubWorkflowNode("s", MakeIdentifier(core::WORKFLOW, "loop")));
  auto o = Compile(wf.Build(), {}, {sub.Build()});
  EXPECT_COMPILE_ERROR(o, ErrorCode::kCycleDetected, "again");
}

TEST(CompileErrorsTest, ErrorsAreCollectedDeduplicatedAndSorted) {
  auto wf = IntWorkflow();
  wf.Add(TaskNode("n1", kIntToInt));                                    // ParameterNotBound
  wf.Add(TaskNode("n0", kIntToInt).Bind("x", Promise("ghost", "o0")));  // NodeReference...
  wf.Add(TaskNode("n2", kIntToInt).Bind("x", Promise("ghost", "o0")));
  auto o = Compile(wf.Build(), {kIntToInt});
  ASSERT_FALSE(o.closure.ok());
  std::vector<std::string> got;
  for (const auto& e : o.errors)
    got.push_back(std::string(ErrorCodeName(e.code)) + " " + e.node_id);
  EXPECT_EQ(got, (std::vector<std::string>{"NodeReferenceNotFound ghost", "ParameterNotBound n0",
                                           "ParameterNotBound n1", "ParameterNotBound n2"}));
  // The Status carries the same list, one error per line.
  EXPECT_NE(o.closure.status().message().find("4 errors\nNodeReferenceNotFound ghost:"),
            std::string::npos)
      << o.closure.status().message();
}

TEST(CompileErrorsTest, ValidateInputs) {
  core::TypedInterface iface;
  (*iface.mutable_inputs()->mutable_variables())["n"].mutable_type()->set_simple(core::INTEGER);
  *(*iface.mutable_inputs()->mutable_variables())["opt"].mutable_type() =
      types::Union({types::String(), types::None()});
  std::vector<CompileError> errors;
  EXPECT_TRUE(ValidateInputs(iface, lit::Inputs({{"n", lit::Int(3)}}), nullptr, &errors).ok());
  EXPECT_FALSE(
      ValidateInputs(iface, lit::Inputs({{"n", lit::String("3")}}), nullptr, &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, ErrorCode::kInvalidLiteralType);
  EXPECT_FALSE(ValidateInputs(iface, lit::Inputs({}), nullptr, &errors).ok());
  EXPECT_EQ(errors[0].code, ErrorCode::kParameterNotBound);
  EXPECT_FALSE(
      ValidateInputs(iface, lit::Inputs({{"n", lit::Int(1)}, {"m", lit::Int(1)}}), nullptr, &errors)
          .ok());
  EXPECT_EQ(errors[0].code, ErrorCode::kVariableNameNotFound);
}

TEST(CompileErrorsTest, ValidateLaunchPlanMismatchingInterfaces) {
  WorkflowTemplate wf = IntWorkflow().Build();
  flyteidl::admin::LaunchPlan lp;
  *lp.mutable_id() = MakeIdentifier(core::LAUNCH_PLAN, "wf");
  *lp.mutable_spec()->mutable_workflow_id() = wf.id();
  auto& p = (*lp.mutable_spec()->mutable_default_inputs()->mutable_parameters())["x"];
  *p.mutable_var()->mutable_type() = types::Int();
  EXPECT_TRUE(ValidateLaunchPlan(lp, wf).ok());
  *p.mutable_var()->mutable_type() = types::String();
  std::vector<CompileError> errors;
  EXPECT_FALSE(ValidateLaunchPlan(lp, wf, &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, ErrorCode::kMismatchingInterfaces);
  (*lp.mutable_spec()->mutable_fixed_inputs()->mutable_literals())["nope"] = lit::Int(1);
  EXPECT_FALSE(ValidateLaunchPlan(lp, wf, &errors).ok());
  EXPECT_EQ(errors.back().code, ErrorCode::kVariableNameNotFound);
}

}  // namespace
}  // namespace flytecpp::compiler
