// Helpers for engine tests: a temporary store, an in-process runtime with
// tasks registered by lambda, and compile-then-run.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flyteidl/event/event.pb.h"
#include "test_support.h"

namespace flytecpp::engine::testing {

using namespace flytecpp::idl;
namespace core = flyteidl::core;

inline TaskTemplate Task(const std::string& name,
                         std::vector<std::pair<std::string, LiteralType>> inputs,
                         std::vector<std::pair<std::string, LiteralType>> outputs,
                         uint32_t retries = 0) {
  TaskBuilder b(name);
  for (auto& [n, t] : inputs) b.Input(n, t);
  for (auto& [n, t] : outputs) b.Output(n, t);
  if (retries > 0) b.Retries(retries);
  b.Container(ContainerBuilder("img").Command({"run"}));
  return b.Build();
}

inline runtime::TaskError UserError(std::string msg, bool retryable = false) {
  return {core::ExecutionError::USER, "Boom", std::move(msg), retryable};
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Registers `fn` under `name` and counts its calls.
  void Register(const std::string& name, runtime::InProcessRuntime::TaskFn fn) {
    tasks_.Register(name, [this, name, fn = std::move(fn)](const core::LiteralMap& in) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++calls_[name];
      }
      return fn(in);
    });
  }
  int Calls(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[name];
  }

  Result<compiler::CompiledWorkflowClosure> CompileIt(
      const WorkflowTemplate& wf, const std::vector<TaskTemplate>& tasks,
      const std::vector<WorkflowTemplate>& subs = {},
      const std::vector<compiler::LaunchPlanInterface>& lps = {}) {
    std::vector<compiler::CompiledTask> compiled;
    for (const auto& t : tasks) {
      compiler::CompiledTask c;
      *c.mutable_template_() = t;
      compiled.push_back(c);
    }
    return compiler::CompileWorkflow(wf, subs, compiled, lps);
  }

  ExecutionResult RunOk(const WorkflowTemplate& wf, const std::vector<TaskTemplate>& tasks,
                        const core::LiteralMap& inputs,
                        const std::vector<WorkflowTemplate>& subs = {}) {
    auto closure = CompileIt(wf, tasks, subs);
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    if (!closure.ok()) return ExecutionResult{};
    Engine engine(Options());
    auto r = engine.Run({*closure, inputs, {}, ""});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ExecutionResult{};
  }

  EngineOptions Options() {
    EngineOptions o;
    o.store = store_.get();
    o.runtimes = {&tasks_};
    o.launch_plans = launch_plans_;
    return o;
  }

  std::vector<flyteidl::event::NodeExecutionEvent> NodeEvents(const std::string& exec) {
    std::vector<flyteidl::event::NodeExecutionEvent> out;
    for (const auto& e : *store_->GetEvents(exec)) {
      if (e.kind != store::EventKind::kNode) continue;
      flyteidl::event::NodeExecutionEvent ne;
      ne.ParseFromString(e.payload);
      out.push_back(ne);
    }
    return out;
  }

  // Node phase per path, from the store.
  std::map<std::string, core::NodeExecution::Phase> NodePhases(const std::string& exec) {
    std::map<std::string, core::NodeExecution::Phase> out;
    for (const auto& n : *store_->GetNodes(exec)) out[n.path] = n.phase;
    return out;
  }

  flytecpp::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  runtime::InProcessRuntime tasks_{2};
  LaunchPlanResolver launch_plans_;
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

inline double Float(const core::LiteralMap& m, const std::string& k) {
  return m.literals().at(k).scalar().primitive().float_value();
}
inline int64_t Int(const core::LiteralMap& m, const std::string& k) {
  return m.literals().at(k).scalar().primitive().integer();
}

}  // namespace flytecpp::engine::testing
