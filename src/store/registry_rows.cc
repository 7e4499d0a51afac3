#include "flytecpp/store/registry_rows.h"

#include <google/protobuf/util/time_util.h>

#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"

namespace flytecpp::store {

namespace {

using google::protobuf::util::TimeUtil;

core::Identifier Typed(core::Identifier id, core::ResourceType type) {
  id.set_resource_type(type);
  return id;
}

}  // namespace

RegisteredEntity TaskRow(const core::TaskTemplate& task, int64_t now_ns) {
  RegisteredEntity e;
  e.id = Typed(task.id(), core::TASK);
  flyteidl::admin::TaskSpec spec;
  *spec.mutable_template_() = task;
  e.spec = spec.SerializeAsString();
  flyteidl::admin::TaskClosure closure;
  *closure.mutable_compiled_task()->mutable_template_() = task;
  *closure.mutable_created_at() = TimeUtil::NanosecondsToTimestamp(now_ns);
  e.closure = closure.SerializeAsString();
  e.created_ns = e.updated_ns = now_ns;
  return e;
}

RegisteredEntity WorkflowRow(const core::CompiledWorkflowClosure& compiled, int64_t now_ns) {
  RegisteredEntity e;
  e.id = Typed(compiled.primary().template_().id(), core::WORKFLOW);
  flyteidl::admin::WorkflowSpec spec;
  *spec.mutable_template_() = compiled.primary().template_();
  for (const auto& sub : compiled.sub_workflows()) *spec.add_sub_workflows() = sub.template_();
  e.spec = spec.SerializeAsString();
  flyteidl::admin::WorkflowClosure closure;
  *closure.mutable_compiled_workflow() = compiled;
  *closure.mutable_created_at() = TimeUtil::NanosecondsToTimestamp(now_ns);
  e.closure = closure.SerializeAsString();
  e.created_ns = e.updated_ns = now_ns;
  return e;
}

RegisteredEntity LaunchPlanRow(const flyteidl::admin::LaunchPlan& lp, int64_t now_ns) {
  RegisteredEntity e;
  e.id = Typed(lp.id(), core::LAUNCH_PLAN);
  e.spec = lp.spec().SerializeAsString();
  flyteidl::admin::LaunchPlanClosure closure = lp.closure();
  if (!closure.has_created_at()) {
    *closure.mutable_created_at() = TimeUtil::NanosecondsToTimestamp(now_ns);
  }
  e.closure = closure.SerializeAsString();
  e.state = closure.state();
  e.created_ns = e.updated_ns = now_ns;
  return e;
}

}  // namespace flytecpp::store
