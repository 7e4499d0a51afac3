// Compiling one (sub-)workflow. One WorkflowCompiler per workflow template;
// validators for each concern live in their own file:
//   workflow_compiler.cc  the order of steps, nodes, sub-workflows, the entry point
//   interface.cc          interfaces of nodes by kind, output aliases
//   bindings.cc           input bindings, promises, castability of each
//   branch.cc             branch interfaces, cases and conditions
//   connections.cc        edges, orphan edges, reachability and cycles
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "diagnostics.h"
#include "requirements.h"

namespace flytecpp::compiler::internal {

namespace core = flyteidl::core;

inline constexpr std::string_view kStartNode = "start-node";
inline constexpr std::string_view kEndNode = "end-node";

// What the compiler knows of a node object (the reference's node builder).
// Keyed by the node's address: ids change while compiling (branch prefixes).
struct NodeInfo {
  bool interface_computed = false;
  // Set only if computed cleanly: a task's own (normalised) interface, or
  // `owned_interface` for interfaces worked out here.
  const core::TypedInterface* interface = nullptr;
  std::optional<core::TypedInterface> owned_interface;
  bool outputs_computed = false;
  std::optional<core::VariableMap> aliased_outputs;  // outputs renamed by aliases
};

// Execution edges between node ids. Ids are interned to small integers and
// edges kept in flat lists, so large workflows cost few allocations; lists
// are sorted and de-duplicated once, when walked or written.
//
// Ids are string_views: they must outlive the set. They are node ids in the
// workflow being compiled (final before any edge names them), ids from
// upstream_node_ids (sorted before), or the static start/end names.
class EdgeSet {
 public:
  void Add(std::string_view from, std::string_view to, bool downstream_too);
  bool HasUpstream(std::string_view id) const;
  bool HasDownstream(std::string_view id) const;

  // Depth-first from `start`, neighbours in id order. `cycle` is the first
  // cycle met (start ... x ... x), empty if none; `reached` the ids visited.
  struct Walk {
    std::vector<std::string> cycle;
    std::vector<bool> reached;  // by interned index
  };
  Walk WalkFrom(std::string_view start);
  bool Reached(const Walk& walk, std::string_view id) const;

  void Write(core::ConnectionSet* out);

 private:
  int Intern(std::string_view id);
  int Find(std::string_view id) const;
  // Sorted, de-duplicated adjacency (CSR) built from an edge list.
  struct Adjacency {
    std::vector<int> offsets;
    std::vector<int> targets;
  };
  Adjacency Build(const std::vector<std::pair<int, int>>& edges) const;

  std::unordered_map<std::string_view, int> ids_;
  std::vector<std::string_view> names_;
  std::vector<std::pair<int, int>> down_edges_;  // (from, to)
  std::vector<std::pair<int, int>> up_edges_;    // (node, provider)
  std::vector<bool> has_down_, has_up_;
};

// Everything shared by the workflows of one CompileWorkflow call.
struct CompileContext {
  std::map<std::string, core::TaskTemplate*> tasks;  // by IdKey, into the closure
  std::map<std::string, const LaunchPlanInterface*> launch_plans;
  std::map<std::string, core::CompiledWorkflow*> sub_workflows;  // into the closure
  std::set<std::string> compiled_sub_workflows;                  // each is compiled once
  std::set<std::string> compiling;  // sub-workflows on the current path
  std::unordered_map<const core::Node*, NodeInfo> nodes;
  Diagnostics diag;
};

enum class EdgeDirection { kBidirectional, kUpstream };

class WorkflowCompiler {
 public:
  WorkflowCompiler(core::CompiledWorkflow* workflow, CompileContext& ctx)
      : workflow_(workflow), ctx_(ctx), diag_(ctx.diag) {}

  // Validates and rewrites the workflow in place; fills its connections.
  // Returns whether it added no errors.
  bool Compile();

 private:
  // workflow_compiler.cc
  bool IndexNodes(std::vector<core::Node*>* user_nodes);
  bool ValidateNode(core::Node* node);
  void CompileSubWorkflow(core::Node* node);

  // interface.cc
  const core::TypedInterface* UnderlyingInterface(core::Node* node);
  bool ValidateInterface(const std::string& node_id, core::TypedInterface* iface);
  const core::VariableMap* EffectiveOutputs(core::Node* node);
  bool ValidateOutputAliases(core::Node* node);

  // bindings.cc
  struct BoundType {
    bool ok = false;
    LiteralType type;  // filled only when asked for (branch/gate inputs, lists)
    std::vector<std::string_view> upstream;  // views of index_ keys (stable)
  };
  // Checks `bindings` against `params` (or, without params, works out each
  // bound type into `resolved`), adding an edge per upstream node.
  void ValidateBindings(core::Node* node,
                        google::protobuf::RepeatedPtrField<core::Binding>* bindings,
                        const core::VariableMap* params, bool check_types, EdgeDirection direction,
                        core::VariableMap* resolved);
  BoundType ValidateBinding(core::Node* node, const std::string& param, core::BindingData* binding,
                            const LiteralType& expected, bool check_types, bool want_type,
                            Diagnostics& diag);
  BoundType ValidatePromise(core::Node* node, const std::string& param,
                            core::OutputReference* promise, const LiteralType& expected,
                            bool check_types, bool want_type, Diagnostics& diag);
  BoundType ValidateScalar(core::Node* node, const std::string& param, const core::Scalar& scalar,
                           const LiteralType& expected, bool check_types, Diagnostics& diag);

  // branch.cc
  std::optional<core::TypedInterface> BranchInterface(core::Node* node);
  bool ValidateBranchNode(core::Node* node, std::vector<core::Node*>* discovered);
  void ValidateCondition(core::Node* node, const core::BooleanExpression& expr);
  std::optional<LiteralType> OperandType(core::Node* node, const core::Operand& operand,
                                         std::string_view side);

  // connections.cc
  void AddEdges(core::Node* node, EdgeDirection direction);
  void AddEdge(std::string_view from, std::string_view to, EdgeDirection direction);
  void AddOrphanEdges();
  void ValidateReachable();
  void WriteConnections();

  core::WorkflowTemplate& tmpl() { return *workflow_->mutable_template_(); }

  core::CompiledWorkflow* workflow_;
  CompileContext& ctx_;
  Diagnostics& diag_;

  // start, end and top-level nodes, keyed by views of their (stable) ids
  std::unordered_map<std::string_view, core::Node*> index_;
  std::vector<core::Node*> order_;                    // the same nodes: start, end, then as given
  std::vector<std::unique_ptr<core::Node>> dropped_;  // duplicates, kept alive, not compiled
  std::set<std::string> case_ids_;                    // branch case node ids, after prefixing
  EdgeSet edges_;
};

}  // namespace flytecpp::compiler::internal
