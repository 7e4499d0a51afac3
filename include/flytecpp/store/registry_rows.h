// Rows of the store's registry (flyteadmin's tasks, workflows and launch
// plans tables) for what runs without having been registered through the
// API: a local run's tasks and workflow, the launch plans its workflow
// reaches. The admin layer reads them as it reads what it registered.
#pragma once

#include <cstdint>

#include "flytecpp/store/store.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/core/tasks.pb.h"

namespace flytecpp::store {

// spec: admin.TaskSpec{template}; closure: admin.TaskClosure{compiled_task}.
RegisteredEntity TaskRow(const core::TaskTemplate& task, int64_t now_ns);
// Under the primary workflow's id. spec: admin.WorkflowSpec{template,
// sub_workflows}; closure: admin.WorkflowClosure{compiled_workflow}.
RegisteredEntity WorkflowRow(const core::CompiledWorkflowClosure& closure, int64_t now_ns);
// spec and closure: the launch plan's; state: its closure's.
RegisteredEntity LaunchPlanRow(const flyteidl::admin::LaunchPlan& launch_plan, int64_t now_ns);

}  // namespace flytecpp::store
