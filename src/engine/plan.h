// The execution plan: a compiled workflow turned into dense node arrays with
// pre-resolved bindings, built once per closure and immutable afterwards.
// Nothing downstream of the planner looks up node ids or walks connection
// sets again.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "flytecpp/idl/nodes.h"
#include "flytecpp/util/status.h"
#include "flyteidl/core/compiler.pb.h"

namespace flytecpp::engine::internal {

namespace core = flyteidl::core;

using idl::NodeKind;

struct Plan;

// A BindingData with its promise resolved to a plan node index.
struct BindingPlan {
  enum class Kind { kScalar, kPromise, kCollection, kMap, kUnsupported } kind = Kind::kUnsupported;
  const core::Scalar* scalar = nullptr;  // kScalar (points into the plan's closure)
  int source = -1;                       // kPromise: plan node index
  std::string var;                       // kPromise: output name, aliases applied
  std::optional<int> index;              // kPromise: `[i].var`
  const google::protobuf::RepeatedPtrField<core::PromiseAttribute>* attr_path = nullptr;
  // Collection or map elements; `keys` (map only) parallel to `items`. Two
  // vectors, not a vector of pairs: a pair cannot hold this incomplete type.
  std::vector<std::string> keys;
  std::vector<BindingPlan> items;
};

struct PlanNode {
  std::string id;
  NodeKind kind = NodeKind::kTask;
  const core::Node* node = nullptr;  // into the plan's closure
  std::vector<std::pair<std::string, BindingPlan>> inputs;
  std::vector<int> downstream;  // execution edges between graph nodes
  int upstream_count = 0;
  // Bindings of other nodes that read this one's outputs. Once all of them
  // are resolved the outputs are let go, unless `keep_outputs` (the end
  // node's, and what the failure node reads).
  int consumers = 0;
  bool keep_outputs = false;
  // The node that runs this one (a branch runs its cases); -1 for nodes of
  // the graph. Owned nodes have no edges: their owner starts them and hears
  // when they end.
  int owner = -1;

  // Task nodes.
  std::shared_ptr<const core::TaskTemplate> task;
  int max_attempts = 1;                 // user attempts (retries + 1)
  std::chrono::nanoseconds timeout{0};  // per attempt; 0 = none
  bool interruptible = false;

  // Branch nodes: if / else-if cases in order, then else.
  struct Case {
    const core::BooleanExpression* condition;
    int node;
  };
  std::vector<Case> cases;
  int else_node = -1;
  const core::Error* else_error = nullptr;

  // Sub-workflow and launch-plan nodes.
  const Plan* sub_plan = nullptr;
  core::Identifier launch_plan;

  // Array nodes: the sub-node (owned, not in the graph) run once per element.
  struct Array {
    int sub_node = -1;
    uint32_t parallelism = 0;  // elements in flight at once; 0: no limit of its own
    std::optional<uint32_t> min_successes;
    std::optional<float> min_success_ratio;
    bool run_all = false;                 // run_all_sub_nodes: go on once success is impossible
    bool individual_input_files = false;  // data_mode INDIVIDUAL_INPUT_FILES
    std::vector<std::string> bound;       // bound_inputs: passed whole to every element
    // The sub-node's task as one element sees it (Flyte's view): collection
    // outputs, and collection inputs that are mapped, of their element type.
    std::shared_ptr<const core::TaskTemplate> element_task;
  } array;
};

struct Plan {
  std::string workflow_name;
  const core::WorkflowTemplate* tmpl = nullptr;
  std::vector<PlanNode> nodes;  // [0] start-node, [1] end-node, then the rest
  int failure_node = -1;
  core::WorkflowMetadata::OnFailurePolicy on_failure = core::WorkflowMetadata::FAIL_IMMEDIATELY;
  std::unordered_map<std::string, int> index;  // node id -> position

  static constexpr int kStart = 0;
  static constexpr int kEnd = 1;
};

// All plans of one closure (primary and sub-workflows). Owns the closure.
class PlanSet {
 public:
  // Errors name the node that cannot be planned (WorkflowBuildError).
  static Result<std::unique_ptr<PlanSet>> Build(core::CompiledWorkflowClosure closure);

  const Plan& primary() const { return *primary_; }
  const core::CompiledWorkflowClosure& closure() const { return closure_; }

 private:
  Result<Plan*> PlanWorkflow(const core::CompiledWorkflow& wf);

  core::CompiledWorkflowClosure closure_;
  std::unordered_map<std::string, std::shared_ptr<const core::TaskTemplate>> tasks_;
  std::unordered_map<std::string, const core::CompiledWorkflow*> sub_workflows_;
  std::unordered_map<std::string, std::unique_ptr<Plan>> plans_;  // by workflow id text
  std::vector<std::string> planning_;                             // recursion guard
  Plan* primary_ = nullptr;
};

}  // namespace flytecpp::engine::internal
