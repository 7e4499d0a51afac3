// flytepropeller's compiler golden suite (snacks-core), reproduced: every
// task and workflow compiles to exactly the golden CompiledTask /
// CompiledWorkflowClosure, compared as protobuf messages.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "test_support.h"

namespace flytecpp::compiler {
namespace {

using google::protobuf::util::MessageDifferencer;
namespace fs = std::filesystem;

fs::path SnacksCore(const fs::path& conformance) {
  return conformance / "flytepropeller-compiler" / "snacks-core";
}

// The reference harness appends three config entries to container tasks
// before compiling them (setDefaultFields).
void SetDefaultFields(TaskTemplate* t) {
  if (!t->has_container()) return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  for (int i = 1; i <= 3; ++i) {
    auto* kv = t->mutable_container()->add_config();
    kv->set_key("testKey" + std::to_string(i));
    kv->set_value("testValue" + std::to_string(i));
  }
#pragma GCC diagnostic pop
}

std::string Base(const fs::path& pb) { return pb.stem().string(); }

// All snacks-core tasks, compiled, by identifier key.
std::map<std::string, CompiledTask> CompileAllTasks(const fs::path& dir) {
  std::map<std::string, CompiledTask> out;
  for (const auto& f : testing::FilesEndingWith(dir, "_1.pb")) {
    flyteidl::admin::TaskSpec spec;
    EXPECT_TRUE(idl::ReadMessage(f, &spec).ok());
    TaskTemplate t = spec.template_();
    SetDefaultFields(&t);
    auto compiled = CompileTask(t);
    if (compiled.ok()) out.emplace(idl::IdentifierString(t.id()), *compiled);
  }
  return out;
}

void ExpectProtoEqual(const google::protobuf::Message& got, const google::protobuf::Message& want,
                      const std::string& what) {
  MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  EXPECT_TRUE(d.Compare(want, got)) << what << " differs from its golden:\n" << report;
}

TEST(CompilerGoldenTest, AllTaskGoldens) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  const fs::path dir = SnacksCore(conf);
  int compared = 0;
  for (const auto& f : testing::FilesEndingWith(dir, "_1.pb")) {
    SCOPED_TRACE(f.filename().string());
    flyteidl::admin::TaskSpec spec;
    ASSERT_TRUE(idl::ReadMessage(f, &spec).ok());
    TaskTemplate t = spec.template_();
    SetDefaultFields(&t);
    std::vector<CompileError> errors;
    auto compiled = CompileTask(t, &errors);
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    CompiledTask golden;
    Status st = idl::ReadMessage(dir / "compiled" / (Base(f) + "_task.json"), &golden);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectProtoEqual(*compiled, golden, f.filename().string());
    ++compared;
  }
  EXPECT_EQ(compared, 87);
}

TEST(CompilerGoldenTest, AllWorkflowGoldens) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  const fs::path dir = SnacksCore(conf);
  auto tasks = CompileAllTasks(dir);
  int compared = 0;
  for (const auto& f : testing::FilesEndingWith(dir, "_2.pb")) {
    SCOPED_TRACE(f.filename().string());
    flyteidl::admin::WorkflowSpec spec;
    ASSERT_TRUE(idl::ReadMessage(f, &spec).ok());
    if (spec.sub_workflows_size() > 0) continue;  // 064, 066: no golden
    auto reqs = GetRequirements(spec.template_(), {});
    ASSERT_TRUE(reqs.ok()) << reqs.status().ToString();
    std::vector<CompiledTask> needed;
    for (const auto& id : reqs->task_ids) {
      auto it = tasks.find(idl::IdentifierString(id));
      ASSERT_NE(it, tasks.end()) << idl::IdentifierString(id);
      needed.push_back(it->second);
    }
    auto closure = CompileWorkflow(spec.template_(), {}, needed, {});
    ASSERT_TRUE(closure.ok()) << closure.status().ToString();
    CompiledWorkflowClosure golden;
    Status st = idl::ReadMessage(dir / "compiled" / (Base(f) + "_wf.json"), &golden);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectProtoEqual(*closure, golden, f.filename().string());
    ++compared;
  }
  EXPECT_EQ(compared, 43);
}

}  // namespace
}  // namespace flytecpp::compiler

namespace flytecpp::compiler {
namespace {

int CountNodesNamed(const flyteidl::core::WorkflowTemplate& t, const std::string& id) {
  int n = 0;
  for (const auto& node : t.nodes()) n += node.id() == id;
  return n;
}

TEST(CompilerGoldenTest, SubWorkflowSpecsCompile) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  const fs::path dir = SnacksCore(conf);
  auto tasks = CompileAllTasks(dir);
  for (const char* name : {"064_core.control_flow.subworkflows.parent_wf_2.pb",
                           "066_core.control_flow.subworkflows.nested_parent_wf_2.pb"}) {
    SCOPED_TRACE(name);
    flyteidl::admin::WorkflowSpec spec;
    ASSERT_TRUE(idl::ReadMessage(dir / name, &spec).ok());
    std::vector<WorkflowTemplate> subs(spec.sub_workflows().begin(), spec.sub_workflows().end());
    auto reqs = GetRequirements(spec.template_(), subs);
    ASSERT_TRUE(reqs.ok()) << reqs.status().ToString();
    std::vector<CompiledTask> needed;
    for (const auto& id : reqs->task_ids) needed.push_back(tasks.at(idl::IdentifierString(id)));
    auto closure = CompileWorkflow(spec.template_(), subs, needed, {});
    ASSERT_TRUE(closure.ok()) << closure.status().ToString();

    ASSERT_EQ(closure->sub_workflows_size(), spec.sub_workflows_size());
    std::set<std::string> sub_ids;
    for (const auto& sub : closure->sub_workflows()) {
      const auto& t = sub.template_();
      sub_ids.insert(idl::IdentifierString(t.id()));
      // Compiled exactly once: one start-node, one end-node, connections set.
      EXPECT_EQ(CountNodesNamed(t, "start-node"), 1) << t.id().name();
      EXPECT_EQ(CountNodesNamed(t, "end-node"), 1) << t.id().name();
      EXPECT_GT(sub.connections().downstream().at("start-node").ids_size(), 0);
      EXPECT_TRUE(sub.connections().upstream().count("end-node"));
    }
    const auto& primary = closure->primary();
    for (const auto& node : primary.template_().nodes()) {
      if (node.has_workflow_node()) {
        EXPECT_TRUE(sub_ids.count(idl::IdentifierString(node.workflow_node().sub_workflow_ref())))
            << node.id();
        EXPECT_TRUE(primary.connections().upstream().count(node.id())) << node.id();
      }
    }
    EXPECT_EQ(closure->tasks_size(), static_cast<int>(needed.size()));
  }
}

TEST(CompilerGoldenTest, LaunchPlansMatchTheirWorkflows) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  const fs::path dir = SnacksCore(conf);
  std::map<std::string, WorkflowTemplate> workflows;
  for (const auto& f : testing::FilesEndingWith(dir, "_2.pb")) {
    flyteidl::admin::WorkflowSpec spec;
    ASSERT_TRUE(idl::ReadMessage(f, &spec).ok());
    workflows[spec.template_().id().name()] = spec.template_();
  }
  int checked = 0;
  for (const auto& f : testing::FilesEndingWith(dir, "_3.pb")) {
    flyteidl::admin::LaunchPlan lp;
    ASSERT_TRUE(idl::ReadMessage(f, &lp).ok());
    auto it = workflows.find(lp.spec().workflow_id().name());
    if (it == workflows.end()) continue;
    Status st = ValidateLaunchPlan(lp, it->second);
    EXPECT_TRUE(st.ok()) << f.filename() << ": " << st.ToString();
    ++checked;
  }
  EXPECT_EQ(checked, 51);
}

// A dynamic-style closure (like flytepropeller's TestDynamic): a sub-workflow
// holding a branch, referenced by two nodes, and explicit upstream ids.
TEST(CompilerGoldenTest, DynamicStyleClosureCompiles) {
  using namespace flytecpp::idl;
  TaskTemplate t = TaskBuilder("dyn.t")
                       .Input("x", types::Int())
                       .Output("o0", types::Int())
                       .Container(ContainerBuilder("img").Command({"t"}))
                       .Build();
  WorkflowBuilder sub("dyn.sub");
  sub.Input("x", types::Int());
  sub.Add(BranchNode("b")
              .Bind("x", WorkflowInput("x"))
              .If(Var("x") > Val(0), TaskNode("pos", t).Bind("x", WorkflowInput("x")))
              .Else(TaskNode("neg", t).Bind("x", Constant(lit::Int(0)))));
  sub.Output("o0", types::Int(), Promise("b", "o0"));

  WorkflowBuilder wf("dyn.wf");
  const auto sub_id = sub.Build().id();
  wf.Add(SubWorkflowNode("s0", sub_id).Bind("x", Constant(lit::Int(1))));
  wf.Add(SubWorkflowNode("s1", sub_id).Bind("x", Constant(lit::Int(2))).After("s0"));
  wf.Output("o0", types::List(types::Int()), BindList({Promise("s0", "o0"), Promise("s1", "o0")}));
  CompiledTask ct;
  *ct.mutable_template_() = t;
  auto closure = CompileWorkflow(wf.Build(), {sub.Build()}, {ct}, {});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  const auto& conn = closure->primary().connections();
  EXPECT_EQ(conn.upstream().at("s1").ids(0), "s0");
  EXPECT_EQ(conn.upstream().at("end-node").ids_size(), 2);
  const auto& csub = closure->sub_workflows(0);
  // The branch's cases are prefixed once, though two nodes use the sub-workflow.
  const auto& branch = csub.template_().nodes(2);
  EXPECT_EQ(branch.branch_node().if_else().case_().then_node().id(), "b-pos");
  EXPECT_EQ(branch.branch_node().if_else().else_node().id(), "b-neg");
  EXPECT_TRUE(csub.connections().upstream().count("b-pos"));
}

}  // namespace
}  // namespace flytecpp::compiler
