// Task nodes: each attempt runs on a runtime (attempts.cc); outputs are
// checked against the task interface; failures retry within the user and
// system budgets; the node timeout bounds each attempt and twice it, from
// first queueing, bounds the whole node (flyte-executor.md §2.4, §2.7, §3.2).
//
// Discoverable tasks look in the cache first (§5): a hit succeeds with the
// cached outputs and runs nothing; a success is cached with the commit that
// records it. cache_serializable tasks hold a reservation of their key while
// they run; identical nodes wait QUEUED for its result, looking again every
// poll interval, and take over once it ends or runs out.
#include <google/protobuf/util/time_util.h>

#include "../executor.h"
#include "dynamic.h"
#include "flytecpp/engine/cache.h"
#include "flyteidl/core/catalog.pb.h"
#include "flyteidl/core/errors.pb.h"

namespace flytecpp::engine::internal {

namespace {

// Timer tags.
constexpr int kActiveDeadline = 1;
constexpr int kCacheLookAgain = 2;  // waiting for another's reservation
constexpr int kCacheExtend = 3;     // holding the reservation

class TaskHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    if (!SelectRuntime(x, s, i)) return;
    ArmActiveDeadline(x, s, i);
    if (LookInCache(x, s, i)) return;
    x.QueueAttempt(s, i);
  }

  void Resume(Executor& x, Scope* s, int i) override {
    NodeState& n = s->nodes[i];
    runtime::Runtime* previous = n.runtime;  // the one that ran it, if still here
    if (!SelectRuntime(x, s, i)) return;
    ArmActiveDeadline(x, s, i);  // from the stored queueing time: no clock restarts
    if (n.attempt_started_ns > 0 && dynamic::Resume(x, s, i)) return;
    if (n.attempt_started_ns > 0) {
      // Its key again (it is not stored): its success is cached as an
      // uninterrupted run's would be.
      if (!SetCacheKey(x, s, i)) return;
      KeepReservation(x, s, i);
      x.ReattachAttempt(s, i, previous);
    } else if (!LookInCache(x, s, i)) {
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
      if (!n.cache_key.empty()) {
        x.CachePut(s, s->Path(i), n.attempts, n.cache_key, *p.task, shared);
        n.cache_status = core::CatalogCacheStatus::CACHE_POPULATED;
        ReleaseReservation(x, s, i);
      }
      x.EmitTaskEvent(s, i, core::TaskExecution::SUCCEEDED, nullptr);
      x.Succeed(s, i, std::move(shared));
      return;
    }
    if (auto* spec = std::get_if<core::DynamicJobSpec>(&outcome)) {
      x.EmitTaskEvent(s, i, core::TaskExecution::SUCCEEDED, nullptr);
      dynamic::Start(x, s, i, *spec);  // its outputs come with ChildScopeDone
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
    // Failed for good: whoever waits for the same key may run it now.
    if (n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT) {
      ReleaseReservation(x, s, i);
    }
  }

  void TimerDue(Executor& x, Scope* s, int i, int tag) override {
    NodeState& n = s->nodes[i];
    if (n.aborting ||
        (n.phase != core::NodeExecution::RUNNING && n.phase != core::NodeExecution::QUEUED)) {
      return;
    }
    if (tag == kCacheLookAgain) {
      if (n.cache_waiting && !LookInCache(x, s, i)) x.QueueAttempt(s, i);
      return;
    }
    if (tag == kCacheExtend) {
      KeepReservation(x, s, i);
      return;
    }
    if (tag != kActiveDeadline) return;
    x.StopAttempt(s, i);
    if (n.child) {
      n.aborting = true;  // the child ends without reporting back
      x.AbortChild(n.child.get(), "the task's active timeout expired");
      n.aborting = false;
    }
    ReleaseReservation(x, s, i);
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

  void Abort(Executor& x, Scope* s, int i, const std::string& reason) override {
    if (s->nodes[i].child) x.AbortChild(s->nodes[i].child.get(), reason);
    ReleaseReservation(x, s, i);
  }

  // The dynamic workflow the task generated ended: its outputs are the
  // node's; its failure fails the node for good (as Flyte's).
  void ChildScopeDone(Executor& x, Scope* s, int i) override {
    NodeState& n = s->nodes[i];
    Scope* child = n.child.get();
    if (child->phase == core::WorkflowExecution::SUCCEEDED) {
      auto outputs = child->nodes[Plan::kEnd].outputs;
      if (!n.cache_key.empty() && outputs) {
        x.CachePut(s, s->Path(i), n.attempts, n.cache_key, *s->plan->nodes[i].task, outputs);
        n.cache_status = core::CatalogCacheStatus::CACHE_POPULATED;
        ReleaseReservation(x, s, i);
      }
      x.Succeed(s, i, std::move(outputs));
      return;
    }
    ReleaseReservation(x, s, i);
    x.Fail(s, i,
           child->phase == core::WorkflowExecution::ABORTED || !child->error
               ? MakeError(core::ExecutionError::USER, "DynamicNodeFailing",
                           "the dynamic workflow " +
                               std::string(child->phase == core::WorkflowExecution::ABORTED
                                               ? "was aborted"
                                               : "failed"))
               : *child->error);
  }

  void DescribeEvent(const Scope& s, int i, flyteidl::event::NodeExecutionEvent* e) const override {
    *e->mutable_target_entity() = s.plan->nodes[i].task->id();
    const NodeState& n = s.nodes[i];
    if (n.child) {  // running the workflow it generated
      e->set_is_parent(true);
      e->set_is_dynamic(true);
      *e->mutable_task_node_metadata()->mutable_dynamic_workflow()->mutable_id() =
          n.child->plan->tmpl->id();
    }
    if (!n.cache_key.empty()) {
      auto* m = e->mutable_task_node_metadata();
      m->set_cache_status(static_cast<core::CatalogCacheStatus>(n.cache_status));
      const size_t colon = n.cache_key.rfind(':');
      m->mutable_catalog_key()->mutable_dataset_id()->set_name(n.cache_key.substr(0, colon));
      m->mutable_catalog_key()->mutable_artifact_tag()->set_name(n.cache_key.substr(colon + 1));
      if (s.plan->nodes[i].task->metadata().cache_serializable()) {
        m->set_reservation_status(n.cache_reserved ? core::CatalogReservation::RESERVATION_ACQUIRED
                                  : n.cache_waiting
                                      ? core::CatalogReservation::RESERVATION_EXISTS
                                      : core::CatalogReservation::RESERVATION_DISABLED);
      }
    }
  }

 private:
  // Discoverable tasks: true if the node is done with (a hit) or waits for
  // another's run of the same key; false if it runs now.
  static bool LookInCache(Executor& x, Scope* s, int i) {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    if (!p.task->metadata().discoverable()) return false;
    n.cache_waiting = false;
    if (!SetCacheKey(x, s, i)) return true;
    if (s->exec->overwrite_cache) {
      n.cache_status = core::CatalogCacheStatus::CACHE_SKIPPED;
      return false;
    }
    if (auto hit = x.CacheLookup(n.cache_key, *p.task)) {
      n.cache_status = core::CatalogCacheStatus::CACHE_HIT;
      x.Succeed(s, i, std::move(hit));
      return true;
    }
    n.cache_status = core::CatalogCacheStatus::CACHE_MISS;
    if (!p.task->metadata().cache_serializable()) return false;
    auto mine = x.ReserveCache(n.cache_key, Holder(x, s, i));
    if (!mine.ok()) {
      x.Fail(s, i,
             MakeError(core::ExecutionError::SYSTEM, "CacheReservationFailed",
                       mine.status().message()));
      return true;
    }
    if (*mine) {
      n.cache_reserved = true;
      x.SetNodeTimer(s, i, x.Now() + x.cache_reservation_ns() / 3, kCacheExtend);
      return false;
    }
    n.cache_waiting = true;  // "waiting on serialized cache"
    x.SetNodeTimer(s, i, x.Now() + x.poll_ns(), kCacheLookAgain);
    return true;
  }

  // A discoverable task's cache key, made once per node from its inputs;
  // false (the node failed) if it cannot be made.
  static bool SetCacheKey(Executor& x, Scope* s, int i) {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    if (!p.task->metadata().discoverable() || !n.cache_key.empty()) return true;
    auto key = CacheKeyOf(*p.task, *n.inputs);
    if (!key.ok()) {
      x.Fail(s, i, MakeError(core::ExecutionError::USER, "CacheKeyFailed", key.status().message()));
      return false;
    }
    n.cache_key = *key;
    return true;
  }

  // Extends the reservation while the node runs (and after a resume).
  static void KeepReservation(Executor& x, Scope* s, int i) {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    if (!p.task->metadata().discoverable() || !p.task->metadata().cache_serializable() ||
        s->exec->overwrite_cache || n.cache_key.empty()) {
      return;
    }
    auto mine = x.ReserveCache(n.cache_key, Holder(x, s, i));
    n.cache_reserved = mine.ok() && *mine;  // lost: it runs on regardless (as Flyte's)
    x.SetNodeTimer(s, i, x.Now() + x.cache_reservation_ns() / 3, kCacheExtend);
  }

  static void ReleaseReservation(Executor& x, Scope* s, int i) {
    NodeState& n = s->nodes[i];
    if (!n.cache_reserved) return;
    n.cache_reserved = false;
    x.ReleaseCache(n.cache_key, Holder(x, s, i));
  }

  // Who holds a reservation: this node of this execution, in this engine.
  static std::string Holder(Executor& x, const Scope* s, int i) {
    return x.owner() + " " + s->execution_id + "/" + s->Path(i);
  }

  // The first runtime that runs the task.
  static bool SelectRuntime(Executor& x, Scope* s, int i) {
    const PlanNode& p = s->plan->nodes[i];
    NodeState& n = s->nodes[i];
    n.runtime = runtime::RuntimeFor(x.options().runtimes, *p.task);
    if (n.runtime != nullptr) return true;
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
