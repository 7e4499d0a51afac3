// Attempts on runtimes (flyte-executor.md §2.4, §2.7, §2.10).
//
// An attempt waits for two things before it starts: room in its execution's
// max_parallelism (else it is held by the execution) and a free slot of its
// runtime (else it waits in the runtime's queue, first come first served,
// as ninja's -j). Taking the slot makes the node RUNNING and records the
// attempt's start; the runtime is asked to start it only after that is
// committed, so an attempt the store does not know of never runs, and an
// attempt the store knows of gets a directory of its own, never reused.
#include <google/protobuf/util/time_util.h>

#include "executor.h"

namespace flytecpp::engine::internal {

namespace {

std::string DurationText(std::chrono::nanoseconds d) {
  return google::protobuf::util::TimeUtil::ToString(
      google::protobuf::util::TimeUtil::NanosecondsToDuration(d.count()));
}

}  // namespace

Executor::Pool* Executor::PoolOf(runtime::Runtime* r) {
  for (Pool& p : pools_) {
    if (p.runtime == r) return &p;
  }
  pools_.push_back({r, r->max_in_flight(), 0, {}});  // a runtime not among the options
  return &pools_.back();
}

void Executor::SetExecutionOf(const Scope* s, runtime::AttemptSpec* spec) const {
  const Scope* e = s;
  while (!e->is_execution && e->parent != nullptr) e = e->parent;
  const store::ExecutionRecord& top = s->exec->root->record;
  spec->project = e->record.project.empty() ? top.project : e->record.project;
  spec->domain = e->record.domain.empty() ? top.domain : e->record.domain;
  spec->workflow = e->record.workflow_name;
}

runtime::AttemptSpec Executor::SpecFor(Scope* s, int i, uint64_t token) {
  if (auto it = attempts_.find(token); it != attempts_.end() && it->second.element >= 0) {
    return Elements(s, i).ElementSpec(*this, s, i, it->second.element, token);
  }
  const PlanNode& p = s->plan->nodes[i];
  const NodeState& n = s->nodes[i];
  const std::string path = s->Path(i);
  runtime::AttemptSpec spec;
  spec.id = {s->execution_id, path, n.attempts, token};
  SetExecutionOf(s, &spec);
  spec.task = p.task;
  spec.inputs = n.inputs;
  spec.data_dir = s->data.NodeDataDir(path);
  spec.output_dir = s->data.OutputDir(path, n.attempts);
  spec.interruptible = p.interruptible;
  return spec;
}

runtime::AttemptCallbacks Executor::CallbacksFor() {
  std::shared_ptr<Mailbox> mb = mailbox_;
  runtime::AttemptCallbacks cb;
  cb.started = [mb](const runtime::AttemptId& id, std::string handle) {
    {
      std::lock_guard<std::mutex> lock(mb->mu);
      mb->handles.emplace_back(id.token, std::move(handle));
    }
    mb->cv.notify_one();
  };
  cb.done = [mb](const runtime::AttemptId& id, runtime::TaskOutcome outcome) {
    {
      std::lock_guard<std::mutex> lock(mb->mu);
      mb->completions.emplace_back(id.token, std::move(outcome));
    }
    mb->cv.notify_one();
  };
  return cb;
}

void Executor::QueueAttempt(Scope* s, int i) {
  NodeState& n = s->nodes[i];
  const uint64_t token = ++next_token_;
  n.token = token;
  attempts_[token] = {s, i, n.runtime, Attempt::Where::kHeld, false, -1, i};
  Hold(token);
}

void Executor::QueueElementAttempt(Scope* s, int i, int64_t element) {
  const uint64_t token = ++next_token_;
  attempts_[token] = {s,
                      i,
                      s->nodes[i].runtime,
                      Attempt::Where::kHeld,
                      false,
                      element,
                      s->plan->nodes[i].array.sub_node};
  Hold(token);
}

void Executor::Hold(uint64_t token) {
  Scope* s = attempts_.at(token).scope;
  Execution* e = s->exec;
  if (e->max_parallelism > 0 && e->in_flight >= e->max_parallelism) {
    e->held.push_back(token);
    return;
  }
  Admit(token);
}

void Executor::Admit(uint64_t token) {
  Attempt& a = attempts_.at(token);
  a.where = Attempt::Where::kQueued;
  ++a.scope->exec->in_flight;
  PoolOf(a.runtime)->queue.push_back(token);
}

void Executor::PumpPools() {
  for (Pool& pool : pools_) {
    while ((pool.limit <= 0 || pool.running < pool.limit) && !pool.queue.empty()) {
      const uint64_t token = pool.queue.front();
      pool.queue.pop_front();
      auto it = attempts_.find(token);
      if (it == attempts_.end() || it->second.where != Attempt::Where::kQueued) continue;
      TakeSlot(token);
    }
  }
}

void Executor::TakeSlot(uint64_t token) {
  Attempt& a = attempts_.at(token);
  a.where = Attempt::Where::kRunning;
  ++PoolOf(a.runtime)->running;
  Scope* s = a.scope;
  const int i = a.node;
  const auto timeout = s->plan->nodes[a.task_node].timeout;
  if (a.element >= 0) {
    const int64_t now = Now();
    Elements(s, i).ElementStarted(*this, s, i, a.element, now);
    if (timeout.count() > 0) {
      timers_.push({now + timeout.count(), Timer::Kind::kAttempt, token, i, 0});
    }
    if (a.runtime->may_start_unrecorded()) {
      Launch(token);
    } else {
      to_launch_.push_back(token);
    }
    return;
  }
  NodeState& n = s->nodes[i];
  n.attempt_started_ns = Now();
  n.handle.clear();
  if (n.phase != core::NodeExecution::RUNNING) {
    SetPhase(s, i, core::NodeExecution::RUNNING);
  } else {
    MarkDirty(s, i);
  }
  EmitTaskEvent(s, i, core::TaskExecution::RUNNING, nullptr);
  if (timeout.count() > 0) {
    timers_.push({n.attempt_started_ns + timeout.count(), Timer::Kind::kAttempt, token, i, 0});
  }
  if (a.runtime->may_start_unrecorded()) {
    Launch(token);  // overlaps the commit
  } else {
    to_launch_.push_back(token);
  }
}

void Executor::AbortInRuntime(uint64_t token) {
  auto it = attempts_.find(token);
  if (it == attempts_.end() || !it->second.launched) return;
  // Runtimes find attempts by token; the rest of the id is for their logs.
  const Attempt& a = it->second;
  a.runtime->Abort({a.scope->execution_id, a.scope->Path(a.node), 0, token});
}

void Executor::ReleaseAttempt(uint64_t token) {
  auto it = attempts_.find(token);
  if (it == attempts_.end()) return;
  const Attempt a = it->second;
  attempts_.erase(it);
  Execution* e = a.scope->exec;
  if (a.where == Attempt::Where::kRunning) --PoolOf(a.runtime)->running;
  if (a.where == Attempt::Where::kHeld) return;  // its stale entry in `held` is skipped
  --e->in_flight;
  while (!e->held.empty() && (e->max_parallelism <= 0 || e->in_flight < e->max_parallelism)) {
    const uint64_t next = e->held.front();
    e->held.pop_front();
    auto h = attempts_.find(next);
    if (h != attempts_.end() && h->second.where == Attempt::Where::kHeld) Admit(next);
  }
}

void Executor::StartLaunched() {
  std::vector<uint64_t> launch;
  launch.swap(to_launch_);
  for (uint64_t token : launch) Launch(token);
}

void Executor::Launch(uint64_t token) {
  auto it = attempts_.find(token);
  if (it == attempts_.end() || it->second.where != Attempt::Where::kRunning) return;
  Scope* s = it->second.scope;
  const int i = it->second.node;
  it->second.launched = true;
  const int64_t element = it->second.element;
  runtime::Runtime* runtime = it->second.runtime;
  runtime::AttemptSpec spec = SpecFor(s, i, token);
  // For an array element, node i is the array: elements index its inputs.pb.
  Status st = runtime->ReadsInputFiles(*spec.task) ? EnsureInputsFile(s, i) : Status::Ok();
  if (st.ok()) st = runtime->Start(std::move(spec), CallbacksFor());
  if (st.ok()) return;
  ReleaseAttempt(token);
  if (element >= 0) {
    Elements(s, i).ElementDone(
        *this, s, i, element,
        runtime::TaskError{core::ExecutionError::SYSTEM, "RuntimeStartFailed", st.message(), true});
    return;
  }
  s->nodes[i].token = 0;
  RetryOrFail(s, i, MakeError(core::ExecutionError::SYSTEM, "RuntimeStartFailed", st.message()),
              /*retryable=*/true);
}

void Executor::AttemptStarted(uint64_t token, std::string handle) {
  auto it = attempts_.find(token);
  if (it == attempts_.end()) return;
  if (it->second.element >= 0) {
    Elements(it->second.scope, it->second.node)
        .ElementHandle(*this, it->second.scope, it->second.node, it->second.element,
                       std::move(handle));
    return;
  }
  NodeState& n = it->second.scope->nodes[it->second.node];
  n.handle = std::move(handle);
  MarkDirty(it->second.scope, it->second.node);
}

void Executor::AttemptDone(uint64_t token, runtime::TaskOutcome outcome) {
  auto it = attempts_.find(token);
  if (it == attempts_.end() || it->second.where != Attempt::Where::kRunning) return;  // stopped
  Scope* s = it->second.scope;
  const int i = it->second.node;
  const int64_t element = it->second.element;
  ReleaseAttempt(token);
  if (element >= 0) {
    Elements(s, i).ElementDone(*this, s, i, element, std::move(outcome));
    return;
  }
  s->nodes[i].token = 0;
  Handler(s, i).AttemptDone(*this, s, i, std::move(outcome));
}

void Executor::AttemptTimedOut(uint64_t token) {
  auto it = attempts_.find(token);
  if (it == attempts_.end() || it->second.where != Attempt::Where::kRunning) return;
  Scope* s = it->second.scope;
  const int i = it->second.node;
  const int64_t element = it->second.element;
  const std::string message = "task execution timeout [" +
                              DurationText(s->plan->nodes[it->second.task_node].timeout) +
                              "] expired";
  AbortInRuntime(token);
  ReleaseAttempt(token);
  if (element >= 0) {
    Elements(s, i).ElementDone(
        *this, s, i, element,
        runtime::TaskError{core::ExecutionError::USER, "TimeoutExpired", message, true});
    return;
  }
  NodeState& n = s->nodes[i];
  n.token = 0;
  RetryOrFail(s, i, MakeError(core::ExecutionError::USER, "TimeoutExpired", message),
              /*retryable=*/true);
}

void Executor::StopAttempt(Scope* s, int i) {
  NodeState& n = s->nodes[i];
  if (n.token != 0) {
    auto it = attempts_.find(n.token);
    if (it != attempts_.end() && it->second.where == Attempt::Where::kRunning) {
      AbortInRuntime(n.token);
      EmitTaskEvent(s, i, core::TaskExecution::ABORTED, nullptr);
    }
    ReleaseAttempt(n.token);
    n.token = 0;
    return;
  }
  if (n.interrupted && n.attempt_started_ns > 0 && n.runtime != nullptr) {
    // Left running by the engine that stopped: make sure it is gone.
    auto spec = SpecFor(s, i, ++next_token_);
    auto back = n.runtime->Reattach(spec, n.handle, {});
    if (back.ok() && *back) n.runtime->Abort(spec.id);
    EmitTaskEvent(s, i, core::TaskExecution::ABORTED, nullptr);
  }
}

void Executor::ReattachAttempt(Scope* s, int i, runtime::Runtime* previous) {
  NodeState& n = s->nodes[i];
  if (previous != nullptr) {
    const uint64_t token = ++next_token_;
    attempts_[token] = {s, i, previous, Attempt::Where::kRunning, /*launched=*/true, -1, i};
    ++s->exec->in_flight;
    ++PoolOf(previous)->running;  // it holds a slot, even beyond the limit
    n.token = token;
    auto back = previous->Reattach(SpecFor(s, i, token), n.handle, CallbacksFor());
    if (back.ok() && *back) {
      n.runtime = previous;
      const auto timeout = s->plan->nodes[i].timeout;
      if (timeout.count() > 0) {
        timers_.push({n.attempt_started_ns + timeout.count(), Timer::Kind::kAttempt, token, i, 0});
      }
      return;
    }
    ReleaseAttempt(token);
    n.token = 0;
  }
  // Gone: it counts as a system failure, and the next attempt gets a new
  // number and directory.
  RetryOrFail(s, i,
              MakeError(core::ExecutionError::SYSTEM, "Interrupted",
                        "attempt " + std::to_string(n.attempts) +
                            " was running when the engine running it stopped"),
              /*retryable=*/true);
}

void Executor::StopElementAttempts(Scope* s, int i) {
  std::vector<uint64_t> tokens;
  for (const auto& [token, a] : attempts_) {
    if (a.scope == s && a.node == i && a.element >= 0) tokens.push_back(token);
  }
  for (uint64_t token : tokens) {
    AbortInRuntime(token);
    ReleaseAttempt(token);
  }
}

bool Executor::ReattachElement(Scope* s, int i, int64_t element, runtime::Runtime* previous,
                               const std::string& handle) {
  if (previous == nullptr) return false;
  const uint64_t token = ++next_token_;
  attempts_[token] = {
      s, i, previous, Attempt::Where::kRunning, true, element, s->plan->nodes[i].array.sub_node};
  ++s->exec->in_flight;
  ++PoolOf(previous)->running;  // it holds a slot, even beyond the limit
  auto back = previous->Reattach(SpecFor(s, i, token), handle, CallbacksFor());
  if (back.ok() && *back) return true;
  ReleaseAttempt(token);
  return false;
}

Retry DecideRetry(int attempts, int system_failures, int max_attempts, int max_system_retries,
                  const core::ExecutionError& error, bool retryable) {
  if (!retryable) return {Retry::kFail, error};
  if (error.kind() == core::ExecutionError::SYSTEM) {
    // System failures have their own budget and do not use user retries.
    if (system_failures < max_system_retries) return {Retry::kSystem, error};
    return {
        Retry::kFail,
        MakeError(core::ExecutionError::USER, "RetriesExhausted|" + error.code(),
                  "[" + std::to_string(system_failures) + "/" + std::to_string(max_system_retries) +
                      "] currentAttempt done. Last Error: SYSTEM::" + error.message())};
  }
  const int current = attempts + 1 - system_failures;
  if (current < max_attempts) return {Retry::kUser, error};
  return {Retry::kFail,
          MakeError(core::ExecutionError::USER, "RetriesExhausted|" + error.code(),
                    "[" + std::to_string(current) + "/" + std::to_string(max_attempts) +
                        "] currentAttempt done. Last Error: " + ErrorKindName(error.kind()) +
                        "::" + error.message())};
}

void Executor::RetryOrFail(Scope* s, int i, core::ExecutionError error, bool retryable) {
  NodeState& n = s->nodes[i];
  EmitTaskEvent(s, i, core::TaskExecution::FAILED, &error);
  n.attempt_started_ns = 0;
  n.handle.clear();
  MarkDirty(s, i);
  Retry r = DecideRetry(n.attempts, n.system_failures, s->plan->nodes[i].max_attempts,
                        options_.max_system_retries, error, retryable);
  if (r.what == Retry::kFail) {
    Fail(s, i, std::move(r.error));
    return;
  }
  if (r.what == Retry::kSystem) ++n.system_failures;
  ++n.attempts;
  QueueAttempt(s, i);
}

}  // namespace flytecpp::engine::internal
