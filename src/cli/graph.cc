#include "graph.h"

#include <google/protobuf/util/time_util.h>

#include <functional>
#include <sstream>

#include "flytecpp/idl/nodes.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

namespace {

using Kind = idl::NodeKind;
using idl::NodeKindOf;

// Second label line: what the node runs or waits for.
std::string Detail(const core::Node& n) {
  switch (NodeKindOf(n)) {
    case Kind::kTask: return "task " + n.task_node().reference_id().name();
    case Kind::kBranch: return "branch";
    case Kind::kSubWorkflow: return "workflow " + n.workflow_node().sub_workflow_ref().name();
    case Kind::kLaunchPlan: return "launch plan " + n.workflow_node().launchplan_ref().name();
    case Kind::kArray: {
      const auto& sub = n.array_node().node();
      return "array of " + (sub.has_task_node() ? sub.task_node().reference_id().name() : sub.id());
    }
    case Kind::kGate: {
      const auto& g = n.gate_node();
      if (g.has_sleep()) {
        return "sleep " + google::protobuf::util::TimeUtil::ToString(g.sleep().duration());
      }
      if (g.has_approve()) return "approve " + g.approve().signal_id();
      if (g.has_signal()) return "signal " + g.signal().signal_id();
      return "gate";
    }
    default: return "";
  }
}

// Branch cases of `n` with their role: if, else if, else.
void ForEachCase(const core::Node& n,
                 const std::function<void(const core::Node&, const std::string&)>& fn) {
  if (!n.has_branch_node()) return;
  const auto& ie = n.branch_node().if_else();
  if (ie.case_().has_then_node()) fn(ie.case_().then_node(), "if");
  for (const auto& o : ie.other()) {
    if (o.has_then_node()) fn(o.then_node(), "else if");
  }
  if (ie.has_else_node()) fn(ie.else_node(), "else");
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string DotShape(Kind k) {
  switch (k) {
    case Kind::kStart: return "circle";
    case Kind::kEnd: return "doublecircle";
    case Kind::kTask: return "box";
    case Kind::kBranch: return "diamond";
    case Kind::kGate: return "octagon";
    case Kind::kSubWorkflow: return "component";
    case Kind::kLaunchPlan: return "folder";
    case Kind::kArray: return "box3d";
    default: return "ellipse";
  }
}

void DotNode(std::ostringstream& out, const core::Node& n, const std::string& indent) {
  Kind k = NodeKindOf(n);
  std::string label = Escape(k == Kind::kStart ? "start" : k == Kind::kEnd ? "end" : n.id());
  std::string detail = Detail(n);
  if (!detail.empty()) label += "\\n" + Escape(detail);  // dot's line break
  out << indent << '"' << Escape(n.id()) << "\" [shape=" << DotShape(k) << ", label=\"" << label
      << "\"];\n";
}

void DotBranch(std::ostringstream& out, const core::Node& n, const std::string& indent) {
  out << indent << "subgraph \"cluster_" << Escape(n.id()) << "\" {\n";
  out << indent << "  label=\"" << Escape(n.id()) << " (branch)\"; style=dashed;\n";
  DotNode(out, n, indent + "  ");
  ForEachCase(n, [&](const core::Node& c, const std::string& role) {
    if (c.has_branch_node()) {
      DotBranch(out, c, indent + "  ");
    } else {
      DotNode(out, c, indent + "  ");
    }
    out << indent << "  \"" << Escape(n.id()) << "\" -> \"" << Escape(c.id())
        << "\" [style=dashed, label=\"" << role << "\"];\n";
  });
  out << indent << "}\n";
}

std::string MermaidId(const std::string& id) {
  std::string out = "n_";
  for (char c : id) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

std::string MermaidLabel(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '"' ? '\'' : c;
  return out;
}

void MermaidNode(std::ostringstream& out, const core::Node& n, const std::string& indent) {
  Kind k = NodeKindOf(n);
  std::string label = k == Kind::kStart ? "start" : k == Kind::kEnd ? "end" : n.id();
  std::string detail = Detail(n);
  if (!detail.empty()) label += "<br/>" + detail;
  label = "\"" + MermaidLabel(label) + "\"";
  std::string open = "[", close = "]";
  switch (k) {
    case Kind::kStart:
      open = "((";
      close = "))";
      break;
    case Kind::kEnd:
      open = "(((";
      close = ")))";
      break;
    case Kind::kBranch:
      open = "{";
      close = "}";
      break;
    case Kind::kGate:
      open = "{{";
      close = "}}";
      break;
    case Kind::kSubWorkflow:
      open = "[[";
      close = "]]";
      break;
    case Kind::kLaunchPlan:
      open = "[/";
      close = "/]";
      break;
    case Kind::kArray:
      open = "[(";
      close = ")]";
      break;
    default: break;
  }
  out << indent << MermaidId(n.id()) << open << label << close << "\n";
}

void MermaidBranch(std::ostringstream& out, const core::Node& n, const std::string& indent) {
  out << indent << "subgraph " << MermaidId(n.id()) << "_cases[\"" << MermaidLabel(n.id())
      << " (branch)\"]\n";
  MermaidNode(out, n, indent + "  ");
  ForEachCase(n, [&](const core::Node& c, const std::string& role) {
    if (c.has_branch_node()) {
      MermaidBranch(out, c, indent + "  ");
    } else {
      MermaidNode(out, c, indent + "  ");
    }
    out << indent << "  " << MermaidId(n.id()) << " -. " << role << " .-> " << MermaidId(c.id())
        << "\n";
  });
  out << indent << "end\n";
}

}  // namespace

std::string GraphDot(const core::CompiledWorkflowClosure& closure) {
  const auto& wf = closure.primary();
  std::ostringstream out;
  out << "digraph \"" << Escape(wf.template_().id().name()) << "\" {\n  rankdir=LR;\n";
  for (const auto& n : wf.template_().nodes()) {
    if (n.has_branch_node()) {
      DotBranch(out, n, "  ");
    } else {
      DotNode(out, n, "  ");
    }
  }
  for (const auto& [from, ids] : wf.connections().downstream()) {
    for (const auto& to : ids.ids()) {
      out << "  \"" << Escape(from) << "\" -> \"" << Escape(to) << "\";\n";
    }
  }
  out << "}\n";
  return out.str();
}

std::string GraphMermaid(const core::CompiledWorkflowClosure& closure) {
  const auto& wf = closure.primary();
  std::ostringstream out;
  out << "flowchart LR\n";
  for (const auto& n : wf.template_().nodes()) {
    if (n.has_branch_node()) {
      MermaidBranch(out, n, "  ");
    } else {
      MermaidNode(out, n, "  ");
    }
  }
  for (const auto& [from, ids] : wf.connections().downstream()) {
    for (const auto& to : ids.ids())
      out << "  " << MermaidId(from) << " --> " << MermaidId(to) << "\n";
  }
  return out.str();
}

}  // namespace flytecpp::cli
