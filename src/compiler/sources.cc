#include "flytecpp/compiler/sources.h"

#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/package.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "flyteidl/core/workflow_closure.pb.h"

namespace flytecpp::compiler {

namespace core = flyteidl::core;
namespace admin = flyteidl::admin;

namespace {

Status AddTasksFrom(const google::protobuf::Message& m, WorkflowSources* out,
                    const std::filesystem::path& path) {
  if (auto* spec = dynamic_cast<const admin::TaskSpec*>(&m)) {
    out->tasks.push_back(spec->template_());
  } else if (auto* t = dynamic_cast<const core::TaskTemplate*>(&m)) {
    out->tasks.push_back(*t);
  } else if (auto* ct = dynamic_cast<const core::CompiledTask*>(&m)) {
    out->tasks.push_back(ct->template_());
  } else if (auto* closure = dynamic_cast<const core::WorkflowClosure*>(&m)) {
    out->tasks.insert(out->tasks.end(), closure->tasks().begin(), closure->tasks().end());
  } else {
    return InvalidArgument(path.string() + ": holds a " + m.GetDescriptor()->name() +
                           ", expected tasks (TaskSpec, TaskTemplate, CompiledTask or "
                           "WorkflowClosure)");
  }
  return Status::Ok();
}

}  // namespace

Result<WorkflowSources> LoadWorkflowSources(const std::filesystem::path& input,
                                            const std::vector<std::filesystem::path>& task_files) {
  WorkflowSources out;
  if (idl::IsPackagePath(input)) {
    FLYTECPP_ASSIGN_OR_RETURN(idl::Package pkg, idl::ReadPackage(input));
    for (auto& e : pkg.entities) {
      switch (e.kind) {
        case idl::EntityKind::kTask: out.tasks.push_back(e.task.template_()); break;
        case idl::EntityKind::kWorkflow:
          out.workflows.push_back(
              {e.workflow.template_(),
               {e.workflow.sub_workflows().begin(), e.workflow.sub_workflows().end()}});
          break;
        case idl::EntityKind::kLaunchPlan: out.launch_plans.push_back(e.launch_plan); break;
      }
    }
    out.bundles = std::move(pkg.bundles);
  } else {
    FLYTECPP_ASSIGN_OR_RETURN(idl::LoadedMessage loaded, idl::LoadMessage(input));
    const google::protobuf::Message& m = *loaded.message;
    if (auto* spec = dynamic_cast<const admin::WorkflowSpec*>(&m)) {
      out.workflows.push_back(
          {spec->template_(), {spec->sub_workflows().begin(), spec->sub_workflows().end()}});
    } else if (auto* closure = dynamic_cast<const core::WorkflowClosure*>(&m)) {
      out.workflows.push_back({closure->workflow(), {}});
      out.tasks.assign(closure->tasks().begin(), closure->tasks().end());
    } else if (auto* t = dynamic_cast<const core::WorkflowTemplate*>(&m)) {
      out.workflows.push_back({*t, {}});
    } else if (AddTasksFrom(m, &out, input).ok()) {
      // a task file: `flytecpp run --task` runs it alone
    } else {
      return InvalidArgument(input.string() + ": holds a " + m.GetDescriptor()->name() +
                             ", expected a package, WorkflowSpec or WorkflowClosure");
    }
  }
  for (const auto& f : task_files) {
    auto loaded_or = idl::LoadMessage(f);
    if (!loaded_or.ok()) {
      // {template: ...} is both a TaskSpec and a CompiledTask; either will do.
      auto as_spec = idl::LoadMessage(f, admin::TaskSpec::descriptor());
      if (!as_spec.ok()) return loaded_or.status();
      loaded_or = std::move(as_spec);
    }
    idl::LoadedMessage loaded = std::move(loaded_or).value();
    FLYTECPP_RETURN_IF_ERROR(AddTasksFrom(*loaded.message, &out, f));
  }
  return out;
}

Result<const WorkflowSources::Entry*> FindWorkflow(const WorkflowSources& sources,
                                                   const std::string& name) {
  if (sources.workflows.empty()) return InvalidArgument("the input holds no workflow");
  if (name.empty()) {
    if (sources.workflows.size() == 1) return &sources.workflows[0];
    std::string names;
    for (const auto& e : sources.workflows) names += " " + e.workflow.id().name();
    return InvalidArgument("several workflows; choose one with --workflow:" + names);
  }
  const WorkflowSources::Entry* found = nullptr;
  for (const auto& e : sources.workflows) {
    const std::string& full = e.workflow.id().name();
    std::string short_name = full.substr(full.rfind('.') + 1);
    if (full == name || short_name == name) {
      if (found != nullptr && found->workflow.id().name() != full) {
        return InvalidArgument("workflow name \"" + name + "\" is ambiguous; use the full name");
      }
      if (found == nullptr) found = &e;
    }
  }
  if (found == nullptr) return NotFound("no workflow named \"" + name + "\"");
  return found;
}

Result<CompiledWorkflowClosure> CompileFromSources(const WorkflowSources& sources,
                                                   const WorkflowSources::Entry& entry,
                                                   std::vector<CompileError>* errors) {
  std::vector<CompileError> all_errors;
  auto reqs = GetRequirements(entry.workflow, entry.sub_workflows, &all_errors);
  if (!reqs.ok()) {
    if (errors != nullptr) *errors = all_errors;
    return reqs.status();
  }
  std::map<std::string, const TaskTemplate*> by_id;
  for (const auto& t : sources.tasks) by_id.emplace(idl::IdentifierString(t.id()), &t);
  std::vector<CompiledTask> tasks;
  for (const auto& id : reqs->task_ids) {
    auto it = by_id.find(idl::IdentifierString(id));
    if (it == by_id.end()) continue;  // CompileWorkflow reports it, with the others
    std::vector<CompileError> task_errors;
    auto compiled = CompileTask(*it->second, &task_errors);
    if (!compiled.ok()) {
      // Task errors name a part of the task ("container"); say which task.
      for (auto& e : task_errors) e.node_id = it->second->id().name() + "/" + e.node_id;
      all_errors.insert(all_errors.end(), task_errors.begin(), task_errors.end());
      continue;
    }
    tasks.push_back(std::move(compiled).value());
  }
  if (!all_errors.empty()) {
    if (errors != nullptr) *errors = all_errors;
    return InvalidArgument("workflow " + entry.workflow.id().name() + ": its tasks do not compile");
  }
  // Launch plans are seen through the interface of the workflow they launch.
  std::map<std::string, const WorkflowTemplate*> workflows;
  for (const auto& e : sources.workflows) {
    workflows.emplace(idl::IdentifierString(e.workflow.id()), &e.workflow);
  }
  std::vector<LaunchPlanInterface> lps;
  for (const auto& lp : sources.launch_plans) {
    auto it = workflows.find(idl::IdentifierString(lp.spec().workflow_id()));
    if (lp.closure().expected_inputs().parameters_size() > 0 || it == workflows.end()) {
      lps.push_back(LaunchPlanInterfaceOf(lp));
    } else {
      lps.push_back(LaunchPlanInterfaceOf(lp, it->second->interface()));
    }
  }
  return CompileWorkflow(entry.workflow, entry.sub_workflows, tasks, lps, errors);
}

}  // namespace flytecpp::compiler
