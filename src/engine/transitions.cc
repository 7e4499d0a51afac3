// Generic node and workflow transitions (flyte-executor.md §1, §2): a node
// becomes ready when its upstream is done, is QUEUED with its inputs
// resolved, and is handed to its kind's handler, which ends it with Succeed
// or Fail; a workflow ends when its end node does, or fails by its failure
// policy, running its failure node first.
#include "data.h"
#include "executor.h"

namespace flytecpp::engine::internal {

namespace {

bool Active(NodePhase p) {
  return p == core::NodeExecution::QUEUED || p == core::NodeExecution::RUNNING;
}

}  // namespace

std::unique_ptr<Scope> Executor::NewScope(Execution* exec, const Plan* plan,
                                          std::string execution_id, std::string prefix,
                                          Scope* parent, int parent_node) {
  auto s =
      std::make_unique<Scope>(plan, std::move(execution_id), std::move(prefix), store().data_dir());
  s->exec = exec;
  s->serial = ++next_serial_;
  scopes_[s->serial] = s.get();
  s->parent = parent;
  s->parent_node = parent_node;
  s->nodes.resize(plan->nodes.size());
  for (size_t i = 0; i < plan->nodes.size(); ++i) {
    s->nodes[i].pending = plan->nodes[i].upstream_count;
    s->nodes[i].consumers = plan->nodes[i].consumers;
  }
  return s;
}

void Executor::MarkDirty(Scope* s, int i) {
  NodeState& n = s->nodes[i];
  if (n.dirty) return;
  n.dirty = true;
  pending_.dirty_nodes.push_back({s, i});
}

void Executor::SetPhase(Scope* s, int i, NodePhase phase, bool emit_event) {
  NodeState& n = s->nodes[i];
  n.phase = phase;
  if (n.queued_ns == 0) n.queued_ns = Now();
  MarkDirty(s, i);
  if (emit_event) EmitNodeEvent(s, i);
}

// ---- Workflows -------------------------------------------------------------------------

void Executor::StartScope(Scope* s) {
  s->started_ns = Now();
  s->state = Scope::State::kRunning;
  if (s->is_execution) SetWorkflowPhase(s, core::WorkflowExecution::RUNNING);
  // The start node "outputs" the workflow inputs.
  NodeState& start = s->nodes[Plan::kStart];
  start.outputs = s->inputs;
  auto written = PutData(s, store::DataDir::OutputsKey(s->Path(Plan::kStart), 0), *s->inputs);
  if (!written.ok()) {
    start.error =
        MakeError(core::ExecutionError::SYSTEM, "DataWriteFailed", written.status().message());
    SetPhase(s, Plan::kStart, core::NodeExecution::FAILED);
    FailScope(s, *start.error, s->Path(Plan::kStart));
    return;
  }
  SetPhase(s, Plan::kStart, core::NodeExecution::SUCCEEDED);
  NodeFinished(s, Plan::kStart);
}

void Executor::FailScope(Scope* s, const core::ExecutionError& error,
                         const std::string& failed_node) {
  if (s->state != Scope::State::kRunning) return;
  s->state = Scope::State::kFailing;
  s->error = error;
  s->failed_node = failed_node;
  if (s->is_execution) SetWorkflowPhase(s, core::WorkflowExecution::FAILING);
  // The failure node is what handles this failure: it is not aborted (a
  // resumed scope may find it interrupted, to be resumed below).
  AbortScope(s, "Some node execution failed, auto-abort.", /*keep_failure_node=*/true);
  const int fn = s->plan->failure_node;
  if (fn >= 0 &&
      (s->nodes[fn].phase == core::NodeExecution::UNDEFINED || s->nodes[fn].interrupted)) {
    s->state = Scope::State::kHandlingFailure;
    s->nodes[fn].pending = 0;
    s->nodes[fn].upstream_failed = false;
    StartOwned(s, fn);
    return;
  }
  FinishScope(s, core::WorkflowExecution::FAILED);
}

void Executor::FinishScope(Scope* s, WorkflowPhase phase) {
  if (s->state == Scope::State::kDone) return;
  s->state = Scope::State::kDone;
  s->phase = phase;
  if (s->is_execution) SetWorkflowPhase(s, phase);
  if (s->parent == nullptr) {
    EndExecution(s->exec);
    return;
  }
  // The node running this scope hears of it, unless it is the one ending it.
  Scope* p = s->parent;
  if (s->array_element >= 0) {
    if (p->nodes[s->parent_node].phase == core::NodeExecution::RUNNING &&
        !p->nodes[s->parent_node].aborting) {
      Elements(p, s->parent_node).ElementScopeDone(*this, p, s->parent_node, s);
    }
    return;
  }
  if (p->nodes[s->parent_node].phase == core::NodeExecution::RUNNING &&
      !p->nodes[s->parent_node].aborting) {
    Handler(p, s->parent_node).ChildScopeDone(*this, p, s->parent_node);
  }
}

void Executor::AbortScope(Scope* s, const std::string& reason, bool keep_failure_node) {
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    // Owned nodes are stopped by their owner.
    if (s->plan->nodes[i].owner >= 0) continue;
    if (keep_failure_node && static_cast<int>(i) == s->plan->failure_node) continue;
    if (Active(s->nodes[i].phase)) AbortNode(s, static_cast<int>(i), reason);
  }
}

void Executor::SetWorkflowPhase(Scope* s, WorkflowPhase phase) {
  s->phase = phase;
  store::ExecutionRecord& r = s->record;
  r.phase = phase;
  r.updated_ns = Now();
  if ((phase == core::WorkflowExecution::FAILED || phase == core::WorkflowExecution::FAILING ||
       phase == core::WorkflowExecution::ABORTED) &&
      s->error) {
    r.error = *s->error;
  }
  if (!s->record_dirty) {
    s->record_dirty = true;
    pending_.dirty_records.push_back(s);
  }
  EmitWorkflowEvent(s);
}

// ---- Nodes ---------------------------------------------------------------------------

Result<core::LiteralMap> Executor::InputsFor(Scope* s, int i) {
  auto outputs = [s](int j) -> const core::LiteralMap* { return s->nodes[j].outputs.get(); };
  FLYTECPP_ASSIGN_OR_RETURN(core::LiteralMap in,
                            ResolveInputs(*s->plan, s->plan->nodes[i], outputs));
  if (i == s->plan->failure_node) {
    // The failure node learns what failed through an input named `err`.
    const PlanNode& p = s->plan->nodes[i];
    bool declared = p.task && p.task->interface().inputs().variables().count("err");
    if (declared || in.literals().count("err")) {
      core::Literal err;
      auto* u = err.mutable_scalar()->mutable_union_();
      auto* e = u->mutable_value()->mutable_scalar()->mutable_error();
      e->set_message(s->error ? s->error->message() : "");
      e->set_failed_node_id(s->failed_node);
      u->mutable_type()->set_simple(core::ERROR);
      u->mutable_type()->mutable_structure()->set_tag("FlyteError");
      (*in.mutable_literals())["err"] = std::move(err);
    }
  }
  return in;
}

void Executor::Launch(Scope* s, int i) {
  NodeState& n = s->nodes[i];
  if (n.phase != core::NodeExecution::UNDEFINED) return;  // started already
  const bool failure_node = i == s->plan->failure_node;
  if (s->state != Scope::State::kRunning &&
      !(failure_node && s->state == Scope::State::kHandlingFailure)) {
    return;  // failing: nothing new starts
  }
  if (n.upstream_failed) {
    Skip(s, i);
    return;
  }
  n.queued_ns = Now();
  auto inputs = InputsFor(s, i);
  if (!inputs.ok()) {
    SetPhase(s, i, core::NodeExecution::QUEUED);
    Fail(s, i,
         MakeError(core::ExecutionError::SYSTEM, "BindingResolutionFailure",
                   inputs.status().message()));
    return;
  }
  n.inputs = std::make_shared<const core::LiteralMap>(std::move(inputs).value());
  Consumed(s, i);
  auto written = PutData(s, store::DataDir::InputsKey(s->Path(i)), *n.inputs);
  SetPhase(s, i, core::NodeExecution::QUEUED);
  if (!written.ok()) {
    Fail(s, i,
         MakeError(core::ExecutionError::SYSTEM, "DataWriteFailed", written.status().message()));
    return;
  }
  n.inputs_file = *written;
  if (auto outputs = RecoveredOutputs(s, i)) {
    Succeed(s, i, std::move(outputs), core::NodeExecution::RECOVERED);
    return;
  }
  Handler(s, i).Start(*this, s, i);
}

std::shared_ptr<const core::LiteralMap> Executor::RecoveredOutputs(Scope* s, int i) {
  Execution* exec = s->exec;
  // Nodes of this execution's own scopes, not owned by another node (a
  // branch's case, a failure node): those are recovered with their owner.
  if (exec->recover_from.empty() || s->execution_id != exec->id || s->plan->nodes[i].owner >= 0 ||
      i == s->plan->failure_node) {
    return nullptr;
  }
  if (!exec->recover_rows) {
    exec->recover_rows.emplace();
    auto rows = store().GetNodes(exec->recover_from);
    // Unreadable: nothing is recovered, everything runs (slower, not wrong).
    if (rows.ok()) {
      for (auto& r : *rows) exec->recover_rows->emplace(r.path, std::move(r));
    }
  }
  auto row = exec->recover_rows->find(s->Path(i));
  if (row == exec->recover_rows->end() || (row->second.phase != core::NodeExecution::SUCCEEDED &&
                                           row->second.phase != core::NodeExecution::RECOVERED)) {
    return nullptr;
  }
  const store::DataDir original(store().data_dir(), exec->recover_from);
  auto outputs = std::make_shared<core::LiteralMap>();
  if (!store::ReadData(store(), original,
                       store::DataDir::OutputsKey(row->first, row->second.attempts), outputs.get())
           .ok()) {
    return nullptr;  // its data is gone: it runs again
  }
  return outputs;
}

namespace {

// One binding of a node that was just resolved: sources no binding will read
// any more let their outputs go. A plain recursion: this runs on every launch.
void ReleaseRead(Scope* s, const BindingPlan& b) {
  if (b.kind == BindingPlan::Kind::kPromise && b.source >= 0) {
    NodeState& source = s->nodes[b.source];
    if (--source.consumers == 0 && !s->plan->nodes[b.source].keep_outputs) {
      // Its data is in the store for whoever looks later; memory holds it no more.
      source.outputs.reset();
      if (b.source == Plan::kStart) s->inputs.reset();
    }
  }
  for (const auto& item : b.items) ReleaseRead(s, item);
}

}  // namespace

void Executor::Consumed(Scope* s, int i) {
  for (const auto& [var, b] : s->plan->nodes[i].inputs) ReleaseRead(s, b);
}

void Executor::ResumeNode(Scope* s, int i) {
  NodeState& n = s->nodes[i];
  if (!n.interrupted) return;
  n.interrupted = false;
  auto inputs = InputsFor(s, i);
  if (!inputs.ok()) {
    Fail(s, i,
         MakeError(core::ExecutionError::SYSTEM, "BindingResolutionFailure",
                   inputs.status().message()));
    return;
  }
  n.inputs = std::make_shared<const core::LiteralMap>(std::move(inputs).value());
  Consumed(s, i);
  Handler(s, i).Resume(*this, s, i);
}

void Executor::StartOwned(Scope* s, int owned) {
  NodeState& n = s->nodes[owned];
  if (n.interrupted) {
    ResumeNode(s, owned);
    return;
  }
  n.pending = 0;
  Launch(s, owned);
}

void Executor::Succeed(Scope* s, int i, std::shared_ptr<const core::LiteralMap> outputs,
                       NodePhase phase) {
  NodeState& n = s->nodes[i];
  n.outputs = outputs ? std::move(outputs) : std::make_shared<const core::LiteralMap>();
  // Before the SUCCEEDED row: a recorded success has its data.
  auto written = PutData(s, store::DataDir::OutputsKey(s->Path(i), n.attempts), *n.outputs);
  if (!written.ok()) {
    n.outputs.reset();
    Fail(s, i,
         MakeError(core::ExecutionError::SYSTEM, "DataWriteFailed", written.status().message()));
    return;
  }
  SetPhase(s, i, phase);
  NodeFinished(s, i);
}

void Executor::Fail(Scope* s, int i, core::ExecutionError error, bool timed_out) {
  NodeState& n = s->nodes[i];
  n.error = std::move(error);
  SetPhase(s, i, timed_out ? core::NodeExecution::TIMED_OUT : core::NodeExecution::FAILED);
  if (i != s->plan->failure_node && s->plan->nodes[i].owner < 0) {
    // FAIL_AFTER_EXECUTABLE_NODES_COMPLETE keeps the last failure seen.
    if (!s->error || s->plan->on_failure != core::WorkflowMetadata::FAIL_IMMEDIATELY) {
      s->error = n.error;
      s->failed_node = s->Path(i);
    }
  }
  NodeFinished(s, i);
}

void Executor::Skip(Scope* s, int i) {
  SetPhase(s, i, core::NodeExecution::SKIPPED);
  NodeFinished(s, i);
}

void Executor::NodeFinished(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  const bool ok =
      n.phase == core::NodeExecution::SUCCEEDED || n.phase == core::NodeExecution::RECOVERED;
  const bool failed =
      n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT;
  if (p.owner >= 0) {
    if (s->nodes[p.owner].phase == core::NodeExecution::RUNNING && !s->nodes[p.owner].aborting) {
      Handler(s, p.owner).OwnedNodeDone(*this, s, p.owner, i);
    }
    return;
  }
  if (i == s->plan->failure_node) {
    // A failing failure node masks the original error; otherwise it stands.
    if (failed) s->error = n.error;
    FinishScope(s, core::WorkflowExecution::FAILED);
    return;
  }
  if (i == Plan::kEnd) {
    if (ok) {
      FinishScope(s, core::WorkflowExecution::SUCCEEDED);
    } else if (s->state == Scope::State::kRunning) {
      FailScope(s,
                s->error
                    ? *s->error
                    : MakeError(core::ExecutionError::UNKNOWN, "UnknownError", "Unknown error"),
                s->failed_node);
    }
    return;
  }
  for (int d : p.downstream) {
    NodeState& dn = s->nodes[d];
    if (!ok) dn.upstream_failed = true;
    if (--dn.pending == 0) ready_.push_back({s, d});
  }
  if (failed && s->plan->on_failure == core::WorkflowMetadata::FAIL_IMMEDIATELY) {
    FailScope(s, *n.error, s->Path(i));
  }
}

void Executor::AbortNode(Scope* s, int i, const std::string& reason) {
  NodeState& n = s->nodes[i];
  n.aborting = true;  // what the handler stops does not report back to it
  StopAttempt(s, i);
  Handler(s, i).Abort(*this, s, i, reason);
  n.aborting = false;
  n.interrupted = false;
  n.error = MakeError(core::ExecutionError::USER, "NodeAborted", reason);
  SetPhase(s, i, core::NodeExecution::ABORTED);
}

void Executor::AbortChild(Scope* child, const std::string& reason) {
  if (child->state == Scope::State::kDone) return;
  AbortScope(child, reason);
  child->error = MakeError(core::ExecutionError::USER, "Aborted", reason);
  FinishScope(child, core::WorkflowExecution::ABORTED);
}

}  // namespace flytecpp::engine::internal
