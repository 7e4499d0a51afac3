// Helpers for engine tests: a temporary store, an in-process runtime with
// tasks registered by lambda, a fake clock, latches, and compile-then-run.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

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

// A one-shot gate between threads: Wait blocks until Open. WaitFor gives up
// after a (generous) real-time bound, so a broken engine fails a test
// instead of hanging it.
class Latch {
 public:
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  bool WaitFor(std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

inline std::shared_ptr<Latch> NewLatch() { return std::make_shared<Latch>(); }

// Polls `pred` until it holds or `limit` of real time passed.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(30000)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    // Engines use store_ from their own thread; the test reads through this.
    auto r = store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    reader_ = std::move(r).value();
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
    auto r = engine.Run({.closure = *closure, .inputs = inputs});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ExecutionResult{};
  }

  // Runs `task` alone: a one-node workflow whose inputs and outputs are the
  // task's, on an engine with `options`.
  ExecutionResult RunTask(const TaskTemplate& task, const core::LiteralMap& inputs,
                          EngineOptions options) {
    WorkflowBuilder wf("wf");
    auto node = TaskNode("n0", task);
    for (const auto& [name, v] : task.interface().inputs().variables()) {
      wf.Input(name, v.type());
      node.Bind(name, WorkflowInput(name));
    }
    wf.Add(node);
    for (const auto& [name, v] : task.interface().outputs().variables()) {
      wf.Output(name, v.type(), Promise("n0", name));
    }
    auto closure = CompileIt(wf.Build(), {task});
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    if (!closure.ok()) return ExecutionResult{};
    Engine engine(std::move(options));
    auto r = engine.Run({.closure = *closure, .inputs = inputs});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ExecutionResult{};
  }

  EngineOptions Options() {
    EngineOptions o;
    o.store = store_.get();
    o.runtimes = {&tasks_};
    o.launch_plans = launch_plans_;
    o.clock = &clock_;
    return o;
  }

  // Options whose only runtime is `r` (a FakeRuntime, say).
  EngineOptions FakeOptions(runtime::Runtime* r) {
    EngineOptions o = Options();
    o.runtimes = {r};
    return o;
  }

  std::vector<flyteidl::event::NodeExecutionEvent> NodeEvents(const std::string& exec) {
    std::vector<flyteidl::event::NodeExecutionEvent> out;
    for (const auto& e : *reader_->GetEvents(exec)) {
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
    for (const auto& n : *reader_->GetNodes(exec)) out[n.path] = n.phase;
    return out;
  }

  // The stored row of one node; fails the test if there is none.
  store::NodeRecord Row(const std::string& exec, const std::string& path) {
    for (const auto& n : *reader_->GetNodes(exec)) {
      if (n.path == path) return n;
    }
    ADD_FAILURE() << "no row for node " << path << " of " << exec;
    return {};
  }

  flytecpp::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;   // the engines'
  std::unique_ptr<store::Store> reader_;  // the test's own handle on the same store
  FakeClock clock_;
  runtime::InProcessRuntime tasks_{4};
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

// {"xs": [v...]}: the input of the tests' arrays.
inline core::LiteralMap XsInput(const std::vector<int>& v) {
  std::vector<core::Literal> items;
  for (int x : v) items.push_back(lit::Int(x));
  return lit::Inputs({{"xs", lit::List(items)}});
}

// t.add1: x -> x + 1, the tests' usual task.
inline const TaskTemplate kAdd1 = Task("t.add1", {{"x", types::Int()}}, {{"o0", types::Int()}});
inline runtime::TaskOutcome Add1(const core::LiteralMap& in) {
  return lit::Inputs({{"o0", lit::Int(Int(in, "x") + 1)}});
}

}  // namespace flytecpp::engine::testing
