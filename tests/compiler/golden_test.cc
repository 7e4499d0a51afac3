// flytepropeller's compiler golden suite (snacks-core), reproduced: every
// task and workflow compiles to exactly the golden CompiledTask /
// CompiledWorkflowClosure, compared as protobuf messages.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>

#include "flytecpp/compiler/compiler.h"
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
