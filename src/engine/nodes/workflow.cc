// Sub-workflow and launch-plan nodes run a child scope: a sub-workflow's
// nodes live under the parent node's path (n1/n0); a launch plan runs as a
// child execution with its own record, covered by its root's lease
// (flyte-executor.md §3.7, §3.8).
#include "../executor.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"

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
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    const std::string lp = idl::IdentifierString(p.launch_plan);
    auto fail = [&](const std::string& why) {
      x.Fail(s, i,
             MakeError(core::ExecutionError::USER, "RuntimeExecutionError",
                       "launch plan " + lp + ": " + why));
    };
    auto target = x.ResolveLaunchPlan(p.launch_plan);
    if (!target.ok()) return fail(target.status().message());
    auto plans = PlanSet::Build(std::move(target->closure));
    if (!plans.ok()) return fail(plans.status().message());
    auto inputs = std::make_shared<core::LiteralMap>(
        MergeInputs(*n.inputs, target->default_inputs, target->fixed_inputs));
    const Plan& plan = (*plans)->primary();
    Status valid = compiler::ValidateInputs(plan.tmpl->interface(), *inputs);
    if (!valid.ok()) return fail(valid.message());
    Scope* c = NewChild(x, s, i, std::move(plans).value());
    c->inputs = inputs;
    c->record.closure = c->owned_plans->closure();
    c->record.inputs = inputs;
    c->record.created_ns = x.Now();
    x.StartScope(c);
  }

  void Resume(Executor& x, Scope* s, int i) override {
    // The child's own record holds what it runs: no resolver is needed.
    auto record = x.store().GetExecution(ChildId(s, i));
    if (!record.ok()) {
      Start(x, s, i);  // it had not been recorded yet
      return;
    }
    auto plans = PlanSet::Build(record->closure);
    if (!plans.ok()) {
      x.Fail(s, i,
             MakeError(core::ExecutionError::SYSTEM, "RuntimeExecutionError",
                       "child execution " + record->id + ": " + plans.status().message()));
      return;
    }
    Scope* c = NewChild(x, s, i, std::move(plans).value());
    c->recorded = true;
    c->inputs = record->inputs ? record->inputs : std::make_shared<const core::LiteralMap>();
    c->phase = record->phase;
    c->started_ns = record->created_ns;
    c->error = record->error;
    if (Terminal(record->phase)) {  // it ended; the parent had not heard yet
      c->state = Scope::State::kDone;
      if (record->outputs) {
        c->nodes[Plan::kEnd].outputs = std::make_shared<core::LiteralMap>(*record->outputs);
      }
      FinishFromChild(x, s, i, "RemoteChildWorkflowExecutionFailed");
      return;
    }
    x.RestoreScope(c);
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
  static std::string ChildId(const Scope* s, int i) {
    std::string id = s->execution_id + "-" + s->Path(i);
    for (char& c : id) {
      if (c == '/') c = '-';
    }
    return id;
  }

  static Scope* NewChild(Executor& x, Scope* s, int i, std::unique_ptr<PlanSet> plans) {
    NodeState& n = s->nodes[i];
    if (n.phase != core::NodeExecution::RUNNING) x.SetPhase(s, i, core::NodeExecution::RUNNING);
    const std::string id = ChildId(s, i);
    const Plan* plan = &plans->primary();
    n.child = x.NewScope(s->exec, plan, id, "", s, i);
    Scope* c = n.child.get();
    c->owned_plans = std::move(plans);
    c->is_execution = true;
    c->record.id = id;
    c->record.workflow_name = plan->workflow_name;
    c->record.parent = s->execution_id;
    c->record.root = s->exec->id;
    return c;
  }
};

}  // namespace

std::unique_ptr<NodeHandler> MakeSubWorkflowHandler() {
  return std::make_unique<SubWorkflowHandler>();
}
std::unique_ptr<NodeHandler> MakeLaunchPlanHandler() {
  return std::make_unique<LaunchPlanHandler>();
}

}  // namespace flytecpp::engine::internal
