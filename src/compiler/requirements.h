// What a workflow refers to: tasks, launch plans, sub-workflows.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "diagnostics.h"

namespace flytecpp::compiler::internal {

// The key an identifier is indexed by: every field, resource type and org
// included, as the reference keys by the identifier's full text.
std::string IdKey(const Identifier& id);

struct RequirementSet {
  std::map<std::string, Identifier> tasks;         // by IdKey
  std::map<std::string, Identifier> launch_plans;  // by IdKey
  // Sub-workflow references that were not found: (referring node, key).
  std::vector<std::pair<std::string, std::string>> missing_sub_workflows;

  std::vector<Identifier> SortedTasks() const;
  std::vector<Identifier> SortedLaunchPlans() const;
};

using SubWorkflowLookup = std::function<const WorkflowTemplate*(const Identifier&)>;

// Walks `workflow`'s nodes (branch cases, array sub-nodes, the failure node),
// following sub-workflow references through `lookup` when it is set. Each
// sub-workflow is entered once, so self-reference cannot loop.
void CollectRequirements(const WorkflowTemplate& workflow, const SubWorkflowLookup& lookup,
                         RequirementSet* out);

}  // namespace flytecpp::compiler::internal
