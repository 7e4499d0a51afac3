// What kind of node a workflow node is, one answer for every layer.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/workflow.pb.h"

namespace flytecpp::idl {

enum class NodeKind {
  kStart,
  kEnd,
  kTask,
  kBranch,
  kGate,
  kSubWorkflow,
  kLaunchPlan,
  kArray,
  kUnset
};

// By the node's target; a node without one is the start or end node by its
// id (`start-node`, `end-node`), else kUnset.
NodeKind NodeKindOf(const flyteidl::core::Node& node);

// "start", "end", "task", "branch", "gate", "sub_workflow", "launch_plan", "array", "unset".
std::string_view NodeKindName(NodeKind kind);

// A gate node, and what releases it: an approval (a boolean signal), a
// signal of its declared type, or the end of a sleep.
struct Gate {
  enum class Kind { kApprove, kSignal, kSleep } kind = Kind::kSleep;
  std::string signal_id;             // approve and signal gates
  flyteidl::core::LiteralType type;  // approve: boolean; signal: as declared
  google::protobuf::Duration sleep;  // sleep gates
};
// The gates of a closure's workflows (primary and sub-workflows), by node
// id. The one reading of what signals a closure declares.
std::map<std::string, Gate> GatesOf(const flyteidl::core::CompiledWorkflowClosure& closure);

// Calls `fn` on every node of `workflow`: its nodes, their branch cases
// (recursively) and its failure node. Not into sub-workflows.
void ForEachNode(const flyteidl::core::WorkflowTemplate& workflow,
                 const std::function<void(const flyteidl::core::Node&)>& fn);

}  // namespace flytecpp::idl
