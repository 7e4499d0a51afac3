// Sub-workflow and launch-plan nodes run a child scope: a sub-workflow's
// nodes live under the parent node's path (n1/n0); a launch plan runs as a
// child execution with its own record (flyte-executor.md §3.7, §3.8).
#include "../executor.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::engine::internal {

void Executor::LaunchSubWorkflow(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  SetNodePhase(s, i, core::NodeExecution::RUNNING);
  n.child = NewScope(p.sub_plan, s->execution_id, s->Path(i) + "/", s, i);
  n.child->inputs = n.inputs;
  if (!restored_.empty()) {
    RestoreScope(n.child.get());  // resume: pick up where the children were
    return;
  }
  StartScope(n.child.get());
}

void Executor::LaunchLaunchPlan(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  const std::string lp = idl::IdentifierString(p.launch_plan);
  if (!options_.launch_plans) {
    Fail(s, i,
         MakeError(core::ExecutionError::USER, "RuntimeExecutionError",
                   "launch plan " + lp + " cannot be resolved (no launch plans given)"));
    return;
  }
  auto target = options_.launch_plans(p.launch_plan);
  if (!target.ok()) {
    Fail(s, i,
         MakeError(core::ExecutionError::USER, "RuntimeExecutionError",
                   "launch plan " + lp + ": " + target.status().message()));
    return;
  }
  auto plans = PlanSet::Build(std::move(target->closure));
  if (!plans.ok()) {
    Fail(s, i,
         MakeError(core::ExecutionError::USER, "RuntimeExecutionError",
                   "launch plan " + lp + ": " + plans.status().message()));
    return;
  }
  // Inputs: the node's, then the launch plan's defaults; fixed inputs win.
  auto inputs = std::make_shared<core::LiteralMap>(*n.inputs);
  for (const auto& [name, param] : target->default_inputs.parameters()) {
    if (param.has_default_() && !inputs->literals().count(name)) {
      (*inputs->mutable_literals())[name] = param.default_();
    }
  }
  for (const auto& [name, value] : target->fixed_inputs.literals()) {
    (*inputs->mutable_literals())[name] = value;
  }
  const Plan& plan = (*plans)->primary();
  Status valid = compiler::ValidateInputs(plan.tmpl->interface(), *inputs);
  if (!valid.ok()) {
    Fail(s, i,
         MakeError(core::ExecutionError::USER, "RuntimeExecutionError",
                   "launch plan " + lp + ": " + valid.message()));
    return;
  }
  // The child execution: a name derived from the parent's and the node path.
  std::string child_id = s->execution_id + "-" + s->Path(i);
  for (char& c : child_id) {
    if (c == '/') c = '-';
  }
  SetNodePhase(s, i, core::NodeExecution::RUNNING);
  n.child = NewScope(&plan, child_id, "", s, i);
  Scope* c = n.child.get();
  c->owned_plans = std::move(plans).value();
  c->is_execution = true;
  c->inputs = inputs;
  c->record.id = child_id;
  c->record.workflow_name = plan.workflow_name;
  c->record.closure = c->owned_plans->closure();
  c->record.inputs = *inputs;
  c->record.parent = s->execution_id;
  c->record.created_ns = Now();
  StartScope(c);
}

void Executor::ChildFinished(Scope* child) {
  Scope* s = child->parent;
  const int i = child->parent_node;
  if (s->nodes[i].phase != core::NodeExecution::RUNNING) return;  // parent aborting
  switch (child->phase) {
    case core::WorkflowExecution::SUCCEEDED:
      Succeed(s, i, child->nodes[Plan::kEnd].outputs);
      return;
    case core::WorkflowExecution::ABORTED:
      Fail(s, i,
           MakeError(core::ExecutionError::USER, "RemoteChildWorkflowExecutionFailed",
                     "child workflow was aborted"));
      return;
    default:
      Fail(s, i,
           child->error ? *child->error
                        : MakeError(core::ExecutionError::UNKNOWN, "SubworkflowNodeFailing",
                                    "the sub-workflow failed"));
      return;
  }
}

}  // namespace flytecpp::engine::internal
