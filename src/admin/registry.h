// Registering tasks, workflows and launch plans, as flyteadmin does
// (flyte-formats-and-api.md §2): versions are immutable; registering the
// same spec again is AlreadyExists (clients such as flytectl take it as
// success), a different spec under a taken id is InvalidArgument listing what
// differs; tasks and workflows are compiled at registration (workflows
// against the registered tasks and launch plans they use), and every compile
// error is returned. Lists page with `limit` and an opaque `token`.
//
// Thread-safe: calls are serialized on the registry's own store.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "flytecpp/store/store.h"
#include "flytecpp/util/clock.h"
#include "flyteidl/admin/common.pb.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/project.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "schedule.h"

namespace flytecpp::admin {

namespace flyteadmin = flyteidl::admin;
namespace core = flyteidl::core;

class Registry {
 public:
  // `store`: the registry's own (not shared with an engine's thread).
  Registry(std::unique_ptr<store::Store> store, const Clock* clock = nullptr);

  Status CreateTask(const flyteadmin::TaskCreateRequest& request);
  Result<flyteadmin::Task> GetTask(const core::Identifier& id);
  Result<flyteadmin::TaskList> ListTasks(const flyteadmin::ResourceListRequest& request);

  Status CreateWorkflow(const flyteadmin::WorkflowCreateRequest& request);
  Result<flyteadmin::Workflow> GetWorkflow(const core::Identifier& id);
  Result<flyteadmin::WorkflowList> ListWorkflows(const flyteadmin::ResourceListRequest& request);

  Status CreateLaunchPlan(const flyteadmin::LaunchPlanCreateRequest& request);
  Result<flyteadmin::LaunchPlan> GetLaunchPlan(const core::Identifier& id);
  Result<flyteadmin::LaunchPlanList> ListLaunchPlans(
      const flyteadmin::ResourceListRequest& request);
  // ACTIVE deactivates the name's other active version, as flyteadmin does;
  // its schedule, if it has one, starts then (scheduler.h). The state it is
  // in already changes nothing (a schedule keeps its start).
  Status UpdateLaunchPlan(const flyteadmin::LaunchPlanUpdateRequest& request);
  Result<flyteadmin::LaunchPlan> GetActiveLaunchPlan(
      const flyteadmin::ActiveLaunchPlanRequest& request);
  Result<flyteadmin::LaunchPlanList> ListActiveLaunchPlans(
      const flyteadmin::ActiveLaunchPlanListRequest& request);

  // Projects. Registering an entity in an unknown project registers the
  // project too (flyteadmin requires it first). Every project has the
  // domains development, staging and production.
  Status RegisterProject(const flyteadmin::ProjectRegisterRequest& request);
  Status UpdateProject(const flyteadmin::Project& project);
  Result<flyteadmin::Project> GetProject(const flyteadmin::ProjectGetRequest& request);
  Result<flyteadmin::Projects> ListProjects(const flyteadmin::ProjectListRequest& request);

  // One entity per name of a kind (its versions together), by name unless
  // sort_by says otherwise; metadata is empty (no descriptions are kept).
  Result<flyteadmin::NamedEntityList> ListNamedEntities(
      const flyteadmin::NamedEntityListRequest& request);
  Result<flyteadmin::NamedEntity> GetNamedEntity(const flyteadmin::NamedEntityGetRequest& request);
  static flyteadmin::GetDomainsResponse Domains();

 private:
  // Registers `project` unless it is known. REQUIRES: mu_.
  Status EnsureProject(const std::string& project, const std::string& org);
  // What is registered under `id` (of id.resource_type), or NotFound.
  Result<store::RegisteredEntity> Get(const core::Identifier& id);
  // Registers `entity`; an id already taken is AlreadyExists (same spec) or
  // InvalidArgument naming the differences.
  Status Register(store::RegisteredEntity entity, const google::protobuf::Message& spec,
                  google::protobuf::Message* scratch);
  Result<std::vector<store::RegisteredEntity>> List(core::ResourceType type,
                                                    const flyteadmin::ResourceListRequest& request,
                                                    std::string* next_token);
  int64_t NowNs() const;

  std::mutex mu_;
  std::unique_ptr<store::Store> store_;  // guarded by mu_
  // Workflows read, by identifier: versions are immutable, so a copy never
  // goes stale (every execution created reads its workflow). Guarded by mu_.
  std::unordered_map<std::string, flyteadmin::Workflow> workflows_;
  const Clock* clock_;
  Slots slots_;  // checks schedules' cron expressions; guarded by mu_
};

}  // namespace flytecpp::admin
