// Fluent builders for flyteidl task and workflow templates.
//
//   TaskTemplate t = TaskBuilder("demo.square")
//       .Input("x", types::Int()).Output("o0", types::Int())
//       .Retries(3).Timeout(std::chrono::minutes(30))
//       .Container(ContainerBuilder("python:3.9-slim").Command({"square"}))
//       .Build();
//
//   WorkflowBuilder wf("demo.wf");
//   wf.Input("x", types::Int());
//   wf.Add(TaskNode("n0", t).Bind("x", WorkflowInput("x")));
//   wf.Add(TaskNode("n1", t).Bind("x", Promise("n0", "o0")).After("n0"));
//   wf.Output("y", types::Int(), Promise("n1", "o0"));
//   WorkflowTemplate w = wf.Build();
//
// Builders are values: Build() returns a copy and may be called repeatedly.
// Identifiers are left without project/domain/version unless given, as in
// pyflyte packages; registration fills them in.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "flyteidl/core/condition.pb.h"
#include "flyteidl/core/tasks.pb.h"
#include "flyteidl/core/workflow.pb.h"

namespace flytecpp::idl {

using flyteidl::core::BindingData;
using flyteidl::core::BooleanExpression;
using flyteidl::core::Node;
using flyteidl::core::TaskTemplate;
using flyteidl::core::WorkflowTemplate;

// Node id Flyte uses for workflow inputs in promises.
inline constexpr std::string_view kStartNodeId = "start-node";
inline constexpr std::string_view kEndNodeId = "end-node";

// ---- Bindings -------------------------------------------------------------------

// Output `var` of node `node_id`; `attr_path` selects into lists (int) and
// maps/structs (string), e.g. Promise("n0", "o0", {"a", 0}).
struct AttrStep {
  AttrStep(const char* key) : key(key) {}                // NOLINT: implicit by design
  AttrStep(std::string key) : key(std::move(key)) {}     // NOLINT
  AttrStep(int index) : index(index), is_index(true) {}  // NOLINT
  std::string key;
  int index = 0;
  bool is_index = false;
};
BindingData Promise(std::string node_id, std::string var, std::vector<AttrStep> attr_path = {});
BindingData WorkflowInput(std::string var);  // Promise(kStartNodeId, var)
// A constant. Collections and maps become binding collections and maps.
BindingData Constant(const Literal& value);
BindingData BindList(std::vector<BindingData> items);
BindingData BindMap(std::vector<std::pair<std::string, BindingData>> entries);

// ---- Conditions (branch nodes) ----------------------------------------------------

// An operand: a branch-node input by name, or a primitive constant (written
// to the `primitive` operand, which Flyte 1.16 requires).
struct Operand {
  flyteidl::core::Operand proto;
};
Operand Var(std::string name);
Operand Val(int64_t v);
Operand Val(int v);
Operand Val(double v);
Operand Val(bool v);
Operand Val(const char* v);
Operand Val(std::string v);

struct Condition {
  BooleanExpression proto;
};
Condition operator==(const Operand& l, const Operand& r);
Condition operator!=(const Operand& l, const Operand& r);
Condition operator>(const Operand& l, const Operand& r);
Condition operator>=(const Operand& l, const Operand& r);
Condition operator<(const Operand& l, const Operand& r);
Condition operator<=(const Operand& l, const Operand& r);
Condition operator&&(const Condition& l, const Condition& r);
Condition operator||(const Condition& l, const Condition& r);

// ---- Tasks ------------------------------------------------------------------------

class ContainerBuilder {
 public:
  explicit ContainerBuilder(std::string image);
  ContainerBuilder& Command(std::vector<std::string> command);
  ContainerBuilder& Args(std::vector<std::string> args);
  ContainerBuilder& Env(std::string key, std::string value);
  ContainerBuilder& Config(std::string key, std::string value);
  ContainerBuilder& Port(uint32_t port, std::string name = "");
  ContainerBuilder& Request(flyteidl::core::Resources::ResourceName name, std::string quantity);
  ContainerBuilder& Limit(flyteidl::core::Resources::ResourceName name, std::string quantity);
  ContainerBuilder& CpuRequest(std::string quantity);     // e.g. "500m"
  ContainerBuilder& MemoryRequest(std::string quantity);  // e.g. "1Gi"
  ContainerBuilder& CpuLimit(std::string quantity);
  ContainerBuilder& MemoryLimit(std::string quantity);
  // Copilot-style data loading: inputs materialised under `input_path`,
  // outputs collected from `output_path`.
  ContainerBuilder& DataConfig(std::string input_path, std::string output_path,
                               flyteidl::core::DataLoadingConfig::LiteralMapFormat format =
                                   flyteidl::core::DataLoadingConfig::JSON);
  ContainerBuilder& Architecture(flyteidl::core::Container::Architecture arch);
  const flyteidl::core::Container& Build() const { return container_; }

 private:
  flyteidl::core::Container container_;
};

class TaskBuilder {
 public:
  explicit TaskBuilder(std::string name, std::string type = "python-task");
  TaskBuilder& Version(std::string version);
  TaskBuilder& Project(std::string project, std::string domain);
  TaskBuilder& Input(std::string name, LiteralType type, std::string description = "");
  TaskBuilder& Output(std::string name, LiteralType type, std::string description = "");
  // Caching: discoverable with the given cache (discovery) version.
  TaskBuilder& Discoverable(std::string discovery_version);
  TaskBuilder& CacheSerializable(bool on = true);
  TaskBuilder& CacheIgnoreInputs(std::vector<std::string> names);
  TaskBuilder& Timeout(std::chrono::nanoseconds timeout);
  TaskBuilder& Retries(uint32_t retries);
  TaskBuilder& Interruptible(bool on = true);
  TaskBuilder& Tag(std::string key, std::string value);
  TaskBuilder& PodTemplateName(std::string name);
  TaskBuilder& Runtime(std::string version, std::string flavor = "python",
                       flyteidl::core::RuntimeMetadata::RuntimeType type =
                           flyteidl::core::RuntimeMetadata::FLYTE_SDK);
  TaskBuilder& Config(std::string key, std::string value);
  TaskBuilder& Custom(google::protobuf::Struct custom);
  TaskBuilder& Container(const ContainerBuilder& container);
  TaskBuilder& K8sPod(google::protobuf::Struct pod_spec, std::string primary_container_name = "");
  TaskBuilder& Sql(std::string statement,
                   flyteidl::core::Sql::Dialect dialect = flyteidl::core::Sql::ANSI);
  TaskBuilder& RunAs(std::string k8s_service_account);
  // A secret the task needs (security_context.secrets).
  TaskBuilder& Secret(std::string group, std::string key,
                      flyteidl::core::Secret::MountType mount = flyteidl::core::Secret::ANY,
                      std::string env_var = "");
  // For fields without a dedicated setter.
  TaskTemplate& mutable_template() { return template_; }
  TaskTemplate Build() const { return template_; }

 private:
  TaskTemplate template_;
};

// ---- Nodes ------------------------------------------------------------------------

// Setters common to every node kind. Self is the concrete builder (CRTP).
template <typename Self>
class NodeBuilderBase {
 public:
  Self& Bind(std::string var, BindingData binding) {
    auto* b = node_.add_inputs();
    b->set_var(std::move(var));
    *b->mutable_binding() = std::move(binding);
    return self();
  }
  Self& After(std::string upstream_node_id) {
    node_.add_upstream_node_ids(std::move(upstream_node_id));
    return self();
  }
  Self& Name(std::string name) {
    node_.mutable_metadata()->set_name(std::move(name));
    return self();
  }
  Self& Retries(uint32_t retries) {
    node_.mutable_metadata()->mutable_retries()->set_retries(retries);
    return self();
  }
  Self& Timeout(std::chrono::nanoseconds timeout);
  Self& Interruptible(bool on = true) {
    node_.mutable_metadata()->set_interruptible(on);
    return self();
  }
  Self& Cache(bool on, std::string version = "") {
    node_.mutable_metadata()->set_cacheable(on);
    if (!version.empty()) node_.mutable_metadata()->set_cache_version(std::move(version));
    return self();
  }
  Self& OutputAlias(std::string var, std::string alias) {
    auto* a = node_.add_output_aliases();
    a->set_var(std::move(var));
    a->set_alias(std::move(alias));
    return self();
  }
  const std::string& id() const { return node_.id(); }
  Node& mutable_node() { return node_; }
  Node Build() const { return node_; }

 protected:
  explicit NodeBuilderBase(std::string id) { node_.set_id(std::move(id)); }
  Self& self() { return static_cast<Self&>(*this); }
  Node node_;
};

void SetNodeTimeout(Node* node, std::chrono::nanoseconds timeout);

template <typename Self>
Self& NodeBuilderBase<Self>::Timeout(std::chrono::nanoseconds timeout) {
  SetNodeTimeout(&node_, timeout);
  return self();
}

// Task, sub-workflow, launch-plan and gate nodes.
class NodeBuilder : public NodeBuilderBase<NodeBuilder> {
 public:
  explicit NodeBuilder(std::string id) : NodeBuilderBase(std::move(id)) {}
};

class BranchNodeBuilder : public NodeBuilderBase<BranchNodeBuilder> {
 public:
  explicit BranchNodeBuilder(std::string id);
  // The first If sets the case; later ones (or ElseIf) add `other` cases.
  BranchNodeBuilder& If(const Condition& condition, const NodeBuilder& then_node);
  BranchNodeBuilder& ElseIf(const Condition& condition, const NodeBuilder& then_node);
  BranchNodeBuilder& Else(const NodeBuilder& else_node);
  BranchNodeBuilder& ElseFail(std::string message);
};

class ArrayNodeBuilder : public NodeBuilderBase<ArrayNodeBuilder> {
 public:
  ArrayNodeBuilder(std::string id, const NodeBuilder& sub_node);
  ArrayNodeBuilder& Parallelism(uint32_t parallelism);
  // Success criteria are a oneof in flyteidl: the later call replaces the
  // earlier one.
  ArrayNodeBuilder& MinSuccesses(uint32_t count);
  ArrayNodeBuilder& MinSuccessRatio(float ratio);
  ArrayNodeBuilder& ExecutionMode(flyteidl::core::ArrayNode::ExecutionMode mode);
  ArrayNodeBuilder& DataMode(flyteidl::core::ArrayNode::DataMode mode);
  ArrayNodeBuilder& BoundInputs(std::vector<std::string> names);
  // The sub-node's interface is per element (e.g. a sub-workflow's): the
  // array's is made of collections of it (is_original_sub_node_interface).
  ArrayNodeBuilder& OriginalSubNodeInterface(bool on = true);
};

NodeBuilder TaskNode(std::string id, const TaskTemplate& task);
NodeBuilder TaskNode(std::string id, const flyteidl::core::Identifier& task_id);
NodeBuilder SubWorkflowNode(std::string id, const flyteidl::core::Identifier& workflow_id);
NodeBuilder LaunchPlanNode(std::string id, const flyteidl::core::Identifier& launch_plan_id);
NodeBuilder SleepGate(std::string id, std::chrono::nanoseconds duration);
NodeBuilder ApproveGate(std::string id, std::string signal_id);
NodeBuilder SignalGate(std::string id, std::string signal_id, LiteralType type,
                       std::string output_variable_name);
BranchNodeBuilder BranchNode(std::string id);
ArrayNodeBuilder ArrayNode(std::string id, const NodeBuilder& sub_node);

// ---- Workflows --------------------------------------------------------------------

class WorkflowBuilder {
 public:
  explicit WorkflowBuilder(std::string name);
  WorkflowBuilder& Version(std::string version);
  WorkflowBuilder& Project(std::string project, std::string domain);
  WorkflowBuilder& Input(std::string name, LiteralType type, std::string description = "");
  // Declares an output and binds it.
  WorkflowBuilder& Output(std::string name, LiteralType type, BindingData binding);
  template <typename B>
  WorkflowBuilder& Add(const NodeBuilderBase<B>& node) {
    *template_.add_nodes() = node.Build();
    return *this;
  }
  template <typename B>
  WorkflowBuilder& FailureNode(const NodeBuilderBase<B>& node) {
    *template_.mutable_failure_node() = node.Build();
    return *this;
  }
  WorkflowBuilder& OnFailure(flyteidl::core::WorkflowMetadata::OnFailurePolicy policy);
  WorkflowBuilder& InterruptibleByDefault(bool on = true);
  WorkflowBuilder& Tag(std::string key, std::string value);
  WorkflowTemplate& mutable_template() { return template_; }
  WorkflowTemplate Build() const { return template_; }

 private:
  WorkflowTemplate template_;
};

}  // namespace flytecpp::idl
