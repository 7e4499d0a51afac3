#include "interop_messages.h"

#include <chrono>

#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::interop {

using namespace flytecpp::idl;
using namespace std::chrono_literals;
namespace core = flyteidl::core;

namespace {
Identifier Id(core::ResourceType type, std::string name) {
  return MakeIdentifier(type, std::move(name), "v1", "flytesnacks", "development");
}
}  // namespace

core::TaskTemplate ContainerTask() {
  TaskBuilder b("interop.container_task");
  b.Version("v1")
      .Project("flytesnacks", "development")
      .Input("data", types::Blob("csv"))
      .Input("seed", types::Int())
      .Output("o0", types::Float())
      .Discoverable("1.0")
      .Runtime("1.16.0", "python")
      .Timeout(30min)
      .Retries(3)
      .Interruptible()
      .CacheSerializable()
      .CacheIgnoreInputs({"seed"})
      .Tag("team", "ml")
      .PodTemplateName("gpu-template")
      .Config("testKey1", "testValue1")
      .RunAs("trainer")
      .Container(ContainerBuilder("python:3.9-slim")
                     .Command({"python", "-m", "train"})
                     .Args({"--seed", "{{.inputs.seed}}"})
                     .CpuRequest("500m")
                     .MemoryRequest("1Gi")
                     .CpuLimit("1")
                     .MemoryLimit("2Gi")
                     .Env("PYTHONUNBUFFERED", "1")
                     .Config("legacy", "yes")
                     .Port(8080, "http")
                     .DataConfig("/var/inputs", "/var/outputs", core::DataLoadingConfig::YAML)
                     .Architecture(core::Container::ARM64));
  google::protobuf::Struct custom;
  (*custom.mutable_fields())["framework"].set_string_value("torch");
  b.Custom(custom);
  core::TaskTemplate& t = b.mutable_template();
  t.set_task_type_version(1);
  auto* io = t.mutable_container()->mutable_data_config()->mutable_io_strategy();
  io->set_download_mode(core::IOStrategy::DOWNLOAD_STREAM);
  io->set_upload_mode(core::IOStrategy::UPLOAD_EAGER);
  auto* secret = t.mutable_security_context()->add_secrets();
  secret->set_group("aws");
  secret->set_key("token");
  secret->set_mount_requirement(core::Secret::ENV_VAR);
  auto* ext = t.mutable_extended_resources();
  ext->mutable_gpu_accelerator()->set_device("nvidia-tesla-a100");
  ext->mutable_gpu_accelerator()->set_partition_size("1g.5gb");
  ext->mutable_shared_memory()->set_mount_path("/dev/shm");
  ext->mutable_shared_memory()->set_mount_name("shm");
  ext->mutable_shared_memory()->set_size_limit("2Gi");
  return b.Build();
}

core::TaskTemplate PodTask() {
  google::protobuf::Struct pod_spec;
  auto* containers = (*pod_spec.mutable_fields())["containers"].mutable_list_value();
  auto* c = containers->add_values()->mutable_struct_value()->mutable_fields();
  (*c)["name"].set_string_value("primary");
  (*c)["image"].set_string_value("alpine:3");
  TaskBuilder b("interop.pod_task", "sidecar");
  b.Version("v1").Project("flytesnacks", "development").Output("o0", types::Int());
  b.K8sPod(pod_spec, "primary");
  auto* pod = b.mutable_template().mutable_k8s_pod();
  (*pod->mutable_metadata()->mutable_labels())["app"] = "interop";
  (*pod->mutable_metadata()->mutable_annotations())["note"] = "made in C++ or JS";
  pod->mutable_data_config()->set_enabled(true);
  pod->mutable_data_config()->set_input_path("/in");
  pod->mutable_data_config()->set_output_path("/out");
  pod->mutable_data_config()->set_format(core::DataLoadingConfig::PROTO);
  return b.Build();
}

core::TaskTemplate SqlTask() {
  return TaskBuilder("interop.sql_task", "sql")
      .Version("v1")
      .Project("flytesnacks", "development")
      .Input("n", types::Int())
      .Sql("SELECT * FROM t WHERE n > {{ .inputs.n }}", core::Sql::HIVE)
      .Build();
}

core::WorkflowClosure AllNodesClosure() {
  core::TaskTemplate container = ContainerTask();
  core::TaskTemplate pod = PodTask();
  core::TaskTemplate sql = SqlTask();

  WorkflowBuilder wf("interop.all_nodes");
  wf.Version("v1")
      .Project("flytesnacks", "development")
      .Input("n", types::Int())
      .Input("items", types::List(types::String()))
      .OnFailure(core::WorkflowMetadata::FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
      .InterruptibleByDefault()
      .Tag("owner", "flytecpp");
  wf.mutable_template().mutable_metadata()->mutable_quality_of_service()->set_tier(
      core::QualityOfService::HIGH);

  // Task node with full metadata, an output alias and overrides.
  NodeBuilder t0 = TaskNode("t0", container)
                       .Name("train")
                       .Timeout(60s)
                       .Retries(2)
                       .Interruptible(false)
                       .Cache(true, "2")
                       .OutputAlias("o0", "accuracy")
                       .Bind("data", Constant(lit::Blob("s3://bucket/data.csv", "csv")))
                       .Bind("seed", WorkflowInput("n"));
  auto* md = t0.mutable_node().mutable_metadata();
  md->set_cache_serializable(true);
  (*md->mutable_config())["queue"] = "gpu";
  auto* ov = t0.mutable_node().mutable_task_node()->mutable_overrides();
  auto* req = ov->mutable_resources()->add_requests();
  req->set_name(core::Resources::CPU);
  req->set_value("2");
  ov->set_container_image("python:3.10");
  wf.Add(t0);

  // Branch: if (n > 100 && acc >= 0.5) / else if (n == 1 || "x" != label) / else.
  // Val() writes `primitive` operands; the else-if uses the newer `scalar` one.
  Operand scalar_one;
  scalar_one.proto.mutable_scalar()->mutable_primitive()->set_integer(1);
  wf.Add(BranchNode("b0")
             .Bind("n", WorkflowInput("n"))
             .Bind("acc", Promise("t0", "o0"))
             .Bind("label", Constant(lit::String("y")))
             .After("t0")
             .If(Var("n") > Val(100) && Var("acc") >= Val(0.5),
                 TaskNode("b0-big", sql).Bind("n", WorkflowInput("n")))
             .ElseIf(Var("n") == scalar_one || Val("x") != Var("label"), TaskNode("b0-one", pod))
             .Else(TaskNode("b0-small", pod)));
  wf.Add(BranchNode("b1")
             .Bind("n", WorkflowInput("n"))
             .If(Var("n") < Val(0), TaskNode("b1-neg", pod))
             .ElseFail("n must not be negative"));

  wf.Add(SleepGate("g_sleep", 10s).After("b1"));
  wf.Add(ApproveGate("g_approve", "ok-to-go"));
  wf.Add(SignalGate("g_signal", "threshold", types::Float(), "o0"));
  wf.Add(SubWorkflowNode("sub", Id(core::WORKFLOW, "interop.sub")).Bind("n", WorkflowInput("n")));
  wf.Add(LaunchPlanNode("lp", Id(core::LAUNCH_PLAN, "interop.lp")).Bind("n", WorkflowInput("n")));

  ArrayNodeBuilder arr =
      ArrayNode("arr", TaskNode("arr-sub", container).Bind("data", WorkflowInput("items")))
          .Bind("data", WorkflowInput("items"))
          .Parallelism(10)
          .MinSuccessRatio(0.8f)
          .ExecutionMode(core::ArrayNode::FULL_STATE)
          .DataMode(core::ArrayNode::INDIVIDUAL_INPUT_FILES)
          .BoundInputs({"seed"});
  arr.mutable_node().mutable_array_node()->mutable_is_original_sub_node_interface()->set_value(
      true);
  arr.mutable_node().mutable_array_node()->set_run_all_sub_nodes(true);
  wf.Add(arr);

  wf.Output("out", types::Float(), Promise("t0", "o0", {"metrics", 0}));
  wf.Output("both", types::List(types::Float()),
            BindList({Promise("t0", "o0"), Constant(lit::Float(1.5))}));
  wf.Output("named", types::Map(types::Int()),
            BindMap({{"a", Constant(lit::Int(7))}, {"b", Promise("g_signal", "o0")}}));

  wf.FailureNode(TaskNode("on_fail", container).Bind("seed", Constant(lit::Int(0))));

  core::WorkflowClosure closure;
  *closure.mutable_workflow() = wf.Build();
  *closure.add_tasks() = container;
  *closure.add_tasks() = pod;
  *closure.add_tasks() = sql;
  return closure;
}

}  // namespace flytecpp::interop
