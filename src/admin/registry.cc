#include "registry.h"

#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <limits>
#include <sstream>

#include "filters.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::admin {

namespace {

using google::protobuf::util::TimeUtil;

// flyteadmin's identifier checks: every part named.
Status CheckId(const core::Identifier& id, const std::string& field) {
  for (const auto& [part, value] :
       {std::pair{"project", &id.project()}, std::pair{"domain", &id.domain()},
        std::pair{"name", &id.name()}, std::pair{"version", &id.version()}}) {
    if (value->empty()) return InvalidArgument("missing " + field + "." + part);
  }
  return Status::Ok();
}

core::Identifier Typed(core::Identifier id, core::ResourceType type) {
  id.set_resource_type(type);
  return id;
}

std::string Name(const core::Identifier& id) { return idl::IdentifierString(id); }

// What differs between two specs, one field path per difference (at most a few).
// How specs are compared: a node's upstream ids are a set (flytekit lists
// them in no fixed order, so the same code registered twice may differ
// there only).
void ConfigureSpecDiffer(google::protobuf::util::MessageDifferencer* differ) {
  differ->TreatAsSet(core::Node::descriptor()->FindFieldByName("upstream_node_ids"));
}

bool SameSpec(const google::protobuf::Message& before, const google::protobuf::Message& after) {
  google::protobuf::util::MessageDifferencer differ;
  ConfigureSpecDiffer(&differ);
  return differ.Compare(before, after);
}

std::string Differences(const google::protobuf::Message& before,
                        const google::protobuf::Message& after) {
  std::string report;
  google::protobuf::util::MessageDifferencer differ;
  ConfigureSpecDiffer(&differ);
  differ.ReportDifferencesToString(&report);
  differ.Compare(before, after);
  std::istringstream lines(report);
  std::string out, line;
  int shown = 0, total = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (++total <= 5) out += (shown++ ? "; " : "") + line;
  }
  if (total > 5) out += "; and " + std::to_string(total - 5) + " more";
  return out;
}

}  // namespace

Registry::Registry(std::unique_ptr<store::Store> store, const Clock* clock)
    : store_(std::move(store)), clock_(clock) {}

int64_t Registry::NowNs() const {
  static SystemClock system;
  return (clock_ != nullptr ? clock_ : &system)->Now();
}

Result<store::RegisteredEntity> Registry::Get(const core::Identifier& id) {
  FLYTECPP_RETURN_IF_ERROR(CheckId(id, "id"));
  FLYTECPP_ASSIGN_OR_RETURN(std::optional<store::RegisteredEntity> e, store_->GetRegistered(id));
  if (!e) {
    std::string kind = core::ResourceType_Name(id.resource_type());
    for (char& c : kind) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
    return NotFound(kind + " " + Name(id) + " is not registered");
  }
  return *e;
}

Status Registry::Register(store::RegisteredEntity entity, const google::protobuf::Message& spec,
                          google::protobuf::Message* scratch) {
  entity.spec = spec.SerializeAsString();
  FLYTECPP_ASSIGN_OR_RETURN(auto registered, store_->RegisterEntity(entity));
  if (registered.second) return Status::Ok();
  std::string kind = core::ResourceType_Name(entity.id.resource_type());
  for (char& c : kind) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  if (!scratch->ParseFromString(registered.first.spec)) {
    return Internal(Name(entity.id) + ": the registered spec is unreadable");
  }
  if (SameSpec(*scratch, spec)) {
    return AlreadyExists(kind + " with identical structure already exists: " + Name(entity.id));
  }
  return InvalidArgument(kind + " " + Name(entity.id) +
                         " with different structure already exists (register a new version): " +
                         Differences(*scratch, spec));
}

Result<std::vector<store::RegisteredEntity>> Registry::List(
    core::ResourceType type, const flyteadmin::ResourceListRequest& request,
    std::string* next_token) {
  if (request.id().project().empty()) return InvalidArgument("missing id.project");
  if (request.id().domain().empty()) return InvalidArgument("missing id.domain");
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<Predicate> filters, ParseFilters(request.filters()));
  store::EntityQuery q;
  q.resource_type = type;
  q.project = request.id().project();
  q.domain = request.id().domain();
  q.name = request.id().name();
  q.org = request.id().org();
  if (request.has_sort_by()) {
    q.sort_key = request.sort_by().key();
    q.ascending = request.sort_by().direction() == flyteadmin::Sort::ASCENDING;
  }
  const int limit = static_cast<int>(std::min<uint32_t>(request.limit(), 10000));
  FLYTECPP_ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.token()));
  // Filtered lists are paged after filtering.
  q.limit = filters.empty() ? limit : std::numeric_limits<int>::max();
  q.offset = filters.empty()
                 ? static_cast<int>(std::min<size_t>(offset, std::numeric_limits<int>::max()))
                 : 0;
  auto rows = store_->ListRegistered(q);
  if (!rows.ok()) {
    return rows.status().code() == StatusCode::kInvalidArgument
               ? InvalidArgument("sort_by.key: " + rows.status().message())
               : rows.status();
  }
  if (filters.empty()) {
    *next_token = static_cast<int>(rows->size()) == limit ? std::to_string(offset + limit) : "";
    return rows;
  }
  std::vector<store::RegisteredEntity> kept;
  for (auto& e : *rows) {
    FLYTECPP_ASSIGN_OR_RETURN(
        bool match, Matches(filters, [&](const std::string& f) -> std::optional<FieldValue> {
          const std::string field = OwnField(f, {"task", "workflow", "launch_plan", "entities"});
          if (field == "name") return FieldValue{e.id.name(), {}};
          if (field == "version") return FieldValue{e.id.version(), {}};
          if (field == "project") return FieldValue{e.id.project(), {}};
          if (field == "domain") return FieldValue{e.id.domain(), {}};
          if (field == "state") return FieldValue{std::to_string(e.state), {}};
          if (field == "created_at") return FieldValue{"", e.created_ns};
          if (field == "updated_at") return FieldValue{"", e.updated_ns};
          return std::nullopt;
        }));
    if (match) kept.push_back(std::move(e));
  }
  const size_t from = std::min<size_t>(offset, kept.size());
  const size_t to = std::min<size_t>(from + limit, kept.size());
  *next_token = to < kept.size() ? std::to_string(to) : "";
  return std::vector<store::RegisteredEntity>(std::make_move_iterator(kept.begin() + from),
                                              std::make_move_iterator(kept.begin() + to));
}

// ---- Tasks ----------------------------------------------------------------------------

Status Registry::CreateTask(const flyteadmin::TaskCreateRequest& request) {
  FLYTECPP_RETURN_IF_ERROR(CheckId(request.id(), "id"));
  if (!request.spec().has_template_()) return InvalidArgument("missing spec.template");
  const core::Identifier id = Typed(request.id(), core::TASK);
  flyteadmin::TaskSpec spec = request.spec();
  *spec.mutable_template_()->mutable_id() = id;  // the template is what the id names
  std::vector<compiler::CompileError> errors;
  auto compiled = compiler::CompileTask(spec.template_(), &errors);
  if (!compiled.ok()) return InvalidArgument(compiled.status().message());
  const int64_t now = NowNs();
  flyteadmin::TaskClosure closure;
  *closure.mutable_compiled_task() = *compiled;
  *closure.mutable_created_at() = TimeUtil::NanosecondsToTimestamp(now);
  store::RegisteredEntity e;
  e.id = id;
  e.closure = closure.SerializeAsString();
  e.created_ns = e.updated_ns = now;
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_RETURN_IF_ERROR(EnsureProject(id.project(), id.org()));
  flyteadmin::TaskSpec registered;
  return Register(std::move(e), spec, &registered);
}

Result<flyteadmin::Task> Registry::GetTask(const core::Identifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(store::RegisteredEntity e, Get(Typed(id, core::TASK)));
  flyteadmin::Task task;
  *task.mutable_id() = e.id;
  task.mutable_closure()->ParseFromString(e.closure);
  return task;
}

Result<flyteadmin::TaskList> Registry::ListTasks(const flyteadmin::ResourceListRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  flyteadmin::TaskList out;
  FLYTECPP_ASSIGN_OR_RETURN(auto rows, List(core::TASK, request, out.mutable_token()));
  for (const auto& e : rows) {
    auto* t = out.add_tasks();
    *t->mutable_id() = e.id;
    t->mutable_closure()->ParseFromString(e.closure);
  }
  return out;
}

// ---- Workflows ------------------------------------------------------------------------

Status Registry::CreateWorkflow(const flyteadmin::WorkflowCreateRequest& request) {
  FLYTECPP_RETURN_IF_ERROR(CheckId(request.id(), "id"));
  if (!request.spec().has_template_()) return InvalidArgument("missing spec.template");
  const core::Identifier id = Typed(request.id(), core::WORKFLOW);
  flyteadmin::WorkflowSpec spec = request.spec();
  *spec.mutable_template_()->mutable_id() = id;
  const std::vector<core::WorkflowTemplate> subs(spec.sub_workflows().begin(),
                                                 spec.sub_workflows().end());
  auto required = compiler::GetRequirements(spec.template_(), subs);
  if (!required.ok()) return InvalidArgument(required.status().message());

  std::lock_guard<std::mutex> lock(mu_);
  // What it calls must be registered first, as flyteadmin requires.
  std::vector<core::CompiledTask> tasks;
  std::vector<compiler::LaunchPlanInterface> launch_plans;
  std::string missing;
  for (const auto& task_id : required->task_ids) {
    auto e = store_->GetRegistered(Typed(task_id, core::TASK));
    if (!e.ok()) return e.status();
    if (!*e) {
      missing += (missing.empty() ? "" : ", ") + Name(Typed(task_id, core::TASK));
      continue;
    }
    flyteadmin::TaskClosure closure;
    closure.ParseFromString((*e)->closure);
    tasks.push_back(closure.compiled_task());
  }
  for (const auto& lp_id : required->launch_plan_ids) {
    auto e = store_->GetRegistered(Typed(lp_id, core::LAUNCH_PLAN));
    if (!e.ok()) return e.status();
    if (!*e) {
      missing += (missing.empty() ? "" : ", ") + Name(Typed(lp_id, core::LAUNCH_PLAN));
      continue;
    }
    flyteadmin::LaunchPlan lp;
    *lp.mutable_id() = (*e)->id;
    lp.mutable_spec()->ParseFromString((*e)->spec);
    lp.mutable_closure()->ParseFromString((*e)->closure);
    launch_plans.push_back(compiler::LaunchPlanInterfaceOf(lp));
  }
  if (!missing.empty()) {
    return InvalidArgument("workflow " + Name(id) + " uses what is not registered: " + missing);
  }
  auto compiled = compiler::CompileWorkflow(spec.template_(), subs, tasks, launch_plans);
  if (!compiled.ok()) return InvalidArgument(compiled.status().message());
  const int64_t now = NowNs();
  flyteadmin::WorkflowClosure closure;
  *closure.mutable_compiled_workflow() = *compiled;
  *closure.mutable_created_at() = TimeUtil::NanosecondsToTimestamp(now);
  store::RegisteredEntity e;
  e.id = id;
  e.closure = closure.SerializeAsString();
  e.created_ns = e.updated_ns = now;
  FLYTECPP_RETURN_IF_ERROR(EnsureProject(id.project(), id.org()));
  flyteadmin::WorkflowSpec registered;
  return Register(std::move(e), spec, &registered);
}

Result<flyteadmin::Workflow> Registry::GetWorkflow(const core::Identifier& id) {
  const core::Identifier typed = Typed(id, core::WORKFLOW);
  const std::string key = idl::IdentifierString(typed);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = workflows_.find(key); it != workflows_.end()) return it->second;
  FLYTECPP_ASSIGN_OR_RETURN(store::RegisteredEntity e, Get(typed));
  flyteadmin::Workflow wf;
  *wf.mutable_id() = e.id;
  wf.mutable_closure()->ParseFromString(e.closure);
  constexpr size_t kMaxCached = 1024;  // a bound, not a policy: start over when full
  if (workflows_.size() >= kMaxCached) workflows_.clear();
  workflows_.emplace(key, wf);
  return wf;
}

Result<flyteadmin::WorkflowList> Registry::ListWorkflows(
    const flyteadmin::ResourceListRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  flyteadmin::WorkflowList out;
  FLYTECPP_ASSIGN_OR_RETURN(auto rows, List(core::WORKFLOW, request, out.mutable_token()));
  for (const auto& e : rows) {
    auto* w = out.add_workflows();
    *w->mutable_id() = e.id;
    w->mutable_closure()->ParseFromString(e.closure);
  }
  return out;
}

// ---- Launch plans ---------------------------------------------------------------------

namespace {

flyteadmin::LaunchPlan LaunchPlanOf(const store::RegisteredEntity& e) {
  flyteadmin::LaunchPlan lp;
  *lp.mutable_id() = e.id;
  lp.mutable_spec()->ParseFromString(e.spec);
  lp.mutable_closure()->ParseFromString(e.closure);
  lp.mutable_closure()->set_state(static_cast<flyteadmin::LaunchPlanState>(e.state));
  *lp.mutable_closure()->mutable_updated_at() = TimeUtil::NanosecondsToTimestamp(e.updated_ns);
  return lp;
}

}  // namespace

Status Registry::CreateLaunchPlan(const flyteadmin::LaunchPlanCreateRequest& request) {
  FLYTECPP_RETURN_IF_ERROR(CheckId(request.id(), "id"));
  FLYTECPP_RETURN_IF_ERROR(CheckId(request.spec().workflow_id(), "spec.workflow_id"));
  const core::Identifier id = Typed(request.id(), core::LAUNCH_PLAN);
  std::lock_guard<std::mutex> lock(mu_);
  auto wf = Get(Typed(request.spec().workflow_id(), core::WORKFLOW));
  if (!wf.ok()) {
    return wf.status().code() == StatusCode::kNotFound
               ? InvalidArgument("launch plan " + Name(id) + ": " + wf.status().message())
               : wf.status();
  }
  flyteadmin::WorkflowClosure wf_closure;
  wf_closure.ParseFromString(wf->closure);
  const core::WorkflowTemplate& workflow = wf_closure.compiled_workflow().primary().template_();
  flyteadmin::LaunchPlan lp;
  *lp.mutable_id() = id;
  *lp.mutable_spec() = request.spec();
  *lp.mutable_spec()->mutable_workflow_id() = wf->id;
  std::vector<compiler::CompileError> errors;
  Status valid = compiler::ValidateLaunchPlan(lp, workflow, &errors);
  if (!valid.ok()) return InvalidArgument(valid.message());
  // What a caller of the launch plan gives and gets (flyteadmin's closure).
  const compiler::LaunchPlanInterface iface =
      compiler::LaunchPlanInterfaceOf(lp, workflow.interface());
  if (lp.spec().entity_metadata().has_schedule()) {
    Status schedule =
        CheckSchedule(lp.spec().entity_metadata().schedule(), iface.expected_inputs, slots_);
    if (!schedule.ok()) {
      return InvalidArgument("launch plan " + Name(id) + ": schedule: " + schedule.message());
    }
  }
  const int64_t now = NowNs();
  flyteadmin::LaunchPlanClosure closure;
  closure.set_state(flyteadmin::INACTIVE);
  *closure.mutable_expected_inputs() = iface.expected_inputs;
  *closure.mutable_expected_outputs() = iface.expected_outputs;
  *closure.mutable_created_at() = TimeUtil::NanosecondsToTimestamp(now);
  *closure.mutable_updated_at() = closure.created_at();
  store::RegisteredEntity e;
  e.id = id;
  e.closure = closure.SerializeAsString();
  e.state = flyteadmin::INACTIVE;
  e.created_ns = e.updated_ns = now;
  FLYTECPP_RETURN_IF_ERROR(EnsureProject(id.project(), id.org()));
  flyteadmin::LaunchPlanSpec registered;
  return Register(std::move(e), lp.spec(), &registered);
}

Result<flyteadmin::LaunchPlan> Registry::GetLaunchPlan(const core::Identifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(store::RegisteredEntity e, Get(Typed(id, core::LAUNCH_PLAN)));
  return LaunchPlanOf(e);
}

Result<flyteadmin::LaunchPlanList> Registry::ListLaunchPlans(
    const flyteadmin::ResourceListRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  flyteadmin::LaunchPlanList out;
  FLYTECPP_ASSIGN_OR_RETURN(auto rows, List(core::LAUNCH_PLAN, request, out.mutable_token()));
  for (const auto& e : rows) *out.add_launch_plans() = LaunchPlanOf(e);
  return out;
}

Status Registry::UpdateLaunchPlan(const flyteadmin::LaunchPlanUpdateRequest& request) {
  const core::Identifier id = Typed(request.id(), core::LAUNCH_PLAN);
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(store::RegisteredEntity e, Get(id));
  if (e.state == request.state()) return Status::Ok();  // its update time is its activation's
  const int64_t now = NowNs();
  if (request.state() == flyteadmin::ACTIVE) {
    // One active version per name.
    store::EntityQuery q;
    q.resource_type = core::LAUNCH_PLAN;
    q.project = id.project();
    q.domain = id.domain();
    q.name = id.name();
    q.org = id.org();
    q.state = flyteadmin::ACTIVE;
    FLYTECPP_ASSIGN_OR_RETURN(auto active, store_->ListRegistered(q));
    for (const auto& other : active) {
      if (other.id.version() == id.version()) continue;
      FLYTECPP_RETURN_IF_ERROR(
          store_->UpdateRegistered(other.id, flyteadmin::INACTIVE, other.closure, now));
    }
  }
  return store_->UpdateRegistered(id, request.state(), e.closure, now);
}

Result<flyteadmin::LaunchPlan> Registry::GetActiveLaunchPlan(
    const flyteadmin::ActiveLaunchPlanRequest& request) {
  if (request.id().project().empty() || request.id().domain().empty() ||
      request.id().name().empty()) {
    return InvalidArgument("missing id.project, id.domain or id.name");
  }
  std::lock_guard<std::mutex> lock(mu_);
  store::EntityQuery q;
  q.resource_type = core::LAUNCH_PLAN;
  q.project = request.id().project();
  q.domain = request.id().domain();
  q.name = request.id().name();
  q.org = request.id().org();
  q.state = flyteadmin::ACTIVE;
  q.limit = 1;
  FLYTECPP_ASSIGN_OR_RETURN(auto active, store_->ListRegistered(q));
  if (active.empty()) {
    return NotFound("no active launch plan " + q.project + ":" + q.domain + ":" + q.name);
  }
  return LaunchPlanOf(active.front());
}

Result<flyteadmin::LaunchPlanList> Registry::ListActiveLaunchPlans(
    const flyteadmin::ActiveLaunchPlanListRequest& request) {
  if (request.project().empty() || request.domain().empty()) {
    return InvalidArgument("missing project or domain");
  }
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  std::lock_guard<std::mutex> lock(mu_);
  store::EntityQuery q;
  q.resource_type = core::LAUNCH_PLAN;
  q.project = request.project();
  q.domain = request.domain();
  q.org = request.org();
  q.state = flyteadmin::ACTIVE;
  q.limit = static_cast<int>(std::min<uint32_t>(request.limit(), 10000));
  FLYTECPP_ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.token()));
  q.offset = static_cast<int>(std::min<size_t>(offset, std::numeric_limits<int>::max()));
  if (request.has_sort_by()) {
    q.sort_key = request.sort_by().key();
    q.ascending = request.sort_by().direction() == flyteadmin::Sort::ASCENDING;
  }
  FLYTECPP_ASSIGN_OR_RETURN(auto rows, store_->ListRegistered(q));
  flyteadmin::LaunchPlanList out;
  for (const auto& e : rows) *out.add_launch_plans() = LaunchPlanOf(e);
  if (static_cast<int>(rows.size()) == q.limit) out.set_token(std::to_string(q.offset + q.limit));
  return out;
}

// ---- Projects -----------------------------------------------------------------------
//
// Kept in the registry as entities without a resource type, named by the
// project id; the admin.Project (which may change) is the closure.

namespace {

core::Identifier ProjectKey(const std::string& id, const std::string& org) {
  core::Identifier key;
  key.set_resource_type(core::UNSPECIFIED);
  key.set_name(id);
  key.set_org(org);
  return key;
}

flyteadmin::Project WithDomains(flyteadmin::Project p) {
  p.clear_domains();
  const flyteadmin::GetDomainsResponse domains = Registry::Domains();  // outlives the loop
  for (const auto& d : domains.domains()) *p.add_domains() = d;
  return p;
}

}  // namespace

flyteadmin::GetDomainsResponse Registry::Domains() {
  flyteadmin::GetDomainsResponse out;
  for (const char* d : {"development", "staging", "production"}) {
    auto* domain = out.add_domains();
    domain->set_id(d);
    domain->set_name(d);
  }
  return out;
}

Status Registry::EnsureProject(const std::string& project, const std::string& org) {
  FLYTECPP_ASSIGN_OR_RETURN(auto known, store_->GetRegistered(ProjectKey(project, org)));
  if (known) return Status::Ok();
  store::RegisteredEntity e;
  e.id = ProjectKey(project, org);
  flyteadmin::Project p;
  p.set_id(project);
  p.set_name(project);
  p.set_org(org);
  e.closure = p.SerializeAsString();
  e.created_ns = e.updated_ns = NowNs();
  return store_->RegisterEntity(e).status();
}

Status Registry::RegisterProject(const flyteadmin::ProjectRegisterRequest& request) {
  const flyteadmin::Project& p = request.project();
  if (p.id().empty()) return InvalidArgument("missing project.id");
  if (p.name().empty()) return InvalidArgument("missing project.name");
  store::RegisteredEntity e;
  e.id = ProjectKey(p.id(), p.org());
  e.closure = p.SerializeAsString();
  e.state = p.state();
  e.created_ns = e.updated_ns = NowNs();
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(auto registered, store_->RegisterEntity(e));
  if (!registered.second) return AlreadyExists("project " + p.id() + " already exists");
  return Status::Ok();
}

Status Registry::UpdateProject(const flyteadmin::Project& project) {
  if (project.id().empty()) return InvalidArgument("missing id");
  std::lock_guard<std::mutex> lock(mu_);
  const core::Identifier key = ProjectKey(project.id(), project.org());
  FLYTECPP_ASSIGN_OR_RETURN(auto known, store_->GetRegistered(key));
  if (!known) return NotFound("project " + project.id() + " does not exist");
  return store_->UpdateRegistered(key, project.state(), project.SerializeAsString(), NowNs());
}

Result<flyteadmin::Project> Registry::GetProject(const flyteadmin::ProjectGetRequest& request) {
  if (request.id().empty()) return InvalidArgument("missing id");
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(auto known,
                            store_->GetRegistered(ProjectKey(request.id(), request.org())));
  if (!known) return NotFound("project " + request.id() + " does not exist");
  flyteadmin::Project p;
  p.ParseFromString(known->closure);
  return WithDomains(std::move(p));
}

Result<flyteadmin::Projects> Registry::ListProjects(const flyteadmin::ProjectListRequest& request) {
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<Predicate> filters, ParseFilters(request.filters()));
  FLYTECPP_ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.token()));
  const int limit =
      request.limit() == 0 ? 100 : static_cast<int>(std::min(request.limit(), 10000u));
  store::EntityQuery q;
  q.resource_type = core::UNSPECIFIED;
  q.org = request.org();
  q.sort_key = "name";
  q.ascending = true;
  q.limit = std::numeric_limits<int>::max();
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(auto rows, store_->ListRegistered(q));
  std::vector<flyteadmin::Project> kept;
  for (const auto& e : rows) {
    flyteadmin::Project p;
    p.ParseFromString(e.closure);
    FLYTECPP_ASSIGN_OR_RETURN(
        bool match, Matches(filters, [&](const std::string& f) -> std::optional<FieldValue> {
          const std::string field = OwnField(f, {"project"});
          if (field == "name") return FieldValue{p.name(), {}};
          if (field == "identifier" || field == "id") return FieldValue{p.id(), {}};
          if (field == "state") return FieldValue{std::to_string(p.state()), {}};
          return std::nullopt;
        }));
    if (match) kept.push_back(WithDomains(std::move(p)));
  }
  flyteadmin::Projects out;
  const size_t from = std::min<size_t>(offset, kept.size());
  const size_t to = std::min<size_t>(from + limit, kept.size());
  for (size_t i = from; i < to; ++i) *out.add_projects() = kept[i];
  if (to < kept.size()) out.set_token(std::to_string(to));
  return out;
}

// ---- Named entities -------------------------------------------------------------------

Result<flyteadmin::NamedEntityList> Registry::ListNamedEntities(
    const flyteadmin::NamedEntityListRequest& request) {
  if (request.project().empty()) return InvalidArgument("missing project");
  if (request.domain().empty()) return InvalidArgument("missing domain");
  if (request.resource_type() != core::TASK && request.resource_type() != core::WORKFLOW &&
      request.resource_type() != core::LAUNCH_PLAN) {
    return InvalidArgument("resource_type must be TASK, WORKFLOW or LAUNCH_PLAN");
  }
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<Predicate> filters, ParseFilters(request.filters()));
  FLYTECPP_ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.token()));
  store::EntityQuery q;
  q.resource_type = request.resource_type();
  q.project = request.project();
  q.domain = request.domain();
  q.org = request.org();
  q.sort_key = "name";
  q.ascending = !request.has_sort_by() || request.sort_by().key() != "name" ||
                request.sort_by().direction() == flyteadmin::Sort::ASCENDING;
  q.limit = std::numeric_limits<int>::max();
  std::vector<flyteadmin::NamedEntity> kept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_ASSIGN_OR_RETURN(auto rows, store_->ListRegistered(q));
    for (const auto& e : rows) {
      if (!kept.empty() && kept.back().id().name() == e.id.name()) continue;  // another version
      FLYTECPP_ASSIGN_OR_RETURN(
          bool match, Matches(filters, [&](const std::string& f) -> std::optional<FieldValue> {
            const std::string field = OwnField(f, {"named_entity", "entities"});
            if (field == "name") return FieldValue{e.id.name(), {}};
            if (field == "project") return FieldValue{e.id.project(), {}};
            if (field == "domain") return FieldValue{e.id.domain(), {}};
            return std::nullopt;
          }));
      if (!match) continue;
      flyteadmin::NamedEntity entity;
      entity.set_resource_type(request.resource_type());
      entity.mutable_id()->set_project(e.id.project());
      entity.mutable_id()->set_domain(e.id.domain());
      entity.mutable_id()->set_name(e.id.name());
      entity.mutable_id()->set_org(e.id.org());
      kept.push_back(std::move(entity));
    }
  }
  flyteadmin::NamedEntityList out;
  const size_t limit = std::min(request.limit(), 10000u);
  const size_t from = std::min(offset, kept.size());
  const size_t to = std::min(from + limit, kept.size());
  for (size_t i = from; i < to; ++i) *out.add_entities() = kept[i];
  if (to < kept.size()) out.set_token(std::to_string(to));
  return out;
}

Result<flyteadmin::NamedEntity> Registry::GetNamedEntity(
    const flyteadmin::NamedEntityGetRequest& request) {
  flyteadmin::ResourceListRequest list;
  list.mutable_id()->set_project(request.id().project());
  list.mutable_id()->set_domain(request.id().domain());
  list.mutable_id()->set_name(request.id().name());
  list.mutable_id()->set_org(request.id().org());
  list.set_limit(1);
  if (request.id().name().empty()) return InvalidArgument("missing id.name");
  std::string token;
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(auto rows, List(request.resource_type(), list, &token));
  if (rows.empty()) {
    return NotFound(std::string(core::ResourceType_Name(request.resource_type())) + " " +
                    request.id().project() + ":" + request.id().domain() + ":" +
                    request.id().name() + " does not exist");
  }
  flyteadmin::NamedEntity out;
  out.set_resource_type(request.resource_type());
  *out.mutable_id() = request.id();
  return out;
}

}  // namespace flytecpp::admin
