// Task nodes: each attempt runs on a runtime (attempts.cc); outputs are
// checked against the task interface; failures retry within the user and
// system budgets; the node timeout bounds each attempt and twice it, from
// first queueing, bounds the whole node (flyte-executor.md §2.4, §2.7, §3.2).
#include <google/protobuf/util/time_util.h>

#include "../executor.h"
#include "flyteidl/core/errors.pb.h"

namespace flytecpp::engine::internal {

namespace {

constexpr int kActiveDeadline = 1;  // timer tag

class TaskHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    if (!SelectRuntime(x, s, i)) return;
    ArmActiveDeadline(x, s, i);
    x.QueueAttempt(s, i);
  }

  void Resume(Executor& x, Scope* s, int i) override {
    NodeState& n = s->nodes[i];
    runtime::Runtime* previous = n.runtime;  // the one that ran it, if still here
    if (!SelectRuntime(x, s, i)) return;
    ArmActiveDeadline(x, s, i);  // from the stored queueing time: no clock restarts
    if (n.attempt_started_ns > 0) {
      x.ReattachAttempt(s, i, previous);
    } else {
      x.QueueAttempt(s, i);
    }
  }

  void AttemptDone(Executor& x, Scope* s, int i, runtime::TaskOutcome outcome) override {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    if (auto* outputs = std::get_if<core::LiteralMap>(&outcome)) {
      // Every declared output must be there (Flyte: OutputsNotFound, retryable).
      for (const auto& [name, var] : p.task->interface().outputs().variables()) {
        if (!outputs->literals().count(name)) {
          x.RetryOrFail(
              s, i,
              MakeError(core::ExecutionError::USER, "OutputsNotFound",
                        "task " + p.task->id().name() + " did not produce output " + name),
              /*retryable=*/true);
          return;
        }
      }
      auto shared = std::make_shared<const core::LiteralMap>(std::move(*outputs));
      n.outputs = shared;  // for the task event's output uri
      x.EmitTaskEvent(s, i, core::TaskExecution::SUCCEEDED, nullptr);
      x.Succeed(s, i, std::move(shared));
      return;
    }
    const auto& te = std::get<runtime::TaskError>(outcome);
    // error.pb as a Flyte task writes it, for whoever reads the attempt's directory.
    core::ErrorDocument doc;
    doc.mutable_error()->set_code(te.code);
    doc.mutable_error()->set_message(te.message);
    doc.mutable_error()->set_kind(te.retryable ? core::ContainerError::RECOVERABLE
                                               : core::ContainerError::NON_RECOVERABLE);
    doc.mutable_error()->set_origin(te.kind);
    (void)store::WriteProto(s->data.ErrorPath(s->Path(i), n.attempts), doc);
    x.RetryOrFail(s, i, MakeError(te.kind, te.code, te.message), te.retryable);
  }

  void TimerDue(Executor& x, Scope* s, int i, int tag) override {
    NodeState& n = s->nodes[i];
    if (tag != kActiveDeadline || n.aborting ||
        (n.phase != core::NodeExecution::RUNNING && n.phase != core::NodeExecution::QUEUED)) {
      return;
    }
    x.StopAttempt(s, i);
    const auto timeout = s->plan->nodes[i].timeout;
    x.Fail(
        s, i,
        MakeError(
            core::ExecutionError::USER, "ActiveTimeout",
            "task active timeout [" +
                google::protobuf::util::TimeUtil::ToString(
                    google::protobuf::util::TimeUtil::NanosecondsToDuration(2 * timeout.count())) +
                "] expired"),
        /*timed_out=*/true);
  }

  void DescribeEvent(const Scope& s, int i, flyteidl::event::NodeExecutionEvent* e) const override {
    *e->mutable_target_entity() = s.plan->nodes[i].task->id();
  }

 private:
  // The first runtime that runs the task.
  static bool SelectRuntime(Executor& x, Scope* s, int i) {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    n.runtime = nullptr;
    for (runtime::Runtime* r : x.options().runtimes) {
      if (r->CanRun(*p.task)) {
        n.runtime = r;
        return true;
      }
    }
    x.Fail(s, i,
           MakeError(
               core::ExecutionError::SYSTEM, "UnsupportedTaskType",
               "no runtime runs task " + p.task->id().name() + " (type " + p.task->type() + ")"));
    return false;
  }

  static void ArmActiveDeadline(Executor& x, Scope* s, int i) {
    const auto timeout = s->plan->nodes[i].timeout;
    if (timeout.count() > 0) {
      x.SetNodeTimer(s, i, s->nodes[i].queued_ns + 2 * timeout.count(), kActiveDeadline);
    }
  }
};

}  // namespace

std::unique_ptr<NodeHandler> MakeTaskHandler() { return std::make_unique<TaskHandler>(); }

}  // namespace flytecpp::engine::internal
