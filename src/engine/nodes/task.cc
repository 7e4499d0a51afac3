// Task nodes: each attempt runs on a runtime; outputs are checked against the
// task interface; failures retry within the user and system budgets; the
// node timeout bounds each attempt and twice it bounds the whole node
// (flyte-executor.md §2.4, §2.7, §3.2).
#include <google/protobuf/util/time_util.h>

#include "../executor.h"
#include "flytecpp/idl/types.h"
#include "flyteidl/core/errors.pb.h"

namespace flytecpp::engine::internal {

void Executor::LaunchTask(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  n.runtime = nullptr;
  for (runtime::Runtime* r : options_.runtimes) {
    if (r->CanRun(*p.task)) {
      n.runtime = r;
      break;
    }
  }
  if (n.runtime == nullptr) {
    Fail(s, i,
         MakeError(
             core::ExecutionError::SYSTEM, "UnsupportedTaskType",
             "no runtime runs task " + p.task->id().name() + " (type " + p.task->type() + ")"));
    return;
  }
  if (p.timeout.count() > 0) {
    // Active deadline: twice the timeout from first queueing, across retries.
    timers_.push({n.queued_ns + 2 * p.timeout.count(), Timer::Kind::kActive, 0, s, i});
  }
  StartAttempt(s, i);
}

void Executor::StartAttempt(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  const uint64_t token = ++next_token_;
  n.token = token;
  attempts_[token] = {s, i};
  runtime::AttemptSpec spec;
  spec.id = {s->execution_id, s->Path(i), n.attempts, token};
  spec.task = p.task;
  spec.inputs = n.inputs;
  spec.data_dir = s->data->NodeDataDir(s->Path(i));
  spec.output_dir = s->data->OutputDir(s->Path(i), n.attempts);
  spec.interruptible = p.interruptible;
  if (n.phase != core::NodeExecution::RUNNING) SetNodePhase(s, i, core::NodeExecution::RUNNING);
  EmitTaskEvent(s, i, core::TaskExecution::RUNNING, nullptr);
  if (p.timeout.count() > 0) {
    timers_.push({Now() + p.timeout.count(), Timer::Kind::kAttempt, token, s, i});
  }
  std::shared_ptr<Mailbox> mb = mailbox_;
  Status st = n.runtime->Start(std::move(spec),
                               [mb](const runtime::AttemptId& id, runtime::TaskOutcome outcome) {
                                 {
                                   std::lock_guard<std::mutex> lock(mb->mu);
                                   mb->completions.push_back({id.token, std::move(outcome)});
                                 }
                                 mb->cv.notify_one();
                               });
  if (!st.ok()) {
    attempts_.erase(token);
    n.token = 0;
    RetryOrFail(s, i, MakeError(core::ExecutionError::SYSTEM, "RuntimeStartFailed", st.message()),
                /*retryable=*/true);
  }
}

void Executor::AttemptDone(uint64_t token, runtime::TaskOutcome outcome) {
  auto it = attempts_.find(token);
  if (it == attempts_.end()) return;  // aborted or timed out: ignored
  auto [s, i] = it->second;
  attempts_.erase(it);
  NodeState& n = s->nodes[i];
  if (n.token != token) return;
  n.token = 0;
  const PlanNode& p = s->plan->nodes[i];

  if (auto* outputs = std::get_if<core::LiteralMap>(&outcome)) {
    // Every declared output must be there (Flyte: OutputsNotFound, retryable).
    for (const auto& [name, var] : p.task->interface().outputs().variables()) {
      if (!outputs->literals().count(name)) {
        RetryOrFail(s, i,
                    MakeError(core::ExecutionError::USER, "OutputsNotFound",
                              "task " + p.task->id().name() + " did not produce output " + name),
                    /*retryable=*/true);
        return;
      }
    }
    auto shared = std::make_shared<const core::LiteralMap>(std::move(*outputs));
    n.outputs = shared;  // for the task event's output uri
    EmitTaskEvent(s, i, core::TaskExecution::SUCCEEDED, nullptr);
    Succeed(s, i, std::move(shared));
    return;
  }
  const auto& te = std::get<runtime::TaskError>(outcome);
  // error.pb as a Flyte task writes it.
  core::ErrorDocument doc;
  doc.mutable_error()->set_code(te.code);
  doc.mutable_error()->set_message(te.message);
  doc.mutable_error()->set_kind(te.retryable ? core::ContainerError::RECOVERABLE
                                             : core::ContainerError::NON_RECOVERABLE);
  doc.mutable_error()->set_origin(te.kind);
  Status st = store::WriteProto(s->data->ErrorPath(s->Path(i), n.attempts), doc);
  if (!st.ok() && store_error_.ok()) store_error_ = st;
  RetryOrFail(s, i, MakeError(te.kind, te.code, te.message), te.retryable);
}

void Executor::RetryOrFail(Scope* s, int i, core::ExecutionError error, bool retryable) {
  const PlanNode& p = s->plan->nodes[i];
  NodeState& n = s->nodes[i];
  EmitTaskEvent(s, i, core::TaskExecution::FAILED, &error);
  if (!retryable) {
    Fail(s, i, std::move(error));
    return;
  }
  if (error.kind() == core::ExecutionError::SYSTEM) {
    // System failures have their own budget and do not use user retries.
    if (n.system_failures < options_.max_system_retries) {
      ++n.system_failures;
      ++n.attempts;
      StartAttempt(s, i);
      return;
    }
    Fail(s, i,
         MakeError(core::ExecutionError::USER, "RetriesExhausted|" + error.code(),
                   "[" + std::to_string(n.system_failures) + "/" +
                       std::to_string(options_.max_system_retries) +
                       "] currentAttempt done. Last Error: SYSTEM::" + error.message()));
    return;
  }
  const int current = n.attempts + 1 - n.system_failures;
  if (current < p.max_attempts) {
    ++n.attempts;
    StartAttempt(s, i);
    return;
  }
  Fail(s, i,
       MakeError(core::ExecutionError::USER, "RetriesExhausted|" + error.code(),
                 "[" + std::to_string(current) + "/" + std::to_string(p.max_attempts) +
                     "] currentAttempt done. Last Error: " + ErrorKindName(error.kind()) +
                     "::" + error.message()));
}

void Executor::AttemptTimedOut(uint64_t token) {
  auto it = attempts_.find(token);
  if (it == attempts_.end()) return;
  auto [s, i] = it->second;
  attempts_.erase(it);
  NodeState& n = s->nodes[i];
  if (n.token != token) return;
  n.runtime->Abort({s->execution_id, s->Path(i), n.attempts, token});
  n.token = 0;
  const auto timeout = s->plan->nodes[i].timeout;
  RetryOrFail(
      s, i,
      MakeError(core::ExecutionError::USER, "TimeoutExpired",
                "task execution timeout [" +
                    google::protobuf::util::TimeUtil::ToString(
                        google::protobuf::util::TimeUtil::NanosecondsToDuration(timeout.count())) +
                    "] expired"),
      /*retryable=*/true);
}

void Executor::ActiveDeadline(Scope* s, int i, uint64_t) {
  NodeState& n = s->nodes[i];
  if (n.phase != core::NodeExecution::RUNNING && n.phase != core::NodeExecution::QUEUED) return;
  if (n.token != 0) {
    n.runtime->Abort({s->execution_id, s->Path(i), n.attempts, n.token});
    attempts_.erase(n.token);
    EmitTaskEvent(s, i, core::TaskExecution::ABORTED, nullptr);
    n.token = 0;
  }
  const auto timeout = s->plan->nodes[i].timeout;
  Fail(s, i,
       MakeError(
           core::ExecutionError::USER, "ActiveTimeout",
           "task active timeout [" +
               google::protobuf::util::TimeUtil::ToString(
                   google::protobuf::util::TimeUtil::NanosecondsToDuration(2 * timeout.count())) +
               "] expired"),
       /*timed_out=*/true);
}

}  // namespace flytecpp::engine::internal
