// CompileWorkflow and the order of its steps (flytepropeller
// workflow_compiler.go). See workflow_compiler.h for where each concern lives.
#include "workflow_compiler.h"

#include <algorithm>

#include "flytecpp/idl/identifiers.h"

namespace flytecpp::compiler {

namespace internal {

bool WorkflowCompiler::Compile() {
  const size_t mark = diag_.Mark();
  core::WorkflowTemplate& t = tmpl();
  if (t.nodes_size() == 0) {
    std::string key = IdKey(t.id());
    diag_.Add(ErrorCode::kNoNodesFound, key, msg::NoNodesFound(key));
    return false;
  }
  if (!ValidateInterface(std::string(kStartNode), t.mutable_interface())) return false;

  std::vector<core::Node*> user_nodes;
  IndexNodes(&user_nodes);
  // Every node is indexed before any is validated, so bindings may name nodes
  // in any order (the reference resolves branch/gate bindings against the
  // nodes listed earlier only).
  for (core::Node* n : user_nodes) ValidateNode(n);
  for (core::Node* n : order_) {
    if (n->id() != kStartNode) AddEdges(n, EdgeDirection::kBidirectional);
  }
  if (t.has_failure_node()) {
    ValidateNode(t.mutable_failure_node());
    AddEdges(t.mutable_failure_node(), EdgeDirection::kUpstream);
  }
  AddOrphanEdges();
  ValidateReachable();
  // end-node's inputs are the workflow outputs, with promises resolved.
  *t.mutable_outputs() = index_.at(kEndNode)->inputs();
  WriteConnections();
  return diag_.CleanSince(mark);
}

bool WorkflowCompiler::IndexNodes(std::vector<core::Node*>* user_nodes) {
  core::WorkflowTemplate& t = tmpl();
  auto* nodes = t.mutable_nodes();
  std::vector<core::Node*> originals(static_cast<size_t>(nodes->size()));
  nodes->ExtractSubrange(0, nodes->size(), originals.data());
  index_.reserve(originals.size() + 2);
  ctx_.nodes.reserve(ctx_.nodes.size() + originals.size() + 2);
  workflow_->mutable_connections()->Clear();

  auto* start = new core::Node;
  start->set_id(std::string(kStartNode));
  nodes->AddAllocated(start);
  NodeInfo& si = ctx_.nodes[start];
  si.interface_computed = true;
  si.owned_interface.emplace();
  *si.owned_interface->mutable_outputs() = t.interface().inputs();
  si.interface = &*si.owned_interface;

  auto* end = new core::Node;
  end->set_id(std::string(kEndNode));
  *end->mutable_inputs() = t.outputs();
  nodes->AddAllocated(end);
  NodeInfo& ei = ctx_.nodes[end];
  ei.interface_computed = true;
  ei.owned_interface.emplace();
  *ei.owned_interface->mutable_inputs() = t.interface().outputs();
  ei.interface = &*ei.owned_interface;

  index_[start->id()] = start;
  index_[end->id()] = end;
  order_ = {start, end};
  bool ok = true;
  for (core::Node* node : originals) {
    if (index_.count(node->id())) {
      // The reference drops such a node silently; flytecpp says so.
      diag_.Add(ErrorCode::kDuplicateId, node->id(), msg::DuplicateNodeId(node->id()));
      dropped_.emplace_back(node);
      ok = false;
      continue;
    }
    index_[node->id()] = node;
    order_.push_back(node);
    nodes->AddAllocated(node);
    user_nodes->push_back(node);
  }
  return ok;
}

bool WorkflowCompiler::ValidateNode(core::Node* node) {
  const size_t mark = diag_.Mark();
  if (node->id().empty()) {
    diag_.Add(ErrorCode::kValueRequired, "<empty>", msg::ValueRequired("Id"));
  }
  if (node->id() == kStartNode || node->id() == kEndNode) return true;
  if (UnderlyingInterface(node) != nullptr) ValidateOutputAliases(node);
  auto* up = node->mutable_upstream_node_ids();
  std::sort(up->begin(), up->end());

  switch (node->target_case()) {
    case core::Node::kBranchNode: {
      std::vector<core::Node*> discovered;
      if (ValidateBranchNode(node, &discovered)) {
        for (core::Node* sub : discovered) AddEdges(sub, EdgeDirection::kUpstream);
      }
      break;
    }
    case core::Node::kWorkflowNode:
      if (node->workflow_node().has_sub_workflow_ref()) CompileSubWorkflow(node);
      break;
    case core::Node::kTaskNode:
      if (node->task_node().has_reference_id()) {
        std::string key = IdKey(node->task_node().reference_id());
        if (!ctx_.tasks.count(key)) {
          diag_.Add(ErrorCode::kTaskReferenceNotFound, node->id(), msg::TaskReferenceNotFound(key));
        }
      }
      break;
    case core::Node::kArrayNode: {
      // A mapped sub-workflow is compiled like any other.
      core::Node* sub = node->mutable_array_node()->mutable_node();
      if (sub->has_workflow_node() && sub->workflow_node().has_sub_workflow_ref()) {
        CompileSubWorkflow(sub);
      }
      break;
    }
    default: break;  // launch plans, gates: nothing more here
  }
  return diag_.CleanSince(mark);
}

void WorkflowCompiler::CompileSubWorkflow(core::Node* node) {
  std::string key = IdKey(node->workflow_node().sub_workflow_ref());
  auto it = ctx_.sub_workflows.find(key);
  if (it == ctx_.sub_workflows.end()) {
    diag_.Add(ErrorCode::kWorkflowReferenceNotFound, node->id(),
              msg::WorkflowReferenceNotFound(key));
    return;
  }
  if (ctx_.compiling.count(key)) {
    // A workflow that contains itself would never finish.
    diag_.Add(ErrorCode::kCycleDetected, node->id(), msg::CycleDetected({IdKey(tmpl().id()), key}));
    return;
  }
  // Each sub-workflow is compiled once, however many levels reach it (the
  // reference compiles it again per level and prefixes branch ids twice).
  if (!ctx_.compiled_sub_workflows.insert(key).second) return;
  ctx_.compiling.insert(key);
  WorkflowCompiler(it->second, ctx_).Compile();
  ctx_.compiling.erase(key);
}

}  // namespace internal

LaunchPlanInterface LaunchPlanInterfaceOf(const flyteidl::admin::LaunchPlan& launch_plan) {
  LaunchPlanInterface out;
  out.id = launch_plan.id();
  out.expected_inputs = launch_plan.closure().expected_inputs();
  out.expected_outputs = launch_plan.closure().expected_outputs();
  return out;
}

LaunchPlanInterface LaunchPlanInterfaceOf(
    const flyteidl::admin::LaunchPlan& launch_plan,
    const flyteidl::core::TypedInterface& workflow_interface) {
  LaunchPlanInterface out;
  out.id = launch_plan.id();
  const auto& spec = launch_plan.spec();
  const auto& fixed = spec.fixed_inputs().literals();
  auto* params = out.expected_inputs.mutable_parameters();
  if (spec.default_inputs().parameters_size() > 0) {
    for (const auto& [name, p] : spec.default_inputs().parameters()) {
      if (!fixed.count(name)) (*params)[name] = p;
    }
  } else {
    // No defaults given: every input not fixed is the caller's to give.
    for (const auto& [name, v] : workflow_interface.inputs().variables()) {
      if (fixed.count(name)) continue;
      flyteidl::core::Parameter& p = (*params)[name];
      *p.mutable_var() = v;
      p.set_required(true);
    }
  }
  out.expected_outputs = workflow_interface.outputs();
  return out;
}

Result<CompiledWorkflowClosure> CompileWorkflow(
    const WorkflowTemplate& primary, const std::vector<WorkflowTemplate>& sub_workflows,
    const std::vector<CompiledTask>& tasks, const std::vector<LaunchPlanInterface>& launch_plans,
    std::vector<CompileError>* errors) {
  namespace msg = internal::msg;
  using internal::IdKey;
  internal::CompileContext ctx;
  internal::Diagnostics& diag = ctx.diag;
  const std::string what = "workflow " + primary.id().name();
  auto fail = [&]() -> Result<CompiledWorkflowClosure> {
    if (errors != nullptr) *errors = diag.Sorted();
    return diag.ToStatus(what);
  };

  CompiledWorkflowClosure closure;
  *closure.mutable_primary()->mutable_template_() = primary;
  for (const CompiledTask& task : tasks) {
    if (!task.has_template_() || !task.template_().has_id()) {
      diag.Add(ErrorCode::kValueRequired, "task", msg::ValueRequired("Template.Id"));
      return fail();
    }
    std::string key = IdKey(task.template_().id());
    if (ctx.tasks.count(key)) continue;  // the first of an id wins
    CompiledTask* added = closure.add_tasks();
    *added = task;
    ctx.tasks[key] = added->mutable_template_();
  }
  for (size_t i = 0; i < sub_workflows.size(); ++i) {
    const WorkflowTemplate& sub = sub_workflows[i];
    auto* compiled = closure.add_sub_workflows();
    *compiled->mutable_template_() = sub;
    if (!sub.has_id()) {
      diag.Add(ErrorCode::kValueRequired, "root",
               msg::ValueRequired("sub_workflows[" + std::to_string(i) + "].id"));
      continue;
    }
    std::string key = IdKey(sub.id());
    if (!ctx.sub_workflows.emplace(key, compiled).second) {
      diag.Add(ErrorCode::kDuplicateId, key, msg::DuplicateWorkflowId(key));
    }
  }
  if (!diag.empty()) return fail();
  for (const LaunchPlanInterface& lp : launch_plans) ctx.launch_plans.emplace(IdKey(lp.id), &lp);

  internal::RequirementSet reqs;
  internal::CollectRequirements(
      primary,
      [&](const Identifier& id) -> const WorkflowTemplate* {
        auto it = ctx.sub_workflows.find(IdKey(id));
        return it == ctx.sub_workflows.end() ? nullptr : &it->second->template_();
      },
      &reqs);
  for (const auto& [node, key] : reqs.missing_sub_workflows) {
    diag.Add(ErrorCode::kWorkflowReferenceNotFound, node, msg::WorkflowReferenceNotFound(key));
  }
  for (const auto& [key, id] : reqs.launch_plans) {
    if (!ctx.launch_plans.count(key)) {
      diag.Add(ErrorCode::kWorkflowReferenceNotFound, "start-node",
               msg::WorkflowReferenceNotFound(key));
    }
  }
  for (const auto& [key, id] : reqs.tasks) {
    if (!ctx.tasks.count(key)) {
      diag.Add(ErrorCode::kTaskReferenceNotFound, "start-node", msg::TaskReferenceNotFound(key));
    }
  }
  if (!diag.empty()) return fail();

  ctx.compiling.insert(IdKey(primary.id()));
  internal::WorkflowCompiler(closure.mutable_primary(), ctx).Compile();
  if (!diag.empty()) return fail();
  if (errors != nullptr) errors->clear();
  return closure;
}

}  // namespace flytecpp::compiler
