// Node interfaces by kind, interface normalisation and output aliases
// (flytepropeller validators/interface.go, validators/node.go).
#include "flytecpp/idl/identifiers.h"
#include "workflow_compiler.h"

namespace flytecpp::compiler::internal {

namespace {
// Whether `node` binds an input named `name`.
bool Binds(const core::Node& node, const std::string& name) {
  for (const auto& b : node.inputs()) {
    if (b.var() == name) return true;
  }
  return false;
}
}  // namespace

bool WorkflowCompiler::ValidateInterface(const std::string& node_id, core::TypedInterface* iface) {
  const size_t mark = diag_.Mark();
  // Both maps are always present afterwards (they appear as {} in the closure).
  for (core::VariableMap* vars : {iface->mutable_inputs(), iface->mutable_outputs()}) {
    for (const auto& [name, v] : vars->variables()) {
      if (name.empty()) {
        diag_.Add(ErrorCode::kValueRequired, node_id, msg::ValueRequired("variable name"));
      } else if (!v.has_type()) {
        diag_.Add(ErrorCode::kValueRequired, node_id, msg::ValueRequired(name + ".type"));
      }
    }
  }
  return diag_.CleanSince(mark);
}

const core::TypedInterface* WorkflowCompiler::UnderlyingInterface(core::Node* node) {
  NodeInfo& info = ctx_.nodes[node];
  if (info.interface_computed) return info.interface;
  // Marked before computing: a node reached again while its own interface is
  // being worked out (bindings in a loop) simply has none.
  info.interface_computed = true;

  const size_t mark = diag_.Mark();
  core::TypedInterface local;
  core::TypedInterface* iface = nullptr;  // points at `local` or at a task's own interface
  const std::string& id = node->id();
  switch (node->target_case()) {
    case core::Node::kTaskNode: {
      const auto& tn = node->task_node();
      if (!tn.has_reference_id()) {
        diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("TaskNode.ReferenceId"));
        break;
      }
      std::string key = IdKey(tn.reference_id());
      auto it = ctx_.tasks.find(key);
      if (it == ctx_.tasks.end()) {
        diag_.Add(ErrorCode::kTaskReferenceNotFound, id, msg::TaskReferenceNotFound(key));
        break;
      }
      // The task's own interface is normalised in place, as in the reference:
      // the closure's tasks then carry both inputs and outputs.
      iface = it->second->has_interface() ? it->second->mutable_interface() : &local;
      break;
    }
    case core::Node::kWorkflowNode: {
      const auto& wn = node->workflow_node();
      if (wn.has_launchplan_ref()) {
        std::string key = IdKey(wn.launchplan_ref());
        if (key == IdKey(tmpl().id())) {  // a workflow launching itself
          local = tmpl().interface();
          iface = &local;
          break;
        }
        auto it = ctx_.launch_plans.find(key);
        if (it == ctx_.launch_plans.end()) {
          diag_.Add(ErrorCode::kWorkflowReferenceNotFound, id, msg::WorkflowReferenceNotFound(key));
          break;
        }
        // Exposed inputs: the required parameters and those this node binds.
        auto* inputs = local.mutable_inputs()->mutable_variables();
        for (const auto& [name, p] : it->second->expected_inputs.parameters()) {
          if (p.required() || Binds(*node, name)) (*inputs)[name] = p.var();
        }
        *local.mutable_outputs() = it->second->expected_outputs;
        iface = &local;
      } else if (wn.has_sub_workflow_ref()) {
        std::string key = IdKey(wn.sub_workflow_ref());
        auto it = ctx_.sub_workflows.find(key);
        if (it == ctx_.sub_workflows.end()) {
          diag_.Add(ErrorCode::kWorkflowReferenceNotFound, id, msg::WorkflowReferenceNotFound(key));
          break;
        }
        if (!it->second->template_().has_interface()) {
          diag_.Add(ErrorCode::kValueRequired, id,
                    msg::ValueRequired("WorkflowNode.Template.Interface"));
          break;
        }
        local = it->second->template_().interface();
        iface = &local;
      } else {
        diag_.Add(ErrorCode::kWorkflowReferenceNotFound, id,
                  msg::WorkflowReferenceNotFound("(no launch plan or sub-workflow reference)"));
      }
      break;
    }
    case core::Node::kBranchNode: {
      auto branch = BranchInterface(node);
      if (branch) {
        local = std::move(*branch);
        iface = &local;
      }
      break;
    }
    case core::Node::kGateNode: {
      const auto& gate = node->gate_node();
      if (gate.has_approve()) {
        // An approve gate passes its inputs through: its interface is whatever
        // its own bindings provide.
        core::VariableMap vars;
        ValidateBindings(node, node->mutable_inputs(), nullptr, /*check_types=*/false,
                         EdgeDirection::kUpstream, &vars);
        *local.mutable_inputs() = vars;
        *local.mutable_outputs() = vars;
        iface = &local;
      } else if (gate.has_signal()) {
        if (!gate.signal().has_type()) {
          diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("GateNode.Signal.Type"));
        } else if (gate.signal().output_variable_name().empty()) {
          diag_.Add(ErrorCode::kValueRequired, id,
                    msg::ValueRequired("GateNode.Signal.OutputVariableName"));
        } else {
          local.mutable_inputs();
          auto& v =
              (*local.mutable_outputs()->mutable_variables())[gate.signal().output_variable_name()];
          *v.mutable_type() = gate.signal().type();
          iface = &local;
        }
      } else if (gate.has_sleep()) {
        iface = &local;
      } else {
        diag_.Add(ErrorCode::kNoConditionFound, id, msg::NoConditionFound(id));
      }
      break;
    }
    case core::Node::kArrayNode: {
      // The sub-node's interface as is: flytekit writes it with collections.
      // With is_original_sub_node_interface (which Flyte ignores) the
      // sub-node's interface is per element (a sub-workflow's, say): the
      // array's is made of collections of it, bound inputs left whole.
      const auto& an = node->array_node();
      if (!an.has_node()) {
        diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("ArrayNode.Node"));
        break;
      }
      const core::TypedInterface* sub =
          UnderlyingInterface(node->mutable_array_node()->mutable_node());
      if (sub != nullptr) {
        local = *sub;
        if (an.has_is_original_sub_node_interface() &&
            an.is_original_sub_node_interface().value()) {
          auto listed = [](core::Variable& v) {
            core::LiteralType element = v.type();
            *v.mutable_type()->mutable_collection_type() = std::move(element);
          };
          for (auto& [name, v] : *local.mutable_inputs()->mutable_variables()) {
            if (std::find(an.bound_inputs().begin(), an.bound_inputs().end(), name) ==
                an.bound_inputs().end()) {
              listed(v);
            }
          }
          for (auto& [name, v] : *local.mutable_outputs()->mutable_variables()) listed(v);
        }
        iface = &local;
      }
      break;
    }
    case core::Node::TARGET_NOT_SET:
      diag_.Add(ErrorCode::kValueRequired, id, msg::ValueRequired("Target"));
      break;
  }
  if (iface != nullptr) ValidateInterface(id, iface);
  if (iface != nullptr && diag_.CleanSince(mark)) {
    if (iface == &local) {
      info.owned_interface = std::move(local);
      info.interface = &*info.owned_interface;
    } else {
      info.interface = iface;  // the task's own interface: stable, no copy
    }
  }
  return info.interface;
}

bool WorkflowCompiler::ValidateOutputAliases(core::Node* node) {
  const size_t mark = diag_.Mark();
  std::map<std::string, std::string> alias_of;
  for (const auto& a : node->output_aliases()) {
    if (!alias_of.emplace(a.var(), a.alias()).second) {
      diag_.Add(ErrorCode::kDuplicateAlias, node->id(), msg::DuplicateAlias(a.alias()));
    }
  }
  // Two outputs under one alias would make the alias ambiguous downstream.
  std::set<std::string> seen;
  for (const auto& [var, alias] : alias_of) {
    if (!seen.insert(alias).second) {
      diag_.Add(ErrorCode::kDuplicateAlias, node->id(), msg::DuplicateAlias(alias));
    }
  }
  const core::TypedInterface* iface = UnderlyingInterface(node);
  if (iface != nullptr) {
    for (const auto& [var, alias] : alias_of) {
      if (!iface->outputs().variables().count(var)) {
        diag_.Add(ErrorCode::kParameterNotBound, node->id(), msg::ParameterNotBound(alias));
      }
    }
  }
  return diag_.CleanSince(mark);
}

const core::VariableMap* WorkflowCompiler::EffectiveOutputs(core::Node* node) {
  const core::TypedInterface* iface = UnderlyingInterface(node);
  if (iface == nullptr) return nullptr;
  if (node->output_aliases_size() == 0) return &iface->outputs();
  NodeInfo& info = ctx_.nodes[node];
  if (!info.outputs_computed) {
    info.outputs_computed = true;
    if (ValidateOutputAliases(node)) {
      std::map<std::string, std::string> alias_of;
      for (const auto& a : node->output_aliases()) alias_of.emplace(a.var(), a.alias());
      core::VariableMap out;
      for (const auto& [name, v] : iface->outputs().variables()) {
        auto it = alias_of.find(name);
        (*out.mutable_variables())[it == alias_of.end() ? name : it->second] = v;
      }
      info.aliased_outputs = std::move(out);
    }
  }
  return info.aliased_outputs ? &*info.aliased_outputs : nullptr;
}

}  // namespace flytecpp::compiler::internal
