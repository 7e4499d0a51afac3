// Resume: rebuild a scope's node states from the store. Succeeded and
// skipped nodes keep their outputs (read back from the data directory);
// failed ones keep their errors; nodes that were QUEUED or RUNNING when
// their engine stopped are interrupted: their handlers resume them (a task
// reattaches its attempt or counts it interrupted and starts the next, a
// sub-workflow restores its own scope). Then every node whose upstream is
// complete is made ready.
#include "executor.h"

namespace flytecpp::engine::internal {

namespace {

bool Finished(NodePhase p) {
  return p == core::NodeExecution::SUCCEEDED || p == core::NodeExecution::RECOVERED ||
         p == core::NodeExecution::SKIPPED || p == core::NodeExecution::FAILED ||
         p == core::NodeExecution::TIMED_OUT;
}

}  // namespace

const std::map<std::string, store::NodeRecord>& Executor::RestoredRows(
    Execution* exec, const std::string& execution_id) {
  auto [it, inserted] = exec->restored.try_emplace(execution_id);
  if (inserted) {
    restored_rows_ = true;
    auto rows = store().GetNodes(execution_id);
    // Unreadable rows: the nodes run again, which is safe, if slower.
    if (rows.ok()) {
      for (auto& r : *rows) it->second.emplace(r.path, std::move(r));
    }
  }
  return it->second;
}

void Executor::RestoreScope(Scope* s) {
  if (s->started_ns == 0) s->started_ns = Now();
  s->state = Scope::State::kRunning;
  const auto& rows = RestoredRows(s->exec, s->execution_id);
  for (size_t k = 0; k < s->nodes.size(); ++k) {
    const int i = static_cast<int>(k);
    NodeState& n = s->nodes[i];
    auto it = rows.find(s->Path(i));
    if (it == rows.end()) continue;
    const store::NodeRecord& r = it->second;
    n.attempts = r.attempts;
    n.system_failures = r.system_failures;
    n.error = r.error;
    n.queued_ns = r.queued_ns;
    n.attempt_started_ns = r.attempt_started_ns;
    n.handle = r.handle;
    for (runtime::Runtime* rt : options_.runtimes) {
      if (!r.runtime.empty() && rt->name() == r.runtime) n.runtime = rt;
    }
    switch (r.phase) {
      case core::NodeExecution::SUCCEEDED:
      case core::NodeExecution::RECOVERED: {
        auto outputs = std::make_shared<core::LiteralMap>();
        if (store::ReadData(store(), s->data, store::DataDir::OutputsKey(s->Path(i), n.attempts),
                            outputs.get())
                .ok()) {
          n.outputs = std::move(outputs);
          n.phase = r.phase;
        } else {
          ++n.attempts;  // its data is lost: it runs again, in a directory of its own
        }
        break;
      }
      case core::NodeExecution::QUEUED:
      case core::NodeExecution::RUNNING:
        n.phase = r.phase;
        n.interrupted = true;
        break;
      default:
        if (Finished(r.phase)) {
          n.phase = r.phase;
        } else if (r.attempt_started_ns > 0) {
          ++n.attempts;  // aborted mid-attempt: the next one gets its own directory
        }
        break;
    }
  }
  // The start node always has the scope's inputs.
  NodeState& start = s->nodes[Plan::kStart];
  start.outputs = s->inputs;
  start.phase = core::NodeExecution::SUCCEEDED;
  // Upstream counters and skip flags from what finished.
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    const NodeState& n = s->nodes[i];
    if (!Finished(n.phase)) continue;
    for (int d : s->plan->nodes[i].downstream) {
      --s->nodes[d].pending;
      if (n.phase != core::NodeExecution::SUCCEEDED && n.phase != core::NodeExecution::RECOVERED) {
        s->nodes[d].upstream_failed = true;
      }
    }
  }
  // Failures already recorded decide the scope's course as they did before.
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    const NodeState& n = s->nodes[i];
    if ((n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT) &&
        s->plan->nodes[i].owner < 0 && static_cast<int>(i) != s->plan->failure_node) {
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
  // Interrupted work resumes (owned nodes through their owners; the failure
  // node when the scope fails), then what is ready starts.
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    if (s->state != Scope::State::kRunning) break;
    if (s->plan->nodes[i].owner >= 0 || static_cast<int>(i) == s->plan->failure_node) continue;
    if (s->nodes[i].interrupted) ResumeNode(s, static_cast<int>(i));
  }
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    const NodeState& n = s->nodes[i];
    if (n.phase == core::NodeExecution::UNDEFINED && !n.interrupted && n.pending <= 0 &&
        s->plan->nodes[i].owner < 0 && static_cast<int>(i) != s->plan->failure_node) {
      ready_.push_back({s, static_cast<int>(i)});
    }
  }
}

}  // namespace flytecpp::engine::internal
