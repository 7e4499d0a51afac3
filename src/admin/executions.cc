#include "executions.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <random>

#include "filters.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/phases.h"

namespace flytecpp::admin {

namespace {

using google::protobuf::util::TimeUtil;

// flyteadmin's generated names: a letter, then 19 letters or digits.
std::string NewName() {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string name = "f";
  for (int i = 0; i < 19; ++i) name += kChars[rng() % 36];
  return name;
}

// A single task as the workflow flyteadmin makes for it (".flytegen.<task>"):
// its inputs in, its outputs out.
Result<core::CompiledWorkflowClosure> SingleTaskWorkflow(const flyteadmin::Task& task) {
  const core::TaskTemplate& t = task.closure().compiled_task().template_();
  idl::WorkflowBuilder wf(".flytegen." + t.id().name());
  wf.Project(t.id().project(), t.id().domain()).Version(t.id().version());
  auto node = idl::TaskNode(t.id().name(), t);
  for (const auto& [name, v] : t.interface().inputs().variables()) {
    wf.Input(name, v.type());
    node.Bind(name, idl::WorkflowInput(name));
  }
  wf.Add(node);
  for (const auto& [name, v] : t.interface().outputs().variables()) {
    wf.Output(name, v.type(), idl::Promise(t.id().name(), name));
  }
  return compiler::CompileWorkflow(wf.Build(), {}, {task.closure().compiled_task()}, {});
}

flyteadmin::Execution ToExecution(const store::ExecutionRecord& r) {
  flyteadmin::Execution e;
  e.mutable_id()->set_project(r.project);
  e.mutable_id()->set_domain(r.domain);
  e.mutable_id()->set_name(r.id);
  e.mutable_spec()->ParseFromString(r.spec);
  auto* c = e.mutable_closure();
  c->set_phase(r.phase);
  *c->mutable_created_at() = TimeUtil::NanosecondsToTimestamp(r.created_ns);
  *c->mutable_started_at() = c->created_at();
  *c->mutable_updated_at() = TimeUtil::NanosecondsToTimestamp(r.updated_ns);
  if (idl::IsTerminal(r.phase)) {
    *c->mutable_duration() = TimeUtil::NanosecondsToDuration(r.updated_ns - r.created_ns);
  }
  if (r.closure.has_primary()) {
    *c->mutable_workflow_id() = r.closure.primary().template_().id();
  } else if (!r.workflow_name.empty()) {  // a listing reads no closures: the name at least
    c->mutable_workflow_id()->set_resource_type(core::WORKFLOW);
    c->mutable_workflow_id()->set_name(r.workflow_name);
  }
  if (r.error) {
    if (r.phase == core::WorkflowExecution::ABORTED) {
      c->mutable_abort_metadata()->set_cause(r.error->message());
    } else {
      *c->mutable_error() = *r.error;
    }
  }
  return e;
}

}  // namespace

Executions::Executions(Registry& registry, EngineSource engine, std::unique_ptr<store::Store> store)
    : registry_(registry), engine_source_(std::move(engine)), store_(std::move(store)) {}

Result<engine::Engine*> Executions::GetEngine() {
  std::lock_guard<std::mutex> lock(engine_mu_);
  if (engine_ == nullptr) {
    FLYTECPP_ASSIGN_OR_RETURN(engine_, engine_source_());
    if (engine_ == nullptr) return Internal("no engine to run executions on");
  }
  return engine_;
}

Result<flyteadmin::ExecutionCreateResponse> Executions::Create(
    const flyteadmin::ExecutionCreateRequest& request, const CreateOptions& options) {
  if (request.project().empty()) return InvalidArgument("missing project");
  if (request.domain().empty()) return InvalidArgument("missing domain");
  const core::Identifier& target = request.spec().launch_plan();
  if (target.name().empty()) return InvalidArgument("missing spec.launch_plan");
  const std::string name = request.name().empty() ? NewName() : request.name();
  FLYTECPP_RETURN_IF_ERROR(engine::CheckExecutionName(name));

  engine::ExecutionRequest run;
  google::protobuf::RepeatedPtrField<flyteadmin::Notification> lp_notifications;
  if (target.resource_type() == core::TASK) {
    // A single task (flytekit's remote.execute(task)).
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::Task task, registry_.GetTask(target));
    FLYTECPP_ASSIGN_OR_RETURN(run.closure, SingleTaskWorkflow(task));
  } else {
    core::Identifier lp_id = target;
    lp_id.set_resource_type(core::LAUNCH_PLAN);
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::LaunchPlan lp, registry_.GetLaunchPlan(lp_id));
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::Workflow wf,
                              registry_.GetWorkflow(lp.spec().workflow_id()));
    engine::UseLaunchPlan(engine::TargetOf(lp.spec(), wf.closure().compiled_workflow()), &run);
    lp_notifications = lp.spec().entity_metadata().notifications();
  }
  // Inputs: the request's, else the spec's (deprecated, still sent by old clients).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  run.inputs = request.inputs().literals().empty() ? request.spec().inputs() : request.inputs();
#pragma GCC diagnostic pop
  if (request.spec().max_parallelism() > 0) {
    run.max_parallelism = static_cast<int>(request.spec().max_parallelism());
  }
  run.overwrite_cache = request.spec().overwrite_cache();
  run.execution_id = name;
  run.recover_from = options.recover_from;
  run.schedule_mark = options.schedule_mark;
  run.project = request.project();
  run.domain = request.domain();
  flyteadmin::ExecutionSpec spec = request.spec();
  if (!spec.has_metadata())
    spec.mutable_metadata()->set_mode(flyteadmin::ExecutionMetadata::MANUAL);
  // Whom it notifies (notifier.h): the request's notifications, else (unless
  // disable_all) its launch plan's, as flyteadmin decides.
  if (!spec.has_notifications() && !spec.disable_all() && !lp_notifications.empty()) {
    *spec.mutable_notifications()->mutable_notifications() = lp_notifications;
  }
  run.spec = spec.SerializeAsString();
  FLYTECPP_ASSIGN_OR_RETURN(engine::Engine * engine, GetEngine());
  auto submitted = engine->Submit(std::move(run));
  if (!submitted.ok()) {
    return submitted.status().code() == StatusCode::kAlreadyExists
               ? AlreadyExists("execution " + name + " already exists")
               : submitted.status();
  }
  flyteadmin::ExecutionCreateResponse out;
  out.mutable_id()->set_project(request.project());
  out.mutable_id()->set_domain(request.domain());
  out.mutable_id()->set_name(*submitted);
  return out;
}

Result<flyteadmin::ExecutionCreateRequest> Executions::Again(
    const core::WorkflowExecutionIdentifier& id, const std::string& name,
    flyteadmin::ExecutionMetadata::ExecutionMode mode) {
  store::ExecutionRecord original;
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_ASSIGN_OR_RETURN(original, Record(id));
  }
  flyteadmin::ExecutionCreateRequest create;
  create.set_project(original.project);
  create.set_domain(original.domain);
  create.set_name(name);
  create.mutable_spec()->ParseFromString(original.spec);
  auto* md = create.mutable_spec()->mutable_metadata();
  md->set_mode(mode);
  *md->mutable_reference_execution() = id;
  if (original.inputs) *create.mutable_inputs() = *original.inputs;
  return create;
}

Result<flyteadmin::ExecutionCreateResponse> Executions::Relaunch(
    const flyteadmin::ExecutionRelaunchRequest& request) {
  FLYTECPP_ASSIGN_OR_RETURN(
      flyteadmin::ExecutionCreateRequest create,
      Again(request.id(), request.name(), flyteadmin::ExecutionMetadata::RELAUNCH));
  create.mutable_spec()->set_overwrite_cache(request.overwrite_cache());
  return Create(create);
}

Result<flyteadmin::ExecutionCreateResponse> Executions::Recover(
    const flyteadmin::ExecutionRecoverRequest& request) {
  FLYTECPP_ASSIGN_OR_RETURN(
      flyteadmin::ExecutionCreateRequest create,
      Again(request.id(), request.name(), flyteadmin::ExecutionMetadata::RECOVERED));
  CreateOptions options;
  options.recover_from = request.id().name();
  return Create(create, options);
}

Result<store::ExecutionRecord> Executions::Record(const core::WorkflowExecutionIdentifier& id) {
  if (id.name().empty()) return InvalidArgument("missing id.name");
  auto r = store_->GetExecution(id.name());
  const std::string name = id.project() + ":" + id.domain() + ":" + id.name();
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound) {
      return NotFound("execution " + name + " does not exist");
    }
    return r.status();
  }
  if (r->project != id.project() || r->domain != id.domain()) {
    return NotFound("execution " + name + " does not exist (there is one named " + id.name() +
                    " in project " + r->project + ", domain " + r->domain + ")");
  }
  return r;
}

Result<flyteadmin::Execution> Executions::Get(const core::WorkflowExecutionIdentifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord r, Record(id));
  return ToExecution(r);
}

Result<flyteadmin::WorkflowExecutionGetDataResponse> Executions::GetData(
    const core::WorkflowExecutionIdentifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord r, Record(id));
  // The literals themselves: there is no blob store a client could read.
  flyteadmin::WorkflowExecutionGetDataResponse out;
  if (r.inputs) *out.mutable_full_inputs() = *r.inputs;
  if (r.outputs) *out.mutable_full_outputs() = *r.outputs;
  return out;
}

Result<flyteadmin::ExecutionList> Executions::List(const flyteadmin::ResourceListRequest& request) {
  if (request.id().project().empty()) return InvalidArgument("missing id.project");
  if (request.id().domain().empty()) return InvalidArgument("missing id.domain");
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<Predicate> filters, ParseFilters(request.filters()));
  const bool ascending =
      request.has_sort_by() && request.sort_by().direction() == flyteadmin::Sort::ASCENDING;
  if (request.has_sort_by() && request.sort_by().key() != "created_at" &&
      !request.sort_by().key().empty()) {
    return InvalidArgument("sort_by.key: cannot sort executions by \"" + request.sort_by().key() +
                           "\" (created_at)");
  }
  FLYTECPP_ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.token()));
  std::vector<store::ExecutionRecord> rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_ASSIGN_OR_RETURN(auto all, store_->ListExecutions());  // newest first
    for (auto& r : all) {
      if (!r.parent.empty() || r.project != request.id().project() ||
          r.domain != request.id().domain()) {
        continue;
      }
      flyteadmin::ExecutionSpec spec;
      spec.ParseFromString(r.spec);
      FLYTECPP_ASSIGN_OR_RETURN(
          bool match, Matches(filters, [&](const std::string& f) -> std::optional<FieldValue> {
            const std::string field = OwnField(f, {"execution"});
            if (field == "phase")
              return FieldValue{core::WorkflowExecution::Phase_Name(r.phase), {}};
            if (field == "name" || field == "execution_id") return FieldValue{r.id, {}};
            if (field == "created_at" || field == "started_at") return FieldValue{"", r.created_ns};
            if (field == "updated_at") return FieldValue{"", r.updated_ns};
            if (field == "workflow.name") return FieldValue{r.workflow_name, {}};
            if (field == "launch_plan.name") return FieldValue{spec.launch_plan().name(), {}};
            if (field == "mode") {
              return FieldValue{
                  flyteadmin::ExecutionMetadata::ExecutionMode_Name(spec.metadata().mode()), {}};
            }
            return std::nullopt;
          }));
      if (match) rows.push_back(std::move(r));
    }
  }
  if (ascending) std::reverse(rows.begin(), rows.end());
  flyteadmin::ExecutionList out;
  const size_t limit = std::min<size_t>(request.limit(), 10000);
  for (size_t i = offset; i < rows.size() && i < offset + limit; ++i) {
    *out.add_executions() = ToExecution(rows[i]);
  }
  if (offset + limit < rows.size()) out.set_token(std::to_string(offset + limit));
  return out;
}

Status Executions::Terminate(const flyteadmin::ExecutionTerminateRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_RETURN_IF_ERROR(Record(request.id()).status());
  }
  const std::string cause = request.cause().empty() ? "terminated" : request.cause();
  FLYTECPP_ASSIGN_OR_RETURN(engine::Engine * engine, GetEngine());
  auto outcome = engine->Abort(request.id().name(), cause);
  return outcome.ok() ? Status::Ok() : outcome.status();
}

// ---- Signals ----------------------------------------------------------------------------

namespace {

flyteadmin::Signal ToSignal(const core::WorkflowExecutionIdentifier& exec,
                            const engine::SignalState& state) {
  flyteadmin::Signal out;
  *out.mutable_id()->mutable_execution_id() = exec;
  out.mutable_id()->set_signal_id(state.signal_id);
  *out.mutable_type() = state.type;
  if (state.value) *out.mutable_value() = *state.value;
  return out;
}

}  // namespace

Status Executions::SetSignal(const flyteadmin::SignalSetRequest& request, const std::string& origin,
                             const std::string& reason) {
  const auto& exec = request.id().execution_id();
  if (request.id().signal_id().empty()) return InvalidArgument("missing id.signal_id");
  if (!request.has_value()) return InvalidArgument("missing value");
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_RETURN_IF_ERROR(Record(exec).status());
  }
  FLYTECPP_ASSIGN_OR_RETURN(engine::Engine * engine, GetEngine());
  return engine->Signal(exec.name(), request.id().signal_id(), request.value(), origin, reason);
}

Result<flyteadmin::SignalList> Executions::ListSignals(
    const flyteadmin::SignalListRequest& request) {
  const auto& exec = request.workflow_execution_id();
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  if (!request.filters().empty()) {
    return InvalidArgument("filters are not supported on this list yet: \"" + request.filters() +
                           "\"");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_RETURN_IF_ERROR(Record(exec).status());
  }
  FLYTECPP_ASSIGN_OR_RETURN(engine::Engine * engine, GetEngine());
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<engine::SignalState> states, engine->Signals(exec.name()));
  FLYTECPP_ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.token()));
  flyteadmin::SignalList out;
  const size_t end = std::min<size_t>(states.size(), offset + request.limit());
  for (size_t i = offset; i < end; ++i) *out.add_signals() = ToSignal(exec, states[i]);
  if (end < states.size()) out.set_token(std::to_string(end));
  return out;
}

Result<flyteadmin::Signal> Executions::GetOrCreateSignal(
    const flyteadmin::SignalGetOrCreateRequest& request) {
  const auto& exec = request.id().execution_id();
  if (request.id().signal_id().empty()) return InvalidArgument("missing id.signal_id");
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_RETURN_IF_ERROR(Record(exec).status());
  }
  FLYTECPP_ASSIGN_OR_RETURN(engine::Engine * engine, GetEngine());
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<engine::SignalState> states, engine->Signals(exec.name()));
  for (const auto& s : states) {
    if (s.signal_id == request.id().signal_id()) return ToSignal(exec, s);
  }
  // Not declared by a gate (yet): recorded with its type, as flyteadmin does.
  store::Batch batch;
  store::SignalRecord record;
  record.execution_id = exec.name();
  record.signal_id = request.id().signal_id();
  record.type = request.type();
  batch.signals.push_back(record);
  {
    std::lock_guard<std::mutex> lock(mu_);
    FLYTECPP_RETURN_IF_ERROR(store_->Commit(batch));
  }
  engine::SignalState created;
  created.signal_id = record.signal_id;
  created.type = request.type();
  return ToSignal(exec, created);
}

}  // namespace flytecpp::admin
