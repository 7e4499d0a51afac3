// Sub-workflow and launch-plan nodes run a child scope: a sub-workflow's
// nodes live under the parent node's path (n1/n0); a launch plan runs as a
// child execution with its own record, covered by its root's lease
// (flyte-executor.md §3.7, §3.8).
#include "../executor.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/phases.h"
#include "launch_plan_child.h"

namespace flytecpp::engine::internal {

namespace {

// The node's outcome from its ended child scope.
void FinishFromChild(Executor& x, Scope* s, int i, const std::string& aborted_code) {
  Scope* child = s->nodes[i].child.get();
  switch (child->phase) {
    case core::WorkflowExecution::SUCCEEDED:
      x.Succeed(s, i, child->nodes[Plan::kEnd].outputs);
      return;
    case core::WorkflowExecution::ABORTED:
      x.Fail(s, i,
             MakeError(core::ExecutionError::USER, aborted_code, "child workflow was aborted"));
      return;
    default:
      x.Fail(s, i,
             child->error ? *child->error
                          : MakeError(core::ExecutionError::UNKNOWN, "SubworkflowNodeFailing",
                                      "the sub-workflow failed"));
      return;
  }
}

class SubWorkflowHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    Scope* child = NewChild(x, s, i);
    x.StartScope(child);
  }

  void Resume(Executor& x, Scope* s, int i) override {
    Scope* child = NewChild(x, s, i);
    x.RestoreScope(child);  // its nodes pick up where they were
  }

  void ChildScopeDone(Executor& x, Scope* s, int i) override {
    FinishFromChild(x, s, i, "SubworkflowNodeAborted");
  }

  void Abort(Executor& x, Scope* s, int i, const std::string& reason) override {
    if (s->nodes[i].child) x.AbortChild(s->nodes[i].child.get(), reason);
  }

  void DescribeEvent(const Scope&, int, flyteidl::event::NodeExecutionEvent* e) const override {
    e->set_is_parent(true);
  }

 private:
  static Scope* NewChild(Executor& x, Scope* s, int i) {
    NodeState& n = s->nodes[i];
    if (n.phase != core::NodeExecution::RUNNING) x.SetPhase(s, i, core::NodeExecution::RUNNING);
    n.child =
        x.NewScope(s->exec, s->plan->nodes[i].sub_plan, s->execution_id, s->Path(i) + "/", s, i);
    n.child->inputs = n.inputs;
    return n.child.get();
  }
};

class LaunchPlanHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    NodeState& n = s->nodes[i];
    auto child =
        NewLaunchPlanChild(x, s, i, s->plan->nodes[i].launch_plan, ChildId(s, i), *n.inputs);
    if (!child.ok()) {
      x.Fail(
          s, i,
          MakeError(core::ExecutionError::USER, "RuntimeExecutionError", child.status().message()));
      return;
    }
    if (n.phase != core::NodeExecution::RUNNING) x.SetPhase(s, i, core::NodeExecution::RUNNING);
    n.child = std::move(child).value();
    x.StartScope(n.child.get());
  }

  void Resume(Executor& x, Scope* s, int i) override {
    NodeState& n = s->nodes[i];
    auto child = RestoreLaunchPlanChild(x, s, i, ChildId(s, i));
    if (!child.ok() && child.status().code() == StatusCode::kNotFound) {
      Start(x, s, i);  // it had not been recorded yet
      return;
    }
    if (!child.ok()) {
      x.Fail(s, i,
             MakeError(core::ExecutionError::SYSTEM, "RuntimeExecutionError",
                       child.status().message()));
      return;
    }
    if (n.phase != core::NodeExecution::RUNNING) x.SetPhase(s, i, core::NodeExecution::RUNNING);
    n.child = std::move(child).value();
    if (n.child->state == Scope::State::kDone) {  // it ended; the parent had not heard yet
      FinishFromChild(x, s, i, "RemoteChildWorkflowExecutionFailed");
      return;
    }
    x.RestoreScope(n.child.get());
  }

  void ChildScopeDone(Executor& x, Scope* s, int i) override {
    FinishFromChild(x, s, i, "RemoteChildWorkflowExecutionFailed");
  }

  void Abort(Executor& x, Scope* s, int i, const std::string& reason) override {
    if (s->nodes[i].child) x.AbortChild(s->nodes[i].child.get(), reason);
  }

  void DescribeEvent(const Scope& s, int i, flyteidl::event::NodeExecutionEvent* e) const override {
    *e->mutable_target_entity() = s.plan->nodes[i].launch_plan;
    if (s.nodes[i].child) {
      e->mutable_workflow_node_metadata()->mutable_execution_id()->set_name(
          s.nodes[i].child->execution_id);
    }
  }

 private:
  // The child execution: a name derived from the parent's and the node path.
  static std::string ChildId(const Scope* s, int i) { return ChildExecutionId(s, s->Path(i)); }
};

}  // namespace

std::string ChildExecutionId(const Scope* s, const std::string& path) {
  std::string id = s->execution_id + "-" + path;
  for (char& c : id) {
    if (c == '/') c = '-';
  }
  return id;
}

namespace {

std::unique_ptr<Scope> ChildScope(Executor& x, Scope* s, int i, const std::string& id,
                                  std::unique_ptr<PlanSet> plans) {
  const Plan* plan = &plans->primary();
  auto c = x.NewScope(s->exec, plan, id, "", s, i);
  c->owned_plans = std::move(plans);
  c->is_execution = true;
  c->record.id = id;
  c->record.workflow_name = plan->workflow_name;
  c->record.parent = s->execution_id;
  c->record.root = s->exec->id;
  return c;
}

}  // namespace

Result<std::unique_ptr<Scope>> NewLaunchPlanChild(Executor& x, Scope* s, int i,
                                                  const core::Identifier& launch_plan,
                                                  const std::string& id,
                                                  const core::LiteralMap& given) {
  const std::string lp = idl::IdentifierString(launch_plan);
  auto fail = [&](const Status& why) {
    return InvalidArgument("launch plan " + lp + ": " + why.message());
  };
  auto target = x.ResolveLaunchPlan(launch_plan);
  if (!target.ok()) return fail(target.status());
  auto plans = PlanSet::Build(std::move(target->closure));
  if (!plans.ok()) return fail(plans.status());
  auto inputs = std::make_shared<core::LiteralMap>(
      MergeInputs(given, target->default_inputs, target->fixed_inputs));
  Status valid = compiler::ValidateInputs((*plans)->primary().tmpl->interface(), *inputs);
  if (!valid.ok()) return fail(valid);
  auto c = ChildScope(x, s, i, id, std::move(plans).value());
  c->inputs = inputs;
  c->record.closure = c->owned_plans->closure();
  c->record.inputs = inputs;
  c->record.created_ns = x.Now();
  return c;
}

Result<std::unique_ptr<Scope>> RestoreLaunchPlanChild(Executor& x, Scope* s, int i,
                                                      const std::string& id) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord record, x.store().GetExecution(id));
  auto plans = PlanSet::Build(record.closure);
  if (!plans.ok()) {
    return Internal("child execution " + record.id + ": " + plans.status().message());
  }
  auto c = ChildScope(x, s, i, id, std::move(plans).value());
  c->recorded = true;
  c->inputs = record.inputs ? record.inputs : std::make_shared<const core::LiteralMap>();
  c->phase = record.phase;
  c->started_ns = record.created_ns;
  c->error = record.error;
  if (idl::IsTerminal(record.phase)) {
    c->state = Scope::State::kDone;
    if (record.outputs) c->nodes[Plan::kEnd].outputs = record.outputs;
  }
  return c;
}

std::unique_ptr<NodeHandler> MakeSubWorkflowHandler() {
  return std::make_unique<SubWorkflowHandler>();
}
std::unique_ptr<NodeHandler> MakeLaunchPlanHandler() {
  return std::make_unique<LaunchPlanHandler>();
}

}  // namespace flytecpp::engine::internal
