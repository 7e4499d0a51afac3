#include "requirements.h"

#include <algorithm>
#include <tuple>

#include "flytecpp/idl/identifiers.h"

namespace flytecpp::compiler {

namespace core = flyteidl::core;

namespace internal {

std::string IdKey(const Identifier& id) { return idl::IdentifierString(id); }

namespace {

std::vector<Identifier> SortedIds(const std::map<std::string, Identifier>& ids) {
  std::vector<Identifier> out;
  for (const auto& [k, id] : ids) out.push_back(id);
  std::sort(out.begin(), out.end(), [](const Identifier& a, const Identifier& b) {
    return std::make_tuple(static_cast<int>(a.resource_type()), a.project(), a.domain(), a.name(),
                           a.version(), a.org()) <
           std::make_tuple(static_cast<int>(b.resource_type()), b.project(), b.domain(), b.name(),
                           b.version(), b.org());
  });
  return out;
}

class Walker {
 public:
  Walker(const SubWorkflowLookup& lookup, RequirementSet* out) : lookup_(lookup), out_(out) {}

  void Workflow(const WorkflowTemplate& wf) {
    for (const auto& n : wf.nodes()) Node(n);
    if (wf.has_failure_node()) Node(wf.failure_node());
  }

 private:
  void Node(const core::Node& n) {
    switch (n.target_case()) {
      case core::Node::kTaskNode:
        if (n.task_node().has_reference_id()) {
          out_->tasks.emplace(IdKey(n.task_node().reference_id()), n.task_node().reference_id());
        }
        break;
      case core::Node::kWorkflowNode: {
        const auto& w = n.workflow_node();
        if (w.has_launchplan_ref()) {
          out_->launch_plans.emplace(IdKey(w.launchplan_ref()), w.launchplan_ref());
        } else if (w.has_sub_workflow_ref() && lookup_) {
          std::string key = IdKey(w.sub_workflow_ref());
          const WorkflowTemplate* sub = lookup_(w.sub_workflow_ref());
          if (sub == nullptr) {
            out_->missing_sub_workflows.emplace_back(n.id(), key);
          } else if (entered_.insert(key).second) {
            Workflow(*sub);
          }
        }
        break;
      }
      case core::Node::kBranchNode: {
        const auto& ie = n.branch_node().if_else();
        if (ie.case_().has_then_node()) Node(ie.case_().then_node());
        for (const auto& o : ie.other()) {
          if (o.has_then_node()) Node(o.then_node());
        }
        if (ie.has_else_node()) Node(ie.else_node());
        break;
      }
      case core::Node::kArrayNode:
        if (n.array_node().has_node()) Node(n.array_node().node());
        break;
      default: break;
    }
  }

  const SubWorkflowLookup& lookup_;
  RequirementSet* out_;
  std::set<std::string> entered_;
};

}  // namespace

std::vector<Identifier> RequirementSet::SortedTasks() const { return SortedIds(tasks); }
std::vector<Identifier> RequirementSet::SortedLaunchPlans() const {
  return SortedIds(launch_plans);
}

void CollectRequirements(const WorkflowTemplate& workflow, const SubWorkflowLookup& lookup,
                         RequirementSet* out) {
  Walker(lookup, out).Workflow(workflow);
}

}  // namespace internal

Result<Requirements> GetRequirements(const WorkflowTemplate& workflow,
                                     const std::vector<WorkflowTemplate>& sub_workflows,
                                     std::vector<CompileError>* errors) {
  internal::Diagnostics diag;
  std::map<std::string, const WorkflowTemplate*> index;
  for (size_t i = 0; i < sub_workflows.size(); ++i) {
    const auto& sub = sub_workflows[i];
    if (!sub.has_id()) {
      diag.Add(ErrorCode::kValueRequired, "root",
               internal::msg::ValueRequired("sub_workflows[" + std::to_string(i) + "].id"));
      continue;
    }
    std::string key = internal::IdKey(sub.id());
    if (!index.emplace(key, &sub).second) {
      diag.Add(ErrorCode::kDuplicateId, key, internal::msg::DuplicateWorkflowId(key));
    }
  }
  internal::RequirementSet reqs;
  if (diag.empty()) {
    internal::CollectRequirements(
        workflow,
        [&](const Identifier& id) -> const WorkflowTemplate* {
          auto it = index.find(internal::IdKey(id));
          return it == index.end() ? nullptr : it->second;
        },
        &reqs);
    // The reference drops these; a reference to a workflow that is not there
    // is an error worth reporting.
    for (const auto& [node, key] : reqs.missing_sub_workflows) {
      diag.Add(ErrorCode::kWorkflowReferenceNotFound, node,
               internal::msg::WorkflowReferenceNotFound(key));
    }
  }
  if (errors != nullptr) *errors = diag.Sorted();
  if (!diag.empty()) return diag.ToStatus("workflow " + workflow.id().name());
  return Requirements{reqs.SortedTasks(), reqs.SortedLaunchPlans()};
}

}  // namespace flytecpp::compiler
