#include "flytecpp/idl/nodes.h"

namespace flytecpp::idl {

namespace core = flyteidl::core;

NodeKind NodeKindOf(const core::Node& n) {
  switch (n.target_case()) {
    case core::Node::kTaskNode: return NodeKind::kTask;
    case core::Node::kWorkflowNode:
      return n.workflow_node().has_launchplan_ref() ? NodeKind::kLaunchPlan
                                                    : NodeKind::kSubWorkflow;
    case core::Node::kBranchNode: return NodeKind::kBranch;
    case core::Node::kGateNode: return NodeKind::kGate;
    case core::Node::kArrayNode: return NodeKind::kArray;
    case core::Node::TARGET_NOT_SET: break;
  }
  if (n.id() == "start-node") return NodeKind::kStart;
  if (n.id() == "end-node") return NodeKind::kEnd;
  return NodeKind::kUnset;
}

std::string_view NodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kStart: return "start";
    case NodeKind::kEnd: return "end";
    case NodeKind::kTask: return "task";
    case NodeKind::kBranch: return "branch";
    case NodeKind::kGate: return "gate";
    case NodeKind::kSubWorkflow: return "sub_workflow";
    case NodeKind::kLaunchPlan: return "launch_plan";
    case NodeKind::kArray: return "array";
    case NodeKind::kUnset: break;
  }
  return "unset";
}

void ForEachNode(const core::WorkflowTemplate& workflow,
                 const std::function<void(const core::Node&)>& fn) {
  std::function<void(const core::Node&)> visit = [&](const core::Node& n) {
    fn(n);
    if (!n.has_branch_node()) return;
    const auto& ie = n.branch_node().if_else();
    if (ie.has_case_()) visit(ie.case_().then_node());
    for (const auto& o : ie.other()) visit(o.then_node());
    if (ie.has_else_node()) visit(ie.else_node());
  };
  for (const auto& n : workflow.nodes()) visit(n);
  if (workflow.has_failure_node()) visit(workflow.failure_node());
}

std::map<std::string, Gate> GatesOf(const core::CompiledWorkflowClosure& closure) {
  std::map<std::string, Gate> out;
  auto collect = [&](const core::Node& n) {
    if (!n.has_gate_node()) return;
    const auto& g = n.gate_node();
    Gate gate;
    if (g.has_approve()) {
      gate.kind = Gate::Kind::kApprove;
      gate.signal_id = g.approve().signal_id();
      gate.type.set_simple(core::BOOLEAN);
    } else if (g.has_signal()) {
      gate.kind = Gate::Kind::kSignal;
      gate.signal_id = g.signal().signal_id();
      gate.type = g.signal().type();
    } else {
      gate.sleep = g.sleep().duration();
    }
    out[n.id()] = gate;
  };
  ForEachNode(closure.primary().template_(), collect);
  for (const auto& sw : closure.sub_workflows()) ForEachNode(sw.template_(), collect);
  return out;
}

}  // namespace flytecpp::idl
