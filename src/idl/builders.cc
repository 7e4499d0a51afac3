#include "flytecpp/idl/builders.h"

#include <google/protobuf/util/time_util.h>

#include "flytecpp/idl/identifiers.h"

namespace flytecpp::idl {

using google::protobuf::util::TimeUtil;

namespace {
void AddVariable(flyteidl::core::VariableMap* map, std::string name, LiteralType type,
                 std::string description) {
  auto& v = (*map->mutable_variables())[name];
  *v.mutable_type() = std::move(type);
  v.set_description(std::move(description));
}

google::protobuf::Duration ToProtoDuration(std::chrono::nanoseconds d) {
  return TimeUtil::NanosecondsToDuration(d.count());
}
}  // namespace

// ---- Bindings -------------------------------------------------------------------

BindingData Promise(std::string node_id, std::string var, std::vector<AttrStep> attr_path) {
  BindingData b;
  auto* p = b.mutable_promise();
  p->set_node_id(std::move(node_id));
  p->set_var(std::move(var));
  for (auto& step : attr_path) {
    auto* a = p->add_attr_path();
    if (step.is_index) {
      a->set_int_value(step.index);
    } else {
      a->set_string_value(std::move(step.key));
    }
  }
  return b;
}

BindingData WorkflowInput(std::string var) {
  return Promise(std::string(kStartNodeId), std::move(var));
}

BindingData Constant(const Literal& value) {
  BindingData b;
  switch (value.value_case()) {
    case Literal::kCollection:
      for (const auto& e : value.collection().literals()) {
        *b.mutable_collection()->add_bindings() = Constant(e);
      }
      break;
    case Literal::kMap:
      for (const auto& [k, e] : value.map().literals()) {
        (*b.mutable_map()->mutable_bindings())[k] = Constant(e);
      }
      break;
    case Literal::kOffloadedMetadata:
      *b.mutable_offloaded_metadata() = value.offloaded_metadata();
      break;
    default: *b.mutable_scalar() = value.scalar(); break;
  }
  return b;
}

BindingData BindList(std::vector<BindingData> items) {
  BindingData b;
  auto* c = b.mutable_collection();
  for (auto& i : items) *c->add_bindings() = std::move(i);
  return b;
}

BindingData BindMap(std::vector<std::pair<std::string, BindingData>> entries) {
  BindingData b;
  auto* m = b.mutable_map()->mutable_bindings();
  for (auto& [k, v] : entries) (*m)[k] = std::move(v);
  return b;
}

// ---- Conditions -------------------------------------------------------------------

Operand Var(std::string name) {
  Operand o;
  o.proto.set_var(std::move(name));
  return o;
}

namespace {
// Constants go into the (deprecated) `primitive` operand: flytekit writes it
// and Flyte 1.16's compiler accepts nothing else.
Operand OperandOf(const Literal& l) {
  Operand o;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  *o.proto.mutable_primitive() = l.scalar().primitive();
#pragma GCC diagnostic pop
  return o;
}

Condition Compare(flyteidl::core::ComparisonExpression::Operator op, const Operand& l,
                  const Operand& r) {
  Condition c;
  auto* cmp = c.proto.mutable_comparison();
  cmp->set_operator_(op);
  *cmp->mutable_left_value() = l.proto;
  *cmp->mutable_right_value() = r.proto;
  return c;
}

Condition Conjoin(flyteidl::core::ConjunctionExpression::LogicalOperator op, const Condition& l,
                  const Condition& r) {
  Condition c;
  auto* conj = c.proto.mutable_conjunction();
  conj->set_operator_(op);
  *conj->mutable_left_expression() = l.proto;
  *conj->mutable_right_expression() = r.proto;
  return c;
}
}  // namespace

Operand Val(int64_t v) { return OperandOf(lit::Int(v)); }
Operand Val(int v) { return OperandOf(lit::Int(v)); }
Operand Val(double v) { return OperandOf(lit::Float(v)); }
Operand Val(bool v) { return OperandOf(lit::Bool(v)); }
Operand Val(const char* v) { return OperandOf(lit::String(v)); }
Operand Val(std::string v) { return OperandOf(lit::String(std::move(v))); }

using Cmp = flyteidl::core::ComparisonExpression;
Condition operator==(const Operand& l, const Operand& r) { return Compare(Cmp::EQ, l, r); }
Condition operator!=(const Operand& l, const Operand& r) { return Compare(Cmp::NEQ, l, r); }
Condition operator>(const Operand& l, const Operand& r) { return Compare(Cmp::GT, l, r); }
Condition operator>=(const Operand& l, const Operand& r) { return Compare(Cmp::GTE, l, r); }
Condition operator<(const Operand& l, const Operand& r) { return Compare(Cmp::LT, l, r); }
Condition operator<=(const Operand& l, const Operand& r) { return Compare(Cmp::LTE, l, r); }
Condition operator&&(const Condition& l, const Condition& r) {
  return Conjoin(flyteidl::core::ConjunctionExpression::AND, l, r);
}
Condition operator||(const Condition& l, const Condition& r) {
  return Conjoin(flyteidl::core::ConjunctionExpression::OR, l, r);
}

// ---- Tasks ------------------------------------------------------------------------

ContainerBuilder::ContainerBuilder(std::string image) { container_.set_image(std::move(image)); }

ContainerBuilder& ContainerBuilder::Command(std::vector<std::string> command) {
  container_.clear_command();
  for (auto& c : command) container_.add_command(std::move(c));
  return *this;
}
ContainerBuilder& ContainerBuilder::Args(std::vector<std::string> args) {
  container_.clear_args();
  for (auto& a : args) container_.add_args(std::move(a));
  return *this;
}
ContainerBuilder& ContainerBuilder::Env(std::string key, std::string value) {
  auto* kv = container_.add_env();
  kv->set_key(std::move(key));
  kv->set_value(std::move(value));
  return *this;
}
ContainerBuilder& ContainerBuilder::Config(std::string key, std::string value) {
  // Deprecated in flyteidl in favour of TaskTemplate.config, but still read
  // by plugins and set by older SDKs.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  auto* kv = container_.add_config();
#pragma GCC diagnostic pop
  kv->set_key(std::move(key));
  kv->set_value(std::move(value));
  return *this;
}
ContainerBuilder& ContainerBuilder::Port(uint32_t port, std::string name) {
  auto* p = container_.add_ports();
  p->set_container_port(port);
  p->set_name(std::move(name));
  return *this;
}
ContainerBuilder& ContainerBuilder::Request(flyteidl::core::Resources::ResourceName name,
                                            std::string quantity) {
  auto* e = container_.mutable_resources()->add_requests();
  e->set_name(name);
  e->set_value(std::move(quantity));
  return *this;
}
ContainerBuilder& ContainerBuilder::Limit(flyteidl::core::Resources::ResourceName name,
                                          std::string quantity) {
  auto* e = container_.mutable_resources()->add_limits();
  e->set_name(name);
  e->set_value(std::move(quantity));
  return *this;
}
ContainerBuilder& ContainerBuilder::CpuRequest(std::string q) {
  return Request(flyteidl::core::Resources::CPU, std::move(q));
}
ContainerBuilder& ContainerBuilder::MemoryRequest(std::string q) {
  return Request(flyteidl::core::Resources::MEMORY, std::move(q));
}
ContainerBuilder& ContainerBuilder::CpuLimit(std::string q) {
  return Limit(flyteidl::core::Resources::CPU, std::move(q));
}
ContainerBuilder& ContainerBuilder::MemoryLimit(std::string q) {
  return Limit(flyteidl::core::Resources::MEMORY, std::move(q));
}
ContainerBuilder& ContainerBuilder::DataConfig(
    std::string input_path, std::string output_path,
    flyteidl::core::DataLoadingConfig::LiteralMapFormat format) {
  auto* dc = container_.mutable_data_config();
  dc->set_enabled(true);
  dc->set_input_path(std::move(input_path));
  dc->set_output_path(std::move(output_path));
  dc->set_format(format);
  return *this;
}
ContainerBuilder& ContainerBuilder::Architecture(flyteidl::core::Container::Architecture a) {
  container_.set_architecture(a);
  return *this;
}

TaskBuilder::TaskBuilder(std::string name, std::string type) {
  *template_.mutable_id() = MakeIdentifier(flyteidl::core::TASK, std::move(name));
  template_.set_type(std::move(type));
  template_.mutable_metadata();
  template_.mutable_interface()->mutable_inputs();
  template_.mutable_interface()->mutable_outputs();
}
TaskBuilder& TaskBuilder::Version(std::string version) {
  template_.mutable_id()->set_version(std::move(version));
  return *this;
}
TaskBuilder& TaskBuilder::Project(std::string project, std::string domain) {
  template_.mutable_id()->set_project(std::move(project));
  template_.mutable_id()->set_domain(std::move(domain));
  return *this;
}
TaskBuilder& TaskBuilder::Input(std::string name, LiteralType type, std::string description) {
  AddVariable(template_.mutable_interface()->mutable_inputs(), std::move(name), std::move(type),
              std::move(description));
  return *this;
}
TaskBuilder& TaskBuilder::Output(std::string name, LiteralType type, std::string description) {
  AddVariable(template_.mutable_interface()->mutable_outputs(), std::move(name), std::move(type),
              std::move(description));
  return *this;
}
TaskBuilder& TaskBuilder::Discoverable(std::string discovery_version) {
  template_.mutable_metadata()->set_discoverable(true);
  template_.mutable_metadata()->set_discovery_version(std::move(discovery_version));
  return *this;
}
TaskBuilder& TaskBuilder::CacheSerializable(bool on) {
  template_.mutable_metadata()->set_cache_serializable(on);
  return *this;
}
TaskBuilder& TaskBuilder::CacheIgnoreInputs(std::vector<std::string> names) {
  auto* m = template_.mutable_metadata();
  m->clear_cache_ignore_input_vars();
  for (auto& n : names) m->add_cache_ignore_input_vars(std::move(n));
  return *this;
}
TaskBuilder& TaskBuilder::Timeout(std::chrono::nanoseconds timeout) {
  *template_.mutable_metadata()->mutable_timeout() = ToProtoDuration(timeout);
  return *this;
}
TaskBuilder& TaskBuilder::Retries(uint32_t retries) {
  template_.mutable_metadata()->mutable_retries()->set_retries(retries);
  return *this;
}
TaskBuilder& TaskBuilder::Interruptible(bool on) {
  template_.mutable_metadata()->set_interruptible(on);
  return *this;
}
TaskBuilder& TaskBuilder::Tag(std::string key, std::string value) {
  (*template_.mutable_metadata()->mutable_tags())[key] = std::move(value);
  return *this;
}
TaskBuilder& TaskBuilder::PodTemplateName(std::string name) {
  template_.mutable_metadata()->set_pod_template_name(std::move(name));
  return *this;
}
TaskBuilder& TaskBuilder::Runtime(std::string version, std::string flavor,
                                  flyteidl::core::RuntimeMetadata::RuntimeType type) {
  auto* r = template_.mutable_metadata()->mutable_runtime();
  r->set_type(type);
  r->set_version(std::move(version));
  r->set_flavor(std::move(flavor));
  return *this;
}
TaskBuilder& TaskBuilder::Config(std::string key, std::string value) {
  (*template_.mutable_config())[key] = std::move(value);
  return *this;
}
TaskBuilder& TaskBuilder::Custom(google::protobuf::Struct custom) {
  *template_.mutable_custom() = std::move(custom);
  return *this;
}
TaskBuilder& TaskBuilder::Container(const ContainerBuilder& container) {
  *template_.mutable_container() = container.Build();
  return *this;
}
TaskBuilder& TaskBuilder::K8sPod(google::protobuf::Struct pod_spec,
                                 std::string primary_container_name) {
  auto* pod = template_.mutable_k8s_pod();
  *pod->mutable_pod_spec() = std::move(pod_spec);
  pod->set_primary_container_name(std::move(primary_container_name));
  return *this;
}
TaskBuilder& TaskBuilder::Sql(std::string statement, flyteidl::core::Sql::Dialect dialect) {
  auto* sql = template_.mutable_sql();
  sql->set_statement(std::move(statement));
  sql->set_dialect(dialect);
  return *this;
}
TaskBuilder& TaskBuilder::RunAs(std::string k8s_service_account) {
  template_.mutable_security_context()->mutable_run_as()->set_k8s_service_account(
      std::move(k8s_service_account));
  return *this;
}
TaskBuilder& TaskBuilder::Secret(std::string group, std::string key,
                                 flyteidl::core::Secret::MountType mount, std::string env_var) {
  auto* s = template_.mutable_security_context()->add_secrets();
  s->set_group(std::move(group));
  s->set_key(std::move(key));
  s->set_mount_requirement(mount);
  s->set_env_var(std::move(env_var));
  return *this;
}

// ---- Nodes ------------------------------------------------------------------------

void SetNodeTimeout(Node* node, std::chrono::nanoseconds timeout) {
  *node->mutable_metadata()->mutable_timeout() = ToProtoDuration(timeout);
}

BranchNodeBuilder::BranchNodeBuilder(std::string id) : NodeBuilderBase(std::move(id)) {
  node_.mutable_branch_node()->mutable_if_else();
}

BranchNodeBuilder& BranchNodeBuilder::If(const Condition& condition, const NodeBuilder& then_node) {
  auto* ie = node_.mutable_branch_node()->mutable_if_else();
  auto* block = ie->has_case_() ? ie->add_other() : ie->mutable_case_();
  *block->mutable_condition() = condition.proto;
  *block->mutable_then_node() = then_node.Build();
  return *this;
}
BranchNodeBuilder& BranchNodeBuilder::ElseIf(const Condition& condition,
                                             const NodeBuilder& then_node) {
  return If(condition, then_node);
}
BranchNodeBuilder& BranchNodeBuilder::Else(const NodeBuilder& else_node) {
  *node_.mutable_branch_node()->mutable_if_else()->mutable_else_node() = else_node.Build();
  return *this;
}
BranchNodeBuilder& BranchNodeBuilder::ElseFail(std::string message) {
  auto* err = node_.mutable_branch_node()->mutable_if_else()->mutable_error();
  err->set_failed_node_id(node_.id());
  err->set_message(std::move(message));
  return *this;
}

ArrayNodeBuilder::ArrayNodeBuilder(std::string id, const NodeBuilder& sub_node)
    : NodeBuilderBase(std::move(id)) {
  *node_.mutable_array_node()->mutable_node() = sub_node.Build();
}
ArrayNodeBuilder& ArrayNodeBuilder::Parallelism(uint32_t parallelism) {
  node_.mutable_array_node()->set_parallelism(parallelism);
  return *this;
}
ArrayNodeBuilder& ArrayNodeBuilder::MinSuccesses(uint32_t count) {
  node_.mutable_array_node()->set_min_successes(count);
  return *this;
}
ArrayNodeBuilder& ArrayNodeBuilder::MinSuccessRatio(float ratio) {
  node_.mutable_array_node()->set_min_success_ratio(ratio);
  return *this;
}
ArrayNodeBuilder& ArrayNodeBuilder::ExecutionMode(flyteidl::core::ArrayNode::ExecutionMode m) {
  node_.mutable_array_node()->set_execution_mode(m);
  return *this;
}
ArrayNodeBuilder& ArrayNodeBuilder::DataMode(flyteidl::core::ArrayNode::DataMode m) {
  node_.mutable_array_node()->set_data_mode(m);
  return *this;
}
ArrayNodeBuilder& ArrayNodeBuilder::OriginalSubNodeInterface(bool on) {
  node_.mutable_array_node()->mutable_is_original_sub_node_interface()->set_value(on);
  return *this;
}

ArrayNodeBuilder& ArrayNodeBuilder::BoundInputs(std::vector<std::string> names) {
  auto* a = node_.mutable_array_node();
  a->clear_bound_inputs();
  for (auto& n : names) a->add_bound_inputs(std::move(n));
  return *this;
}

NodeBuilder TaskNode(std::string id, const TaskTemplate& task) {
  return TaskNode(std::move(id), task.id());
}
NodeBuilder TaskNode(std::string id, const flyteidl::core::Identifier& task_id) {
  NodeBuilder b(std::move(id));
  *b.mutable_node().mutable_task_node()->mutable_reference_id() = task_id;
  return b;
}
NodeBuilder SubWorkflowNode(std::string id, const flyteidl::core::Identifier& workflow_id) {
  NodeBuilder b(std::move(id));
  *b.mutable_node().mutable_workflow_node()->mutable_sub_workflow_ref() = workflow_id;
  return b;
}
NodeBuilder LaunchPlanNode(std::string id, const flyteidl::core::Identifier& launch_plan_id) {
  NodeBuilder b(std::move(id));
  *b.mutable_node().mutable_workflow_node()->mutable_launchplan_ref() = launch_plan_id;
  return b;
}
NodeBuilder SleepGate(std::string id, std::chrono::nanoseconds duration) {
  NodeBuilder b(std::move(id));
  *b.mutable_node().mutable_gate_node()->mutable_sleep()->mutable_duration() =
      ToProtoDuration(duration);
  return b;
}
NodeBuilder ApproveGate(std::string id, std::string signal_id) {
  NodeBuilder b(std::move(id));
  b.mutable_node().mutable_gate_node()->mutable_approve()->set_signal_id(std::move(signal_id));
  return b;
}
NodeBuilder SignalGate(std::string id, std::string signal_id, LiteralType type,
                       std::string output_variable_name) {
  NodeBuilder b(std::move(id));
  auto* s = b.mutable_node().mutable_gate_node()->mutable_signal();
  s->set_signal_id(std::move(signal_id));
  *s->mutable_type() = std::move(type);
  s->set_output_variable_name(std::move(output_variable_name));
  return b;
}
BranchNodeBuilder BranchNode(std::string id) { return BranchNodeBuilder(std::move(id)); }
ArrayNodeBuilder ArrayNode(std::string id, const NodeBuilder& sub_node) {
  return ArrayNodeBuilder(std::move(id), sub_node);
}

// ---- Workflows --------------------------------------------------------------------

WorkflowBuilder::WorkflowBuilder(std::string name) {
  *template_.mutable_id() = MakeIdentifier(flyteidl::core::WORKFLOW, std::move(name));
  template_.mutable_metadata();
  template_.mutable_metadata_defaults();
  template_.mutable_interface()->mutable_inputs();
  template_.mutable_interface()->mutable_outputs();
}
WorkflowBuilder& WorkflowBuilder::Version(std::string version) {
  template_.mutable_id()->set_version(std::move(version));
  return *this;
}
WorkflowBuilder& WorkflowBuilder::Project(std::string project, std::string domain) {
  template_.mutable_id()->set_project(std::move(project));
  template_.mutable_id()->set_domain(std::move(domain));
  return *this;
}
WorkflowBuilder& WorkflowBuilder::Input(std::string name, LiteralType type,
                                        std::string description) {
  AddVariable(template_.mutable_interface()->mutable_inputs(), std::move(name), std::move(type),
              std::move(description));
  return *this;
}
WorkflowBuilder& WorkflowBuilder::Output(std::string name, LiteralType type, BindingData binding) {
  AddVariable(template_.mutable_interface()->mutable_outputs(), name, std::move(type), "");
  auto* b = template_.add_outputs();
  b->set_var(std::move(name));
  *b->mutable_binding() = std::move(binding);
  return *this;
}
WorkflowBuilder& WorkflowBuilder::OnFailure(
    flyteidl::core::WorkflowMetadata::OnFailurePolicy policy) {
  template_.mutable_metadata()->set_on_failure(policy);
  return *this;
}
WorkflowBuilder& WorkflowBuilder::InterruptibleByDefault(bool on) {
  template_.mutable_metadata_defaults()->set_interruptible(on);
  return *this;
}
WorkflowBuilder& WorkflowBuilder::Tag(std::string key, std::string value) {
  (*template_.mutable_metadata()->mutable_tags())[key] = std::move(value);
  return *this;
}

}  // namespace flytecpp::idl
