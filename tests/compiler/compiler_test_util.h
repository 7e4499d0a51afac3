// Helpers for compiler tests: small tasks and workflows, compile and collect.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/builders.h"

namespace flytecpp::compiler::testing {

using namespace flytecpp::idl;

// A container task `name` with the given typed inputs and outputs.
inline TaskTemplate Task(const std::string& name,
                         std::vector<std::pair<std::string, LiteralType>> inputs,
                         std::vector<std::pair<std::string, LiteralType>> outputs) {
  TaskBuilder b(name);
  for (auto& [n, t] : inputs) b.Input(n, t);
  for (auto& [n, t] : outputs) b.Output(n, t);
  b.Container(ContainerBuilder("img").Command({"run"}));
  return b.Build();
}

inline std::vector<CompiledTask> Compiled(const std::vector<TaskTemplate>& tasks) {
  std::vector<CompiledTask> out;
  for (const auto& t : tasks) {
    CompiledTask c;
    *c.mutable_template_() = t;
    out.push_back(c);
  }
  return out;
}

struct Outcome {
  Result<CompiledWorkflowClosure> closure;
  std::vector<CompileError> errors;

  bool Has(ErrorCode code, const std::string& node_id) const {
    for (const auto& e : errors) {
      if (e.code == code && e.node_id == node_id) return true;
    }
    return false;
  }
  std::string Listing() const {
    std::string s;
    for (const auto& e : errors) s += "  " + e.ToString() + "\n";
    return s.empty() ? "  (no errors)\n" : s;
  }
};

inline Outcome Compile(const WorkflowTemplate& wf, const std::vector<TaskTemplate>& tasks,
                       const std::vector<WorkflowTemplate>& subs = {},
                       const std::vector<LaunchPlanInterface>& lps = {}) {
  std::vector<CompileError> errors;
  auto closure = CompileWorkflow(wf, subs, Compiled(tasks), lps, &errors);
  return Outcome{std::move(closure), std::move(errors)};
}

}  // namespace flytecpp::compiler::testing

// Asserts the compile failed with `code` on node `node_id`.
#define EXPECT_COMPILE_ERROR(outcome, code, node_id)                                     \
  do {                                                                                   \
    EXPECT_FALSE((outcome).closure.ok());                                                \
    EXPECT_TRUE((outcome).Has(code, node_id))                                            \
        << "expected " << ::flytecpp::compiler::ErrorCodeName(code) << " on " << node_id \
        << ", got:\n"                                                                    \
        << (outcome).Listing();                                                          \
  } while (0)
