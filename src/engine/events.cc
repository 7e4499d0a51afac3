// flyteidl.event messages for every transition (flyte-executor.md §7), stored
// with the batch that makes the transition durable. Data is referenced by
// uri (the data directory), never inlined.
#include <google/protobuf/util/time_util.h>

#include "executor.h"

namespace flytecpp::engine::internal {

namespace {

constexpr const char* kProducer = "flytecpp";

google::protobuf::Timestamp Stamp(int64_t ns) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(ns);
}

std::string Uri(const std::string& p) { return "file://" + p; }

}  // namespace

void Executor::AddEvent(Scope* s, store::EventKind kind, std::string path, int phase, int attempt,
                        std::string payload) {
  pending_.events.push_back(
      {s->exec, {0, s->execution_id, kind, std::move(path), std::move(payload)}, phase, attempt});
}

void Executor::EmitWorkflowEvent(Scope* s) {
  flyteidl::event::WorkflowExecutionEvent e;
  e.mutable_execution_id()->set_name(s->execution_id);
  e.set_producer_id(kProducer);
  e.set_phase(s->phase);
  *e.mutable_occurred_at() = Stamp(Now());
  if (s->phase == core::WorkflowExecution::SUCCEEDED) {
    e.set_output_uri(Uri(s->data.OutputsPath(s->Path(Plan::kEnd), 0)));
  } else if ((s->phase == core::WorkflowExecution::FAILED ||
              s->phase == core::WorkflowExecution::FAILING ||
              s->phase == core::WorkflowExecution::ABORTED) &&
             s->error) {
    *e.mutable_error() = *s->error;
  }
  AddEvent(s, store::EventKind::kWorkflow, "", s->phase, 0, e.SerializeAsString());
}

void Executor::EmitNodeEvent(Scope* s, int i) {
  const PlanNode& p = s->plan->nodes[i];
  const NodeState& n = s->nodes[i];
  std::string path = s->Path(i);
  flyteidl::event::NodeExecutionEvent e;
  e.mutable_id()->mutable_execution_id()->set_name(s->execution_id);
  e.mutable_id()->set_node_id(path);
  e.set_producer_id(kProducer);
  e.set_phase(n.phase);
  *e.mutable_occurred_at() = Stamp(Now());
  *e.mutable_reported_at() = e.occurred_at();
  e.set_spec_node_id(p.id);
  e.set_node_name(p.node->metadata().name());
  e.set_event_version(1);
  if (i == Plan::kStart) {
    e.set_output_uri(Uri(s->data.OutputsPath(path, 0)));
  } else {
    e.set_input_uri(Uri(s->data.InputsPath(path)));
    if (n.phase == core::NodeExecution::SUCCEEDED || n.phase == core::NodeExecution::RECOVERED) {
      e.set_output_uri(Uri(s->data.OutputsPath(path, n.attempts)));
    } else if ((n.phase == core::NodeExecution::FAILED ||
                n.phase == core::NodeExecution::TIMED_OUT ||
                n.phase == core::NodeExecution::ABORTED) &&
               n.error) {
      *e.mutable_error() = *n.error;
    }
  }
  // Nested nodes name their parent: their owner, or the sub-workflow node.
  if (p.owner >= 0) {
    e.mutable_parent_node_metadata()->set_node_id(s->Path(p.owner));
    e.set_retry_group(std::to_string(s->nodes[p.owner].attempts));
  } else if (s->parent != nullptr && !s->is_execution) {
    e.mutable_parent_node_metadata()->set_node_id(s->parent->Path(s->parent_node));
    e.set_retry_group(std::to_string(s->parent->nodes[s->parent_node].attempts));
  }
  HandlerOf(s, i).DescribeEvent(*s, i, &e);
  AddEvent(s, store::EventKind::kNode, std::move(path), n.phase, n.attempts, e.SerializeAsString());
}

void Executor::AddTaskEvent(Scope* s, int i, flyteidl::event::TaskExecutionEvent e) {
  *e.mutable_occurred_at() = Stamp(Now());  // as every event recorded here
  *e.mutable_reported_at() = e.occurred_at();
  AddEvent(s, store::EventKind::kTask, s->Path(i), e.phase(), static_cast<int>(e.retry_attempt()),
           e.SerializeAsString());
}

void Executor::EmitTaskEvent(Scope* s, int i, core::TaskExecution::Phase phase,
                             const core::ExecutionError* error) {
  const PlanNode& p = s->plan->nodes[i];
  const NodeState& n = s->nodes[i];
  std::string path = s->Path(i);
  flyteidl::event::TaskExecutionEvent e;
  *e.mutable_task_id() = p.task->id();
  e.mutable_parent_node_execution_id()->mutable_execution_id()->set_name(s->execution_id);
  e.mutable_parent_node_execution_id()->set_node_id(path);
  e.set_retry_attempt(static_cast<uint32_t>(n.attempts));
  e.set_phase(phase);
  e.set_producer_id(kProducer);
  *e.mutable_occurred_at() = Stamp(Now());
  *e.mutable_reported_at() = e.occurred_at();
  e.set_input_uri(Uri(s->data.InputsPath(path)));
  if (phase == core::TaskExecution::SUCCEEDED) {
    e.set_output_uri(Uri(s->data.OutputsPath(path, n.attempts)));
  } else if (error != nullptr) {
    *e.mutable_error() = *error;
  }
  e.set_task_type(p.task->type());
  e.set_event_version(1);
  auto* md = e.mutable_metadata();
  md->set_generated_name(s->execution_id + "-" + path + "-" + std::to_string(n.attempts));
  if (n.runtime != nullptr) md->set_plugin_identifier(std::string(n.runtime->name()));
  md->set_instance_class(p.interruptible ? flyteidl::event::TaskExecutionMetadata::INTERRUPTIBLE
                                         : flyteidl::event::TaskExecutionMetadata::DEFAULT);
  // A pod task's labels and annotations, where Flyte's would be on its pod.
  if (p.task->has_k8s_pod() && p.task->k8s_pod().has_metadata()) {
    const auto& meta = p.task->k8s_pod().metadata();
    auto* fields = e.mutable_custom_info()->mutable_fields();
    for (const auto& [name, map] :
         {std::pair{"labels", &meta.labels()}, std::pair{"annotations", &meta.annotations()}}) {
      if (map->empty()) continue;
      auto* out = (*fields)[name].mutable_struct_value()->mutable_fields();
      for (const auto& [k, v] : *map) (*out)[k].set_string_value(v);
    }
  }
  AddEvent(s, store::EventKind::kTask, std::move(path), phase, n.attempts, e.SerializeAsString());
}

}  // namespace flytecpp::engine::internal
