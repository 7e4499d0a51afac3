#include "dynamic.h"

#include <filesystem>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::engine::internal::dynamic {

namespace {

// The engine's copy of the spec, beside the attempt's outputs. Not the
// task's own futures.pb: a task killed while writing that leaves half a file,
// and this one's presence is what tells a resume the workflow was generated.
std::string SpecPath(const Scope* s, int i) {
  return s->data.DynamicJobSpecPath(s->Path(i), s->nodes[i].attempts);
}

// The launch plans the spec's nodes name, as the compiler needs them.
Result<std::vector<compiler::LaunchPlanInterface>> LaunchPlansOf(Executor& x,
                                                                 const core::DynamicJobSpec& spec) {
  std::vector<compiler::LaunchPlanInterface> out;
  for (const auto& node : spec.nodes()) {
    if (!node.has_workflow_node() || !node.workflow_node().has_launchplan_ref()) continue;
    const auto& id = node.workflow_node().launchplan_ref();
    FLYTECPP_ASSIGN_OR_RETURN(LaunchPlanTarget target, x.ResolveLaunchPlan(id));
    compiler::LaunchPlanInterface lp;
    lp.id = id;
    const auto& iface = target.closure.primary().template_().interface();
    for (const auto& [name, var] : iface.inputs().variables()) {
      core::Parameter& param = (*lp.expected_inputs.mutable_parameters())[name];
      *param.mutable_var() = var;
      auto d = target.default_inputs.parameters().find(name);
      if (d != target.default_inputs.parameters().end() && d->second.has_default_()) {
        *param.mutable_default_() = d->second.default_();
      } else if (!target.fixed_inputs.literals().count(name)) {
        param.set_required(true);
      }
    }
    lp.expected_outputs = iface.outputs();
    out.push_back(std::move(lp));
  }
  return out;
}

// The generated workflow: the spec's nodes and output bindings, the parent
// task's outputs as its interface.
Result<core::CompiledWorkflowClosure> Compile(Executor& x, const Scope* s, int i,
                                              const core::DynamicJobSpec& spec) {
  const core::TaskTemplate& task = *s->plan->nodes[i].task;
  core::WorkflowTemplate wf;
  auto* id = wf.mutable_id();
  id->set_resource_type(core::WORKFLOW);
  id->set_project(task.id().project());
  id->set_domain(task.id().domain());
  id->set_name("dynamic_" + s->Path(i));
  id->set_version(task.id().version());
  *wf.mutable_interface()->mutable_outputs() = task.interface().outputs();
  *wf.mutable_nodes() = spec.nodes();
  *wf.mutable_outputs() = spec.outputs();
  std::vector<compiler::CompiledTask> tasks;
  for (const auto& t : spec.tasks()) {
    compiler::CompiledTask c;
    *c.mutable_template_() = t;
    tasks.push_back(std::move(c));
  }
  std::vector<core::WorkflowTemplate> subs(spec.subworkflows().begin(), spec.subworkflows().end());
  FLYTECPP_ASSIGN_OR_RETURN(auto lps, LaunchPlansOf(x, spec));
  std::vector<compiler::CompileError> errors;
  auto closure = compiler::CompileWorkflow(wf, subs, tasks, lps, &errors);
  if (closure.ok()) return closure;
  std::string why;
  for (const auto& e : errors) why += (why.empty() ? "" : "; ") + e.ToString();
  return InvalidArgument(why.empty() ? closure.status().message() : why);
}

// The child scope running the generated workflow; null (the node failed) if
// it does not compile.
Scope* Build(Executor& x, Scope* s, int i, const core::DynamicJobSpec& spec) {
  const std::string task = s->plan->nodes[i].task->id().name();
  auto fail = [&](const std::string& why) -> Scope* {
    x.Fail(s, i,
           MakeError(core::ExecutionError::USER, "DynamicWorkflowBuildFailed",
                     "dynamic workflow of task " + task + " (node " + s->Path(i) + "): " + why));
    return nullptr;
  };
  auto closure = Compile(x, s, i, spec);
  if (!closure.ok()) return fail(closure.status().message());
  auto plans = PlanSet::Build(std::move(closure).value());
  if (!plans.ok()) return fail(plans.status().message());
  NodeState& n = s->nodes[i];
  const Plan* plan = &(*plans)->primary();
  n.child = x.NewScope(s->exec, plan, s->execution_id, s->Path(i) + "/", s, i);
  n.child->owned_plans = std::move(plans).value();
  n.child->inputs = std::make_shared<const core::LiteralMap>();
  return n.child.get();
}

}  // namespace

void Start(Executor& x, Scope* s, int i, const core::DynamicJobSpec& spec) {
  // Stored, whole or not at all, before anything of it is: a resume
  // continues inside it.
  Status written = store::WriteProtoAtomically(SpecPath(s, i), spec);
  if (!written.ok()) {
    x.Fail(s, i, MakeError(core::ExecutionError::SYSTEM, "DataWriteFailed", written.message()));
    return;
  }
  Scope* child = Build(x, s, i, spec);
  if (child == nullptr) return;
  // What the API shows as the node's dynamic workflow (GetNodeExecutionData).
  written = store::WriteProto(s->data.DynamicWorkflowPath(s->Path(i), s->nodes[i].attempts),
                              child->owned_plans->closure());
  if (!written.ok()) {
    x.Fail(s, i, MakeError(core::ExecutionError::SYSTEM, "DataWriteFailed", written.message()));
    return;
  }
  x.StartScope(child);
}

bool Resume(Executor& x, Scope* s, int i) {
  const std::string path = SpecPath(s, i);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  core::DynamicJobSpec spec;
  Status read = store::ReadProto(path, &spec);
  if (!read.ok()) {
    x.Fail(s, i, MakeError(core::ExecutionError::SYSTEM, "DataReadFailed", read.message()));
    return true;
  }
  if (Scope* child = Build(x, s, i, spec)) x.RestoreScope(child);
  return true;
}

}  // namespace flytecpp::engine::internal::dynamic
