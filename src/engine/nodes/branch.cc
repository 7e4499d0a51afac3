// Branch nodes: conditions are evaluated against the branch node's own
// inputs; the first true case runs (as a node of the same workflow the
// branch owns), the others are skipped without events; no case and `else`
// fail: the user's error (flyte-executor.md §3.4). Conditions depend on the
// inputs alone, so a resumed branch evaluates them again and continues the
// case it took before.
#include "../data.h"
#include "../executor.h"

namespace flytecpp::engine::internal {

namespace {

class BranchHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    int chosen = -1;
    for (const auto& c : p.cases) {
      auto taken = EvaluateCondition(*c.condition, *n.inputs);
      if (!taken.ok()) {
        x.Fail(s, i,
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
        x.SetPhase(s, c, core::NodeExecution::SKIPPED, /*emit_event=*/false);
      }
    };
    for (const auto& c : p.cases) skip_silently(c.node);
    skip_silently(p.else_node);
    if (chosen < 0) {
      if (p.else_error != nullptr) {
        x.Fail(s, i,
               MakeError(core::ExecutionError::USER, "UserProvidedError",
                         "[UserProvidedError] " + p.else_error->message()));
      } else {
        x.Fail(s, i,
               MakeError(core::ExecutionError::USER, "MalformedBranchUserError",
                         "No branch satisfied"));
      }
      return;
    }
    n.taken = chosen;
    if (n.phase != core::NodeExecution::RUNNING) x.SetPhase(s, i, core::NodeExecution::RUNNING);
    const NodeState& c = s->nodes[chosen];
    if (c.phase == core::NodeExecution::SUCCEEDED || c.phase == core::NodeExecution::FAILED ||
        c.phase == core::NodeExecution::TIMED_OUT) {
      OwnedNodeDone(x, s, i, chosen);  // resumed after the case ended
      return;
    }
    x.StartOwned(s, chosen);
  }

  void OwnedNodeDone(Executor& x, Scope* s, int i, int owned) override {
    const NodeState& c = s->nodes[owned];
    if (owned != s->nodes[i].taken) return;
    if (c.phase == core::NodeExecution::SUCCEEDED) {
      x.Succeed(s, i, c.outputs);
    } else if (c.phase == core::NodeExecution::FAILED ||
               c.phase == core::NodeExecution::TIMED_OUT) {
      x.Fail(s, i, *c.error, c.phase == core::NodeExecution::TIMED_OUT);
    }
  }

  void Abort(Executor& x, Scope* s, int i, const std::string& reason) override {
    const int taken = s->nodes[i].taken;
    if (taken < 0) return;
    const NodePhase p = s->nodes[taken].phase;
    if (p == core::NodeExecution::QUEUED || p == core::NodeExecution::RUNNING) {
      x.AbortNode(s, taken, reason);
    }
  }
};

}  // namespace

std::unique_ptr<NodeHandler> MakeBranchHandler() { return std::make_unique<BranchHandler>(); }

}  // namespace flytecpp::engine::internal
