#include "migrations.h"

#include <chrono>
#include <vector>

#include "flytecpp/store/registry_rows.h"

namespace flytecpp::store {

Status MoveEntitiesToRegistry(SqlDatabase& db) {
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string context = db.where() + ": move entities into the registry";
  auto rows = db.Prepare("SELECT resource_type, spec FROM entities");
  if (!rows) return IoError(context + ": " + db.LastError());
  std::vector<RegisteredEntity> moved;
  StepResult rc;
  while ((rc = rows->Step()) == StepResult::kRow) {
    const int64_t type = rows->Int(0);
    const std::string bytes = rows->Blob(1);
    if (type == core::TASK) {
      core::TaskTemplate task;
      if (task.ParseFromString(bytes)) moved.push_back(TaskRow(task, now_ns));
    } else if (type == core::WORKFLOW) {
      core::CompiledWorkflowClosure closure;
      if (closure.ParseFromString(bytes)) moved.push_back(WorkflowRow(closure, now_ns));
    } else if (type == core::LAUNCH_PLAN) {
      flyteidl::admin::LaunchPlan lp;
      if (lp.ParseFromString(bytes)) moved.push_back(LaunchPlanRow(lp, now_ns));
    }
  }
  if (rc != StepResult::kDone) return IoError(context + ": " + db.LastError());
  rows.reset();
  auto insert = db.Prepare(
      "INSERT INTO registry(resource_type, project, domain, name, version, org, spec, closure, "
      "state, created_ns, updated_ns) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT DO NOTHING");
  if (!insert) return IoError(context + ": " + db.LastError());
  for (const auto& e : moved) {
    insert->Reset();
    insert->BindInt(1, e.id.resource_type());
    insert->BindText(2, e.id.project());
    insert->BindText(3, e.id.domain());
    insert->BindText(4, e.id.name());
    insert->BindText(5, e.id.version());
    insert->BindText(6, e.id.org());
    insert->BindBlob(7, e.spec);
    insert->BindBlob(8, e.closure);
    insert->BindInt(9, e.state);
    insert->BindInt(10, e.created_ns);
    insert->BindInt(11, e.updated_ns);
    if (insert->Step() == StepResult::kError) return IoError(context + ": " + db.LastError());
  }
  insert.reset();
  return db.Exec("DROP TABLE entities").WithContext(context);
}

}  // namespace flytecpp::store
