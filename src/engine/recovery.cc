// Resume: rebuild a scope's node states from the store. Succeeded and
// skipped nodes keep their outputs (read back from the data directory);
// failed ones keep their errors; nodes that were queued or running when the
// process died start again with the same attempt count. Then every node
// whose upstream is complete is made ready.
#include "executor.h"

namespace flytecpp::engine::internal {

namespace {
bool Finished(NodePhase p) {
  return p == core::NodeExecution::SUCCEEDED || p == core::NodeExecution::SKIPPED ||
         p == core::NodeExecution::FAILED || p == core::NodeExecution::TIMED_OUT;
}
}  // namespace

void Executor::RestoreScope(Scope* s) {
  s->started_ns = s->started_ns == 0 ? Now() : s->started_ns;
  s->state = Scope::State::kRunning;
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    NodeState& n = s->nodes[i];
    auto it = restored_.find(s->Path(static_cast<int>(i)));
    if (it == restored_.end()) continue;
    const store::NodeRecord& r = it->second;
    n.attempts = r.attempts;
    n.system_failures = r.system_failures;
    n.error = r.error;
    n.started_ns = r.started_ns;
    if (r.phase == core::NodeExecution::SUCCEEDED) {
      auto outputs = std::make_shared<core::LiteralMap>();
      Status st = store::ReadProto(s->data->OutputsPath(s->Path(static_cast<int>(i)), n.attempts),
                                   outputs.get());
      if (!st.ok()) continue;  // outputs lost: run it again
      n.outputs = std::move(outputs);
      n.phase = r.phase;
    } else if (Finished(r.phase)) {
      n.phase = r.phase;
    }
    // QUEUED, RUNNING, ABORTED: not finished; it starts again below.
    if (n.phase != core::NodeExecution::UNDEFINED) ++counts_[n.phase];
  }
  // The start node always has the scope's inputs.
  NodeState& start = s->nodes[Plan::kStart];
  start.outputs = s->inputs;
  if (start.phase != core::NodeExecution::SUCCEEDED) {
    start.phase = core::NodeExecution::SUCCEEDED;
    ++counts_[start.phase];
  }
  // Upstream counters and skip flags from what finished.
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    const NodeState& n = s->nodes[i];
    if (!Finished(n.phase)) continue;
    for (int d : s->plan->nodes[i].downstream) {
      --s->nodes[d].pending;
      if (n.phase != core::NodeExecution::SUCCEEDED) s->nodes[d].upstream_failed = true;
    }
  }
  // Failures already recorded decide the scope's course as they did before.
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    const NodeState& n = s->nodes[i];
    if ((n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT) &&
        s->plan->nodes[i].branch_parent < 0 && static_cast<int>(i) != s->plan->failure_node) {
      if (!s->error || s->plan->on_failure != core::WorkflowMetadata::FAIL_IMMEDIATELY) {
        s->error = n.error;
        s->failed_node = s->Path(static_cast<int>(i));
      }
    }
  }
  if (s->error && s->plan->on_failure == core::WorkflowMetadata::FAIL_IMMEDIATELY) {
    FailScope(s, *s->error, s->failed_node);
    return;
  }
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    const NodeState& n = s->nodes[i];
    if (n.phase == core::NodeExecution::UNDEFINED && n.pending <= 0 &&
        s->plan->nodes[i].branch_parent < 0 && static_cast<int>(i) != s->plan->failure_node) {
      Ready(s, static_cast<int>(i));
    }
  }
}

}  // namespace flytecpp::engine::internal
