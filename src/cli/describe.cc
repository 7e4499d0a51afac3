#include "describe.h"

#include <google/protobuf/util/time_util.h>

#include <map>
#include <string>

#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/nodes.h"
#include "flytecpp/idl/types.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/dynamic_job.pb.h"
#include "flyteidl/core/errors.pb.h"
#include "flyteidl/core/workflow_closure.pb.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;
namespace admin = flyteidl::admin;
using google::protobuf::util::TimeUtil;

namespace {

std::string Indent(int depth) { return std::string(static_cast<size_t>(depth) * 2, ' '); }

void DescribeVariables(const core::VariableMap& vars, std::ostream& out) {
  // Sorted: protobuf map order is unspecified.
  std::map<std::string, const core::Variable*> sorted;
  for (const auto& [name, v] : vars.variables()) sorted.emplace(name, &v);
  if (sorted.empty()) {
    out << "(none)";
    return;
  }
  bool first = true;
  for (const auto& [name, v] : sorted) {
    out << (first ? "" : ", ") << name << ": " << idl::TypeString(v->type());
    first = false;
  }
}

void DescribeInterface(const core::TypedInterface& iface, std::ostream& out, int depth) {
  out << Indent(depth) << "inputs:  ";
  DescribeVariables(iface.inputs(), out);
  out << "\n" << Indent(depth) << "outputs: ";
  DescribeVariables(iface.outputs(), out);
  out << "\n";
}

std::string_view NodeKind(const core::Node& n) { return idl::NodeKindName(idl::NodeKindOf(n)); }

std::string NodeDetail(const core::Node& n) {
  switch (n.target_case()) {
    case core::Node::kTaskNode: return n.task_node().reference_id().name();
    case core::Node::kWorkflowNode:
      return n.workflow_node().has_launchplan_ref() ? n.workflow_node().launchplan_ref().name()
                                                    : n.workflow_node().sub_workflow_ref().name();
    case core::Node::kGateNode: {
      const auto& g = n.gate_node();
      if (g.has_sleep()) return "sleep " + TimeUtil::ToString(g.sleep().duration());
      if (g.has_approve()) return "approve " + g.approve().signal_id();
      if (g.has_signal()) {
        return "signal " + g.signal().signal_id() + ": " + idl::TypeString(g.signal().type());
      }
      return "";
    }
    case core::Node::kArrayNode: {
      const auto& a = n.array_node();
      std::string s;
      if (a.has_parallelism()) s += "parallelism " + std::to_string(a.parallelism());
      if (a.has_min_successes())
        s += (s.empty() ? "" : ", ") + std::string("min_successes ") +
             std::to_string(a.min_successes());
      if (a.has_min_success_ratio())
        s += (s.empty() ? "" : ", ") + std::string("min_success_ratio ") +
             std::to_string(a.min_success_ratio()).substr(0, 4);
      return s;
    }
    default: return "";
  }
}

void CountNodes(const core::Node& n, std::map<std::string, int>& counts) {
  ++counts[std::string(NodeKind(n))];
  if (n.has_branch_node()) {
    const auto& ie = n.branch_node().if_else();
    if (ie.has_case_()) CountNodes(ie.case_().then_node(), counts);
    for (const auto& o : ie.other()) CountNodes(o.then_node(), counts);
    if (ie.has_else_node()) CountNodes(ie.else_node(), counts);
  }
  if (n.has_array_node()) CountNodes(n.array_node().node(), counts);
}

void DescribeNode(const core::Node& n, std::ostream& out, int depth, std::string_view role) {
  out << Indent(depth) << "- " << n.id() << " [" << NodeKind(n) << "]";
  std::string detail = NodeDetail(n);
  if (!detail.empty()) out << " " << detail;
  if (!role.empty()) out << "  (" << role << ")";
  out << "\n";
  if (n.has_branch_node()) {
    const auto& ie = n.branch_node().if_else();
    if (ie.has_case_()) DescribeNode(ie.case_().then_node(), out, depth + 1, "if");
    for (const auto& o : ie.other()) DescribeNode(o.then_node(), out, depth + 1, "else if");
    if (ie.has_else_node()) DescribeNode(ie.else_node(), out, depth + 1, "else");
    if (ie.has_error()) out << Indent(depth + 1) << "- else fail: " << ie.error().message() << "\n";
  }
  if (n.has_array_node()) DescribeNode(n.array_node().node(), out, depth + 1, "per element");
}

void DescribeWorkflow(const core::WorkflowTemplate& wf, std::ostream& out, int depth) {
  out << Indent(depth) << "workflow: " << idl::IdentifierString(wf.id()) << "\n";
  DescribeInterface(wf.interface(), out, depth + 1);
  std::map<std::string, int> counts;
  for (const auto& n : wf.nodes()) CountNodes(n, counts);
  if (wf.has_failure_node()) CountNodes(wf.failure_node(), counts);
  int total = 0;
  std::string by_kind;
  for (const auto& [kind, c] : counts) {
    total += c;
    by_kind += (by_kind.empty() ? "" : ", ") + kind + " " + std::to_string(c);
  }
  out << Indent(depth + 1) << "nodes: " << total;
  if (!by_kind.empty()) out << " (" << by_kind << ")";
  out << "\n";
  for (const auto& n : wf.nodes()) DescribeNode(n, out, depth + 2, "");
  if (wf.has_failure_node()) DescribeNode(wf.failure_node(), out, depth + 2, "on failure");
}

void DescribeTask(const core::TaskTemplate& t, std::ostream& out, int depth) {
  out << Indent(depth) << "task: " << idl::IdentifierString(t.id()) << "\n";
  out << Indent(depth + 1) << "type: " << t.type() << "\n";
  DescribeInterface(t.interface(), out, depth + 1);
  if (t.has_container()) {
    out << Indent(depth + 1) << "container: " << t.container().image() << "\n";
  } else if (t.has_k8s_pod()) {
    out << Indent(depth + 1) << "k8s_pod\n";
  } else if (t.has_sql()) {
    out << Indent(depth + 1) << "sql: " << core::Sql::Dialect_Name(t.sql().dialect()) << "\n";
  }
  const auto& m = t.metadata();
  if (m.retries().retries() > 0)
    out << Indent(depth + 1) << "retries: " << m.retries().retries() << "\n";
  if (m.has_timeout()) {
    out << Indent(depth + 1) << "timeout: " << TimeUtil::ToString(m.timeout()) << "\n";
  }
  if (m.discoverable()) {
    out << Indent(depth + 1) << "cache: version " << m.discovery_version() << "\n";
  }
}

void DescribeLiteralMap(const core::LiteralMap& m, std::ostream& out, int depth) {
  std::map<std::string, const core::Literal*> sorted;
  for (const auto& [k, v] : m.literals()) sorted.emplace(k, &v);
  if (sorted.empty()) out << Indent(depth) << "(empty)\n";
  for (const auto& [k, v] : sorted) {
    out << Indent(depth) << k << " = " << idl::ShortString(*v) << "\n";
  }
}

void DescribeLaunchPlan(const admin::LaunchPlan& lp, std::ostream& out) {
  out << "launch plan: " << idl::IdentifierString(lp.id()) << "\n";
  out << "  workflow: " << idl::IdentifierString(lp.spec().workflow_id()) << "\n";
  std::map<std::string, const core::Parameter*> params;
  for (const auto& [k, p] : lp.spec().default_inputs().parameters()) params.emplace(k, &p);
  out << "  inputs:";
  if (params.empty()) out << " (none)";
  out << "\n";
  for (const auto& [k, p] : params) {
    out << "    " << k << ": " << idl::TypeString(p->var().type());
    if (p->has_default_()) out << " = " << idl::ShortString(p->default_());
    if (p->required()) out << " (required)";
    out << "\n";
  }
  if (lp.spec().fixed_inputs().literals_size() > 0) {
    out << "  fixed inputs:\n";
    DescribeLiteralMap(lp.spec().fixed_inputs(), out, 2);
  }
}

}  // namespace

void Describe(const google::protobuf::Message& message, std::ostream& out) {
  const std::string& type = message.GetDescriptor()->full_name();
  out << "kind: " << message.GetDescriptor()->name() << " (" << type << ")\n";
  if (auto* m = dynamic_cast<const admin::TaskSpec*>(&message)) {
    DescribeTask(m->template_(), out, 0);
  } else if (auto* m = dynamic_cast<const core::TaskTemplate*>(&message)) {
    DescribeTask(*m, out, 0);
  } else if (auto* m = dynamic_cast<const core::CompiledTask*>(&message)) {
    DescribeTask(m->template_(), out, 0);
  } else if (auto* m = dynamic_cast<const admin::WorkflowSpec*>(&message)) {
    DescribeWorkflow(m->template_(), out, 0);
    for (const auto& sub : m->sub_workflows()) DescribeWorkflow(sub, out, 1);
  } else if (auto* m = dynamic_cast<const core::WorkflowTemplate*>(&message)) {
    DescribeWorkflow(*m, out, 0);
  } else if (auto* m = dynamic_cast<const core::WorkflowClosure*>(&message)) {
    DescribeWorkflow(m->workflow(), out, 0);
    out << "tasks: " << m->tasks_size() << "\n";
  } else if (auto* m = dynamic_cast<const core::CompiledWorkflowClosure*>(&message)) {
    DescribeWorkflow(m->primary().template_(), out, 0);
    for (const auto& sub : m->sub_workflows()) DescribeWorkflow(sub.template_(), out, 1);
    out << "tasks: " << m->tasks_size() << "\n";
  } else if (auto* m = dynamic_cast<const admin::LaunchPlan*>(&message)) {
    DescribeLaunchPlan(*m, out);
  } else if (auto* m = dynamic_cast<const core::LiteralMap*>(&message)) {
    DescribeLiteralMap(*m, out, 0);
  } else if (auto* m = dynamic_cast<const core::Literal*>(&message)) {
    out << idl::ShortString(*m) << "\n";
  } else if (auto* m = dynamic_cast<const core::DynamicJobSpec*>(&message)) {
    out << "dynamic job: " << m->nodes_size() << " nodes, " << m->tasks_size() << " tasks, "
        << m->subworkflows_size() << " sub-workflows\n";
    for (const auto& n : m->nodes()) DescribeNode(n, out, 1, "");
  } else if (auto* m = dynamic_cast<const core::ErrorDocument*>(&message)) {
    out << "error: " << core::ContainerError::Kind_Name(m->error().kind()) << " "
        << m->error().code() << ": " << m->error().message() << "\n";
  } else {
    out << "size: " << message.ByteSizeLong() << " bytes\n";
  }
}

void DescribePackageEntity(const idl::PackageEntity& entity, std::ostream& out) {
  switch (entity.kind) {
    case idl::EntityKind::kTask: Describe(entity.task, out); break;
    case idl::EntityKind::kWorkflow: Describe(entity.workflow, out); break;
    case idl::EntityKind::kLaunchPlan: Describe(entity.launch_plan, out); break;
  }
}

}  // namespace flytecpp::cli
