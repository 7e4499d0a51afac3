#include "executor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "data.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::engine {

namespace internal {

using Clock = std::chrono::system_clock;

std::string ErrorKindName(core::ExecutionError::ErrorKind kind) {
  switch (kind) {
    case core::ExecutionError::USER: return "USER";
    case core::ExecutionError::SYSTEM: return "SYSTEM";
    default: return "UNKNOWN";
  }
}

core::ExecutionError MakeError(core::ExecutionError::ErrorKind kind, std::string code,
                               std::string message) {
  core::ExecutionError e;
  e.set_kind(kind);
  e.set_code(std::move(code));
  e.set_message(std::move(message));
  return e;
}

Executor::Executor(EngineOptions options) : options_(std::move(options)) {}

Executor::~Executor() = default;

int64_t Executor::Now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<Scope> Executor::NewScope(const Plan* plan, std::string execution_id,
                                          std::string prefix, Scope* parent, int parent_node) {
  auto s = std::make_unique<Scope>();
  s->plan = plan;
  s->execution_id = std::move(execution_id);
  s->prefix = std::move(prefix);
  s->parent = parent;
  s->parent_node = parent_node;
  s->nodes.resize(plan->nodes.size());
  for (size_t i = 0; i < plan->nodes.size(); ++i)
    s->nodes[i].pending = plan->nodes[i].upstream_count;
  s->data = std::make_unique<store::DataDir>(options_.store->data_dir(), s->execution_id);
  return s;
}

// ---- Run / Resume ------------------------------------------------------------------------

Result<ExecutionResult> Executor::Run(RunRequest request) {
  if (options_.store == nullptr) return InvalidArgument("the engine needs a store");
  FLYTECPP_ASSIGN_OR_RETURN(plans_, PlanSet::Build(std::move(request.closure)));
  const Plan& plan = plans_->primary();

  // Defaults fill what the caller left out; then the inputs must fit.
  core::LiteralMap inputs = request.inputs;
  for (const auto& [name, p] : request.defaults.parameters()) {
    if (p.has_default_() && !inputs.literals().count(name)) {
      (*inputs.mutable_literals())[name] = p.default_();
    }
  }
  std::vector<compiler::CompileError> errors;
  Status valid =
      compiler::ValidateInputs(plan.tmpl->interface(), inputs, &request.defaults, &errors);
  if (!valid.ok()) {
    std::string msg = "inputs of workflow " + plan.workflow_name + ":";
    for (const auto& e : errors) msg += " " + e.message;
    return InvalidArgument(msg);
  }
  std::string id = request.execution_id.empty() ? NewExecutionId() : request.execution_id;
  if (options_.store->GetExecution(id).ok()) {
    return AlreadyExists("execution \"" + id + "\" exists; resume it or choose another id");
  }
  root_ = NewScope(&plan, id, "", nullptr, -1);
  root_->is_execution = true;
  root_->inputs = std::make_shared<core::LiteralMap>(std::move(inputs));
  root_->record.id = id;
  root_->record.workflow_name = plan.workflow_name;
  root_->record.closure = plans_->closure();
  root_->record.inputs = *root_->inputs;
  root_->record.created_ns = Now();
  StartScope(root_.get());
  Flush();
  FLYTECPP_RETURN_IF_ERROR(store_error_);
  FLYTECPP_RETURN_IF_ERROR(options_.store->SetOwner(id, ::getpid()));
  return Loop(root_.get());
}

Result<ExecutionResult> Executor::Resume(const std::string& execution_id) {
  if (options_.store == nullptr) return InvalidArgument("the engine needs a store");
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord record,
                            options_.store->GetExecution(execution_id));
  switch (record.phase) {
    case core::WorkflowExecution::SUCCEEDED:
    case core::WorkflowExecution::FAILED:
    case core::WorkflowExecution::ABORTED:
    case core::WorkflowExecution::TIMED_OUT:
      return StoredResult(*options_.store, execution_id);  // nothing left to do
    default: break;
  }
  FLYTECPP_ASSIGN_OR_RETURN(plans_, PlanSet::Build(record.closure));
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::NodeRecord> nodes,
                            options_.store->GetNodes(execution_id));
  for (auto& n : nodes) restored_[n.path] = std::move(n);
  root_ = NewScope(&plans_->primary(), execution_id, "", nullptr, -1);
  root_->is_execution = true;
  root_->inputs = std::make_shared<core::LiteralMap>(record.inputs);
  root_->record = std::move(record);
  root_->phase = root_->record.phase;
  root_->started_ns = root_->record.created_ns;
  FLYTECPP_RETURN_IF_ERROR(options_.store->SetOwner(execution_id, ::getpid()));
  RestoreScope(root_.get());
  return Loop(root_.get());
}

void Executor::RequestAbort(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    mailbox_->abort_reason = reason;
  }
  mailbox_->cv.notify_all();
}

// ---- The loop -----------------------------------------------------------------------------

Result<ExecutionResult> Executor::Loop(Scope* root) {
  constexpr int64_t kPollNs = 100'000'000;  // abort requests from other processes
  while (true) {
    while (!ready_.empty()) {
      auto [s, i] = ready_.front();
      ready_.pop_front();
      Launch(s, i);
    }
    Flush();
    FLYTECPP_RETURN_IF_ERROR(store_error_);
    ReportProgress(false);
    if (root->state == Scope::State::kDone) break;

    std::vector<Completion> got;
    std::optional<std::string> abort;
    {
      Mailbox& mb = *mailbox_;
      std::unique_lock<std::mutex> lock(mb.mu);
      int64_t now = Now();
      int64_t until = now + kPollNs;
      if (!timers_.empty()) until = std::min(until, timers_.top().due_ns);
      auto deadline = Clock::time_point(
          std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(until)));
      mb.cv.wait_until(lock, deadline,
                       [&] { return !mb.completions.empty() || mb.abort_reason.has_value(); });
      got.swap(mb.completions);
      abort.swap(mb.abort_reason);
    }
    for (auto& c : got) AttemptDone(c.token, std::move(c.outcome));
    const int64_t now = Now();
    while (!timers_.empty() && timers_.top().due_ns <= now) {
      Timer t = timers_.top();
      timers_.pop();
      if (t.kind == Timer::Kind::kAttempt) {
        AttemptTimedOut(t.token);
      } else {
        ActiveDeadline(t.scope, t.node, t.token);
      }
    }
    if (!abort && now - last_abort_poll_ns_ >= kPollNs) {
      last_abort_poll_ns_ = now;
      auto requested = options_.store->AbortRequested(root->execution_id);
      if (requested.ok() && *requested) abort = "aborted on request (flytecpp abort)";
    }
    if (abort && root->state != Scope::State::kDone) {
      for (size_t i = 0; i < root->nodes.size(); ++i) {
        NodePhase p = root->nodes[i].phase;
        if (p == core::NodeExecution::QUEUED || p == core::NodeExecution::RUNNING) {
          AbortNode(root, static_cast<int>(i), *abort);
        }
      }
      root->error = MakeError(core::ExecutionError::USER, "Aborted", *abort);
      FinishScope(root, core::WorkflowExecution::ABORTED);
    }
  }
  Flush();
  FLYTECPP_RETURN_IF_ERROR(store_error_);
  ReportProgress(true);
  ExecutionResult result;
  result.execution_id = root->execution_id;
  result.phase = root->phase;
  if (root->nodes[Plan::kEnd].outputs) result.outputs = *root->nodes[Plan::kEnd].outputs;
  if (root->phase != core::WorkflowExecution::SUCCEEDED) {
    result.error = root->error;
    result.failed_node = root->failed_node;
  }
  return result;
}

// ---- Scopes -----------------------------------------------------------------------------

void Executor::StartScope(Scope* s) {
  s->started_ns = Now();
  s->state = Scope::State::kRunning;
  if (s->is_execution) SetWorkflowPhase(s, core::WorkflowExecution::RUNNING);
  // The start node "outputs" the workflow inputs.
  NodeState& start = s->nodes[Plan::kStart];
  start.outputs = s->inputs;
  start.queued_ns = Now();
  Status st = store::WriteProto(s->data->OutputsPath(s->Path(Plan::kStart), 0), *s->inputs);
  if (!st.ok() && store_error_.ok()) store_error_ = st;
  SetNodePhase(s, Plan::kStart, core::NodeExecution::SUCCEEDED);
  NodeFinished(s, Plan::kStart);
}

void Executor::FailScope(Scope* s, const core::ExecutionError& error,
                         const std::string& failed_node) {
  if (s->state != Scope::State::kRunning) return;
  s->state = Scope::State::kFailing;
  s->error = error;
  s->failed_node = failed_node;
  if (s->is_execution) SetWorkflowPhase(s, core::WorkflowExecution::FAILING);
  for (size_t i = 0; i < s->nodes.size(); ++i) {
    NodePhase p = s->nodes[i].phase;
    if (p == core::NodeExecution::QUEUED || p == core::NodeExecution::RUNNING) {
      AbortNode(s, static_cast<int>(i), "Some node execution failed, auto-abort.");
    }
  }
  const int fn = s->plan->failure_node;
  if (fn >= 0 && s->nodes[fn].phase == core::NodeExecution::UNDEFINED) {
    s->state = Scope::State::kHandlingFailure;
    s->nodes[fn].pending = 0;
    s->nodes[fn].upstream_failed = false;
    Launch(s, fn);
    return;
  }
  FinishScope(s, core::WorkflowExecution::FAILED);
}

void Executor::FinishScope(Scope* s, WorkflowPhase phase) {
  if (s->state == Scope::State::kDone) return;
  s->state = Scope::State::kDone;
  s->phase = phase;
  if (s->is_execution) SetWorkflowPhase(s, phase);
  if (s->parent != nullptr) ChildFinished(s);
}

void Executor::SetWorkflowPhase(Scope* s, WorkflowPhase phase) {
  s->phase = phase;
  store::ExecutionRecord& r = s->record;
  r.phase = phase;
  r.updated_ns = Now();
  if (phase == core::WorkflowExecution::SUCCEEDED && s->nodes[Plan::kEnd].outputs) {
    r.outputs = *s->nodes[Plan::kEnd].outputs;
  }
  if ((phase == core::WorkflowExecution::FAILED || phase == core::WorkflowExecution::FAILING ||
       phase == core::WorkflowExecution::ABORTED) &&
      s->error) {
    r.error = *s->error;
  }
  // Closure and inputs are stored with the first write only (the store keeps them).
  batch_.executions.push_back(r);
  EmitWorkflowEvent(s);
}

// ---- Nodes ------------------------------------------------------------------------------

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
  const PlanNode& p = s->plan->nodes[i];
  if (n.phase != core::NodeExecution::UNDEFINED) return;  // started already (resume)
  const bool failure_node = i == s->plan->failure_node;
  if (s->state != Scope::State::kRunning && !failure_node) return;  // failing: start nothing
  if (n.upstream_failed) {
    Skip(s, i);
    return;
  }
  n.queued_ns = Now();
  ++s->active;
  auto inputs = InputsFor(s, i);
  if (!inputs.ok()) {
    SetNodePhase(s, i, core::NodeExecution::QUEUED);
    Fail(s, i,
         MakeError(core::ExecutionError::SYSTEM, "BindingResolutionFailure",
                   inputs.status().message()));
    return;
  }
  n.inputs = std::make_shared<const core::LiteralMap>(std::move(inputs).value());
  Status st = store::WriteProto(s->data->InputsPath(s->Path(i)), *n.inputs);
  if (!st.ok() && store_error_.ok()) store_error_ = st;
  SetNodePhase(s, i, core::NodeExecution::QUEUED);
  switch (p.kind) {
    case NodeKind::kEnd: Succeed(s, i, n.inputs); return;
    case NodeKind::kTask: LaunchTask(s, i); return;
    case NodeKind::kBranch: LaunchBranch(s, i); return;
    case NodeKind::kSubWorkflow: LaunchSubWorkflow(s, i); return;
    case NodeKind::kLaunchPlan: LaunchLaunchPlan(s, i); return;
    case NodeKind::kGate:
    case NodeKind::kArray:
    case NodeKind::kStart:
      Fail(s, i,
           MakeError(core::ExecutionError::SYSTEM, "UnsupportedNodeKind",
                     "node " + p.id + ": gate and array nodes are not run by this engine yet"));
      return;
  }
}

void Executor::WriteOutputs(Scope* s, int i, const core::LiteralMap& outputs) {
  Status st = store::WriteProto(s->data->OutputsPath(s->Path(i), s->nodes[i].attempts), outputs);
  if (!st.ok() && store_error_.ok()) store_error_ = st;
}

void Executor::Succeed(Scope* s, int i, std::shared_ptr<const core::LiteralMap> outputs) {
  NodeState& n = s->nodes[i];
  n.outputs = outputs ? std::move(outputs) : std::make_shared<const core::LiteralMap>();
  WriteOutputs(s, i, *n.outputs);  // before the SUCCEEDED row: a recorded success has its data
  SetNodePhase(s, i, core::NodeExecution::SUCCEEDED);
  --s->active;
  NodeFinished(s, i);
}

void Executor::Fail(Scope* s, int i, core::ExecutionError error, bool timed_out) {
  NodeState& n = s->nodes[i];
  n.error = std::move(error);
  SetNodePhase(s, i, timed_out ? core::NodeExecution::TIMED_OUT : core::NodeExecution::FAILED);
  --s->active;
  if (i != s->plan->failure_node) {
    // FAIL_AFTER_EXECUTABLE_NODES_COMPLETE keeps the last failure seen.
    if (!s->error || s->plan->on_failure != core::WorkflowMetadata::FAIL_IMMEDIATELY) {
      s->error = n.error;
      s->failed_node = s->Path(i);
    }
  }
  NodeFinished(s, i);
}

void Executor::Skip(Scope* s, int i) {
  SetNodePhase(s, i, core::NodeExecution::SKIPPED);
  NodeFinished(s, i);
}

void Executor::NodeFinished(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  const bool ok = n.phase == core::NodeExecution::SUCCEEDED;
  const bool failed =
      n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT;

  if (p.branch_parent >= 0) {  // a branch's case: the branch ends with it
    NodeState& b = s->nodes[p.branch_parent];
    if (b.taken != i || b.phase != core::NodeExecution::RUNNING) return;
    if (ok) {
      Succeed(s, p.branch_parent, n.outputs);
    } else if (failed) {
      Fail(s, p.branch_parent, *n.error, n.phase == core::NodeExecution::TIMED_OUT);
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
    if (--dn.pending == 0) Ready(s, d);
  }
  if (failed && s->plan->on_failure == core::WorkflowMetadata::FAIL_IMMEDIATELY) {
    FailScope(s, *n.error, s->Path(i));
  }
}

void Executor::AbortNode(Scope* s, int i, const std::string& reason) {
  NodeState& n = s->nodes[i];
  const PlanNode& p = s->plan->nodes[i];
  if (n.token != 0) {
    if (n.runtime != nullptr) n.runtime->Abort({s->execution_id, s->Path(i), n.attempts, n.token});
    attempts_.erase(n.token);
    EmitTaskEvent(s, i, core::TaskExecution::ABORTED, nullptr);
    n.token = 0;
  }
  if (n.child && n.child->state != Scope::State::kDone) {
    Scope* c = n.child.get();
    for (size_t j = 0; j < c->nodes.size(); ++j) {
      NodePhase cp = c->nodes[j].phase;
      if (cp == core::NodeExecution::QUEUED || cp == core::NodeExecution::RUNNING) {
        AbortNode(c, static_cast<int>(j), reason);
      }
    }
    c->state = Scope::State::kDone;
    c->phase = core::WorkflowExecution::ABORTED;
    if (c->is_execution) SetWorkflowPhase(c, core::WorkflowExecution::ABORTED);
  }
  if (p.kind == NodeKind::kBranch && n.taken >= 0) {
    NodePhase cp = s->nodes[n.taken].phase;
    if (cp == core::NodeExecution::QUEUED || cp == core::NodeExecution::RUNNING) {
      AbortNode(s, n.taken, reason);
    }
  }
  n.error = MakeError(core::ExecutionError::USER, "NodeAborted", reason);
  SetNodePhase(s, i, core::NodeExecution::ABORTED);
  --s->active;
}

void Executor::SetNodePhase(Scope* s, int i, NodePhase phase, bool emit_event) {
  NodeState& n = s->nodes[i];
  const std::string path = s->Path(i);
  if (n.phase != core::NodeExecution::UNDEFINED) --counts_[n.phase];
  if (n.phase == core::NodeExecution::RUNNING) running_.erase(path);
  n.phase = phase;
  ++counts_[phase];
  if (phase == core::NodeExecution::RUNNING) running_.insert(path);
  if (n.started_ns == 0) n.started_ns = Now();
  store::NodeRecord r;
  r.execution_id = s->execution_id;
  r.path = path;
  r.phase = phase;
  r.attempts = n.attempts;
  r.system_failures = n.system_failures;
  r.error = n.error;
  r.started_ns = n.started_ns;
  r.updated_ns = Now();
  batch_.nodes.push_back(std::move(r));
  if (emit_event) EmitNodeEvent(s, i);
}

void Executor::Flush() {
  if (batch_.empty()) return;
  // A node often changes twice in one batch (QUEUED then RUNNING): keep its
  // last row only. Events stay, one per transition.
  if (batch_.nodes.size() > 1) {
    std::unordered_map<std::string_view, size_t> last;
    for (size_t k = 0; k < batch_.nodes.size(); ++k) last[batch_.nodes[k].path] = k;
    if (last.size() < batch_.nodes.size()) {
      std::vector<bool> keep(batch_.nodes.size(), false);
      for (const auto& [path, k] : last) keep[k] = true;  // decided before anything moves
      std::vector<store::NodeRecord> kept;
      kept.reserve(last.size());
      for (size_t k = 0; k < batch_.nodes.size(); ++k) {
        if (keep[k]) kept.push_back(std::move(batch_.nodes[k]));
      }
      batch_.nodes = std::move(kept);
    }
  }
  if (store_error_.ok()) {
    Status st = options_.store->Commit(batch_);
    if (!st.ok()) store_error_ = st;  // sticky: an unknown outcome stops the run
  }
  batch_ = store::Batch();
}

void Executor::ReportProgress(bool force) {
  if (!options_.on_progress || root_ == nullptr) return;
  const int64_t now = Now();
  const int64_t interval =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.progress_interval).count();
  if (!force && now - last_progress_ns_ < interval) return;
  last_progress_ns_ = now;
  Progress p;
  p.execution_id = root_->execution_id;
  for (const auto& [phase, c] : counts_) {
    if (c > 0) p.nodes_by_phase[phase] = c;
  }
  for (const auto& r : running_) {
    if (p.running.size() == 5) break;
    p.running.push_back(r);
  }
  p.elapsed = std::chrono::nanoseconds(now - root_->started_ns);
  options_.on_progress(p);
}

}  // namespace internal

// ---- Public API ------------------------------------------------------------------------

struct Engine::Impl {
  EngineOptions options;
  std::mutex mu;
  internal::Executor* running = nullptr;  // guarded by mu
};

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Engine::~Engine() = default;

Result<ExecutionResult> Engine::Run(RunRequest request) {
  internal::Executor executor(impl_->options);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->running = &executor;
  }
  auto result = executor.Run(std::move(request));
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->running = nullptr;
  return result;
}

Result<ExecutionResult> Engine::Resume(const std::string& execution_id) {
  internal::Executor executor(impl_->options);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->running = &executor;
  }
  auto result = executor.Resume(execution_id);
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->running = nullptr;
  return result;
}

void Engine::RequestAbort(const std::string& reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->running != nullptr) impl_->running->RequestAbort(reason);
}

std::string NewExecutionId() {
  static thread_local std::mt19937_64 rng(
      std::random_device{}() ^ static_cast<uint64_t>(::getpid()) ^
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(1, "abcdefghijklmnopqrstuvwxyz"[rng() % 26]);
  while (id.size() < 20) id += kAlnum[rng() % 36];
  return id;
}

Result<ExecutionResult> StoredResult(store::Store& store, const std::string& execution_id) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord r, store.GetExecution(execution_id));
  ExecutionResult out;
  out.execution_id = r.id;
  out.phase = r.phase;
  if (r.outputs) out.outputs = *r.outputs;
  if (r.phase != core::WorkflowExecution::SUCCEEDED) out.error = r.error;
  FLYTECPP_ASSIGN_OR_RETURN(auto nodes, store.GetNodes(execution_id));
  for (const auto& n : nodes) {
    if ((n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT) &&
        n.path.find('/') == std::string::npos) {
      out.failed_node = n.path;
    }
  }
  return out;
}

}  // namespace flytecpp::engine
