// Branch nodes: conditions are evaluated against the branch node's own
// inputs; the first true case runs (as a node of the same workflow), the
// others are skipped without events; no case and `else` fail: the user's
// error (flyte-executor.md §3.4).
#include "../data.h"
#include "../executor.h"

namespace flytecpp::engine::internal {

void Executor::LaunchBranch(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  int chosen = -1;
  for (const auto& c : p.cases) {
    auto taken = EvaluateCondition(*c.condition, *n.inputs);
    if (!taken.ok()) {
      Fail(s, i,
           MakeError(core::ExecutionError::USER, "MalformedBranchUserError",
                     "branch " + p.id + ": " + taken.status().message()));
      return;
    }
    if (*taken) {
      chosen = c.node;
      break;
    }
  }
  if (chosen < 0) chosen = p.else_node;
  // Cases not taken are skipped, silently (as Flyte does).
  auto skip_silently = [&](int c) {
    if (c != chosen && c >= 0 && s->nodes[c].phase == core::NodeExecution::UNDEFINED) {
      SetNodePhase(s, c, core::NodeExecution::SKIPPED, /*emit_event=*/false);
    }
  };
  for (const auto& c : p.cases) skip_silently(c.node);
  skip_silently(p.else_node);
  if (chosen < 0) {
    if (p.else_error != nullptr) {
      Fail(s, i,
           MakeError(core::ExecutionError::USER, "UserProvidedError",
                     "[UserProvidedError] " + p.else_error->message()));
    } else {
      Fail(
          s, i,
          MakeError(core::ExecutionError::USER, "MalformedBranchUserError", "No branch satisfied"));
    }
    return;
  }
  n.taken = chosen;
  SetNodePhase(s, i, core::NodeExecution::RUNNING);
  NodeState& c = s->nodes[chosen];
  if (c.phase == core::NodeExecution::SUCCEEDED) {  // resumed after the case finished
    Succeed(s, i, c.outputs);
    return;
  }
  c.phase = core::NodeExecution::UNDEFINED;
  c.pending = 0;
  Launch(s, chosen);
}

}  // namespace flytecpp::engine::internal
