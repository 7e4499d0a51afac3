// Interop with the official JS bindings (@flyteorg/flyteidl + protobufjs).
//
//   FromJs.*  decode what js_write.js wrote and check every field; the result
//             must also be proto-equal to the same message built in C++.
//   ToJs.*    write the C++-built messages for js_check.js.
//   Contract.* the checks hold for the C++-built messages themselves.
//
// The directory is $FLYTECPP_INTEROP_DIR (ctest sets it).
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "flytecpp/idl/io.h"
#include "interop_messages.h"

namespace flytecpp::interop {
namespace {

namespace core = flyteidl::core;
using google::protobuf::util::MessageDifferencer;

std::filesystem::path InteropDir() {
  const char* dir = std::getenv("FLYTECPP_INTEROP_DIR");
  return dir != nullptr ? dir : std::filesystem::temp_directory_path() / "flytecpp-interop";
}

void ExpectId(const core::Identifier& id, core::ResourceType type, const std::string& name) {
  EXPECT_EQ(id.resource_type(), type) << name;
  EXPECT_EQ(id.project(), "flytesnacks") << name;
  EXPECT_EQ(id.domain(), "development") << name;
  EXPECT_EQ(id.name(), name);
  EXPECT_EQ(id.version(), "v1") << name;
}

void CheckContainerTask(const core::TaskTemplate& t) {
  ExpectId(t.id(), core::TASK, "interop.container_task");
  EXPECT_EQ(t.type(), "python-task");
  EXPECT_EQ(t.task_type_version(), 1);
  const auto& m = t.metadata();
  EXPECT_TRUE(m.discoverable());
  EXPECT_EQ(m.runtime().type(), core::RuntimeMetadata::FLYTE_SDK);
  EXPECT_EQ(m.runtime().version(), "1.16.0");
  EXPECT_EQ(m.runtime().flavor(), "python");
  EXPECT_EQ(m.timeout().seconds(), 1800);
  EXPECT_EQ(m.retries().retries(), 3u);
  EXPECT_EQ(m.discovery_version(), "1.0");
  ASSERT_EQ(m.interruptible_value_case(), core::TaskMetadata::kInterruptible);
  EXPECT_TRUE(m.interruptible());
  EXPECT_TRUE(m.cache_serializable());
  ASSERT_EQ(m.cache_ignore_input_vars_size(), 1);
  EXPECT_EQ(m.cache_ignore_input_vars(0), "seed");
  EXPECT_EQ(m.tags().at("team"), "ml");
  EXPECT_EQ(m.pod_template_name(), "gpu-template");

  const auto& in = t.interface().inputs().variables();
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in.at("data").type().blob().format(), "csv");
  EXPECT_EQ(in.at("seed").type().simple(), core::INTEGER);
  EXPECT_EQ(t.interface().outputs().variables().at("o0").type().simple(), core::FLOAT);
  EXPECT_EQ(t.custom().fields().at("framework").string_value(), "torch");
  EXPECT_EQ(t.config().at("testKey1"), "testValue1");

  ASSERT_EQ(t.target_case(), core::TaskTemplate::kContainer);
  const auto& c = t.container();
  EXPECT_EQ(c.image(), "python:3.9-slim");
  ASSERT_EQ(c.command_size(), 3);
  EXPECT_EQ(c.command(2), "train");
  ASSERT_EQ(c.args_size(), 2);
  EXPECT_EQ(c.args(1), "{{.inputs.seed}}");
  ASSERT_EQ(c.resources().requests_size(), 2);
  EXPECT_EQ(c.resources().requests(0).name(), core::Resources::CPU);
  EXPECT_EQ(c.resources().requests(0).value(), "500m");
  EXPECT_EQ(c.resources().requests(1).name(), core::Resources::MEMORY);
  EXPECT_EQ(c.resources().requests(1).value(), "1Gi");
  ASSERT_EQ(c.resources().limits_size(), 2);
  EXPECT_EQ(c.resources().limits(0).value(), "1");
  EXPECT_EQ(c.resources().limits(1).value(), "2Gi");
  ASSERT_EQ(c.env_size(), 1);
  EXPECT_EQ(c.env(0).key(), "PYTHONUNBUFFERED");
  EXPECT_EQ(c.env(0).value(), "1");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  ASSERT_EQ(c.config_size(), 1);
  EXPECT_EQ(c.config(0).key(), "legacy");
#pragma GCC diagnostic pop
  ASSERT_EQ(c.ports_size(), 1);
  EXPECT_EQ(c.ports(0).container_port(), 8080u);
  EXPECT_EQ(c.ports(0).name(), "http");
  EXPECT_TRUE(c.data_config().enabled());
  EXPECT_EQ(c.data_config().input_path(), "/var/inputs");
  EXPECT_EQ(c.data_config().output_path(), "/var/outputs");
  EXPECT_EQ(c.data_config().format(), core::DataLoadingConfig::YAML);
  EXPECT_EQ(c.data_config().io_strategy().download_mode(), core::IOStrategy::DOWNLOAD_STREAM);
  EXPECT_EQ(c.data_config().io_strategy().upload_mode(), core::IOStrategy::UPLOAD_EAGER);
  EXPECT_EQ(c.architecture(), core::Container::ARM64);

  EXPECT_EQ(t.security_context().run_as().k8s_service_account(), "trainer");
  ASSERT_EQ(t.security_context().secrets_size(), 1);
  EXPECT_EQ(t.security_context().secrets(0).group(), "aws");
  EXPECT_EQ(t.security_context().secrets(0).key(), "token");
  EXPECT_EQ(t.security_context().secrets(0).mount_requirement(), core::Secret::ENV_VAR);
  EXPECT_EQ(t.extended_resources().gpu_accelerator().device(), "nvidia-tesla-a100");
  EXPECT_EQ(t.extended_resources().gpu_accelerator().partition_size(), "1g.5gb");
  EXPECT_EQ(t.extended_resources().shared_memory().mount_path(), "/dev/shm");
  EXPECT_EQ(t.extended_resources().shared_memory().mount_name(), "shm");
  EXPECT_EQ(t.extended_resources().shared_memory().size_limit(), "2Gi");
}

void CheckPodTask(const core::TaskTemplate& t) {
  ExpectId(t.id(), core::TASK, "interop.pod_task");
  EXPECT_EQ(t.type(), "sidecar");
  ASSERT_EQ(t.target_case(), core::TaskTemplate::kK8SPod);
  const auto& pod = t.k8s_pod();
  EXPECT_EQ(pod.metadata().labels().at("app"), "interop");
  EXPECT_EQ(pod.metadata().annotations().at("note"), "made in C++ or JS");
  EXPECT_EQ(pod.primary_container_name(), "primary");
  const auto& containers = pod.pod_spec().fields().at("containers").list_value();
  ASSERT_EQ(containers.values_size(), 1);
  EXPECT_EQ(containers.values(0).struct_value().fields().at("image").string_value(), "alpine:3");
  EXPECT_TRUE(pod.data_config().enabled());
  EXPECT_EQ(pod.data_config().format(), core::DataLoadingConfig::PROTO);
}

void CheckSqlTask(const core::TaskTemplate& t) {
  ExpectId(t.id(), core::TASK, "interop.sql_task");
  ASSERT_EQ(t.target_case(), core::TaskTemplate::kSql);
  EXPECT_EQ(t.sql().statement(), "SELECT * FROM t WHERE n > {{ .inputs.n }}");
  EXPECT_EQ(t.sql().dialect(), core::Sql::HIVE);
}

const core::Node& FindNode(const core::WorkflowTemplate& wf, const std::string& id) {
  for (const auto& n : wf.nodes()) {
    if (n.id() == id) return n;
  }
  ADD_FAILURE() << "no node " << id;
  static const core::Node kEmpty;
  return kEmpty;
}

void CheckComparison(const core::BooleanExpression& e, core::ComparisonExpression::Operator op,
                     const std::string& left_var) {
  ASSERT_TRUE(e.has_comparison());
  EXPECT_EQ(e.comparison().operator_(), op);
  EXPECT_EQ(e.comparison().left_value().var(), left_var);
}

void CheckAllNodesClosure(const core::WorkflowClosure& c) {
  const auto& wf = c.workflow();
  ExpectId(wf.id(), core::WORKFLOW, "interop.all_nodes");
  EXPECT_EQ(wf.metadata().quality_of_service().tier(), core::QualityOfService::HIGH);
  EXPECT_EQ(wf.metadata().on_failure(),
            core::WorkflowMetadata::FAIL_AFTER_EXECUTABLE_NODES_COMPLETE);
  EXPECT_EQ(wf.metadata().tags().at("owner"), "flytecpp");
  EXPECT_TRUE(wf.metadata_defaults().interruptible());
  EXPECT_EQ(wf.interface().inputs().variables().at("items").type().collection_type().simple(),
            core::STRING);
  ASSERT_EQ(wf.nodes_size(), 9);

  const auto& t0 = FindNode(wf, "t0");
  EXPECT_EQ(t0.metadata().name(), "train");
  EXPECT_EQ(t0.metadata().timeout().seconds(), 60);
  EXPECT_EQ(t0.metadata().retries().retries(), 2u);
  ASSERT_EQ(t0.metadata().interruptible_value_case(), core::NodeMetadata::kInterruptible);
  EXPECT_FALSE(t0.metadata().interruptible());
  EXPECT_TRUE(t0.metadata().cacheable());
  EXPECT_EQ(t0.metadata().cache_version(), "2");
  EXPECT_TRUE(t0.metadata().cache_serializable());
  EXPECT_EQ(t0.metadata().config().at("queue"), "gpu");
  ASSERT_EQ(t0.output_aliases_size(), 1);
  EXPECT_EQ(t0.output_aliases(0).var(), "o0");
  EXPECT_EQ(t0.output_aliases(0).alias(), "accuracy");
  ExpectId(t0.task_node().reference_id(), core::TASK, "interop.container_task");
  EXPECT_EQ(t0.task_node().overrides().resources().requests(0).value(), "2");
  EXPECT_EQ(t0.task_node().overrides().container_image(), "python:3.10");
  ASSERT_EQ(t0.inputs_size(), 2);
  EXPECT_EQ(t0.inputs(0).var(), "data");
  EXPECT_EQ(t0.inputs(0).binding().scalar().blob().uri(), "s3://bucket/data.csv");
  EXPECT_EQ(t0.inputs(1).binding().promise().node_id(), "start-node");
  EXPECT_EQ(t0.inputs(1).binding().promise().var(), "n");

  const auto& b0 = FindNode(wf, "b0");
  ASSERT_EQ(b0.upstream_node_ids_size(), 1);
  EXPECT_EQ(b0.upstream_node_ids(0), "t0");
  const auto& ie = b0.branch_node().if_else();
  const auto& conj = ie.case_().condition().conjunction();
  EXPECT_EQ(conj.operator_(), core::ConjunctionExpression::AND);
  CheckComparison(conj.left_expression(), core::ComparisonExpression::GT, "n");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  EXPECT_EQ(conj.left_expression().comparison().right_value().primitive().integer(), 100);
  CheckComparison(conj.right_expression(), core::ComparisonExpression::GTE, "acc");
  EXPECT_DOUBLE_EQ(conj.right_expression().comparison().right_value().primitive().float_value(),
                   0.5);
#pragma GCC diagnostic pop
  EXPECT_EQ(ie.case_().then_node().id(), "b0-big");
  ExpectId(ie.case_().then_node().task_node().reference_id(), core::TASK, "interop.sql_task");
  ASSERT_EQ(ie.other_size(), 1);
  const auto& or_expr = ie.other(0).condition().conjunction();
  EXPECT_EQ(or_expr.operator_(), core::ConjunctionExpression::OR);
  CheckComparison(or_expr.left_expression(), core::ComparisonExpression::EQ, "n");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  EXPECT_EQ(or_expr.left_expression().comparison().right_value().scalar().primitive().integer(), 1);
  const auto& neq = or_expr.right_expression().comparison();
  EXPECT_EQ(neq.operator_(), core::ComparisonExpression::NEQ);
  EXPECT_EQ(neq.left_value().primitive().string_value(), "x");
#pragma GCC diagnostic pop
  EXPECT_EQ(neq.right_value().var(), "label");
  EXPECT_EQ(ie.else_node().id(), "b0-small");

  const auto& b1 = FindNode(wf, "b1").branch_node().if_else();
  CheckComparison(b1.case_().condition(), core::ComparisonExpression::LT, "n");
  ASSERT_EQ(b1.default_case(), core::IfElseBlock::kError);
  EXPECT_EQ(b1.error().failed_node_id(), "b1");
  EXPECT_EQ(b1.error().message(), "n must not be negative");

  EXPECT_EQ(FindNode(wf, "g_sleep").gate_node().sleep().duration().seconds(), 10);
  EXPECT_EQ(FindNode(wf, "g_approve").gate_node().approve().signal_id(), "ok-to-go");
  const auto& sig = FindNode(wf, "g_signal").gate_node().signal();
  EXPECT_EQ(sig.signal_id(), "threshold");
  EXPECT_EQ(sig.type().simple(), core::FLOAT);
  EXPECT_EQ(sig.output_variable_name(), "o0");

  ExpectId(FindNode(wf, "sub").workflow_node().sub_workflow_ref(), core::WORKFLOW, "interop.sub");
  ExpectId(FindNode(wf, "lp").workflow_node().launchplan_ref(), core::LAUNCH_PLAN, "interop.lp");

  const auto& arr = FindNode(wf, "arr").array_node();
  EXPECT_EQ(arr.node().id(), "arr-sub");
  EXPECT_EQ(arr.parallelism(), 10u);
  ASSERT_EQ(arr.success_criteria_case(), core::ArrayNode::kMinSuccessRatio);
  EXPECT_FLOAT_EQ(arr.min_success_ratio(), 0.8f);
  EXPECT_EQ(arr.execution_mode(), core::ArrayNode::FULL_STATE);
  EXPECT_EQ(arr.data_mode(), core::ArrayNode::INDIVIDUAL_INPUT_FILES);
  EXPECT_TRUE(arr.is_original_sub_node_interface().value());
  ASSERT_EQ(arr.bound_inputs_size(), 1);
  EXPECT_EQ(arr.bound_inputs(0), "seed");
  EXPECT_TRUE(arr.run_all_sub_nodes());

  ASSERT_EQ(wf.outputs_size(), 3);
  const auto& attr = wf.outputs(0).binding().promise().attr_path();
  ASSERT_EQ(attr.size(), 2);
  EXPECT_EQ(attr[0].string_value(), "metrics");
  EXPECT_EQ(attr[1].int_value(), 0);
  EXPECT_EQ(wf.outputs(1).binding().collection().bindings_size(), 2);
  EXPECT_EQ(wf.outputs(2).binding().map().bindings().at("a").scalar().primitive().integer(), 7);
  EXPECT_EQ(wf.outputs(2).binding().map().bindings().at("b").promise().node_id(), "g_signal");

  EXPECT_EQ(wf.failure_node().id(), "on_fail");
  ExpectId(wf.failure_node().task_node().reference_id(), core::TASK, "interop.container_task");

  ASSERT_EQ(c.tasks_size(), 3);
  CheckContainerTask(c.tasks(0));
  CheckPodTask(c.tasks(1));
  CheckSqlTask(c.tasks(2));
}

template <typename M>
M ReadOrFail(const std::string& name) {
  M m;
  Status st = idl::ReadMessage(InteropDir() / name, &m, idl::Format::kBinary);
  EXPECT_TRUE(st.ok()) << st.ToString() << " (did the js_write step run?)";
  return m;
}

void ExpectProtoEqual(const google::protobuf::Message& js, const google::protobuf::Message& cpp) {
  MessageDifferencer d;
  std::string report;
  d.ReportDifferencesToString(&report);
  EXPECT_TRUE(d.Compare(js, cpp)) << "JS-built differs from C++-built:\n" << report;
}

TEST(Contract, CppBuiltMessagesPassTheChecks) {
  CheckContainerTask(ContainerTask());
  CheckPodTask(PodTask());
  CheckSqlTask(SqlTask());
  CheckAllNodesClosure(AllNodesClosure());
}

TEST(FromJs, ContainerTask) {
  auto t = ReadOrFail<core::TaskTemplate>("js_container_task.pb");
  CheckContainerTask(t);
  ExpectProtoEqual(t, ContainerTask());
}

TEST(FromJs, PodTask) {
  auto t = ReadOrFail<core::TaskTemplate>("js_pod_task.pb");
  CheckPodTask(t);
  ExpectProtoEqual(t, PodTask());
}

TEST(FromJs, SqlTask) {
  auto t = ReadOrFail<core::TaskTemplate>("js_sql_task.pb");
  CheckSqlTask(t);
  ExpectProtoEqual(t, SqlTask());
}

TEST(FromJs, AllNodesClosure) {
  auto c = ReadOrFail<core::WorkflowClosure>("js_all_nodes_closure.pb");
  CheckAllNodesClosure(c);
  ExpectProtoEqual(c, AllNodesClosure());
}

TEST(ToJs, WriteCppBuiltMessages) {
  std::filesystem::create_directories(InteropDir());
  auto write = [](const std::string& name, const google::protobuf::Message& m) {
    Status st = idl::WriteMessage(InteropDir() / name, m, idl::Format::kBinary);
    ASSERT_TRUE(st.ok()) << st.ToString();
  };
  write("cpp_container_task.pb", ContainerTask());
  write("cpp_pod_task.pb", PodTask());
  write("cpp_sql_task.pb", SqlTask());
  write("cpp_all_nodes_closure.pb", AllNodesClosure());
}

}  // namespace
}  // namespace flytecpp::interop
