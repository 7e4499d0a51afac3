// K8sPod tasks on the process runtime: init containers, a primary and its
// sidecars sharing a network namespace and emptyDir volumes, each container
// in a sandbox of its own; PodSpec fields that cannot be honoured refused by
// name.
#include "pod.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <fstream>

#include "../engine/engine_test_util.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/runtime/process.h"
#include "flytecpp/store/data_dir.h"

namespace flytecpp::runtime {
namespace {

using namespace flytecpp::engine::testing;
namespace fs = std::filesystem;

google::protobuf::Struct PodSpec(const std::string& json) {
  google::protobuf::Struct s;
  auto st = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << json;
  return s;
}

class PodTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    ProcessRuntimeOptions options;
    options.secrets.emplace(dir_.path() / "secrets");
    process_ = std::make_unique<ProcessRuntime>(options);
    if (!process_->CheckSandbox().ok()) GTEST_SKIP() << "bubblewrap cannot run here";
  }

  engine::ExecutionResult Run(const TaskTemplate& task) { return RunOn(*process_, task); }

  // On `runtime`, with real time (real processes).
  engine::EngineOptions OptionsOn(Runtime& runtime) {
    auto o = Options();
    o.runtimes = {&runtime};
    o.clock = nullptr;
    return o;
  }
  engine::ExecutionResult RunOn(Runtime& runtime, const TaskTemplate& task) {
    return EngineTest::RunTask(task, lit::Inputs({}), OptionsOn(runtime));
  }

  // A pod task whose primary is "main", its outputs read by copilot.
  TaskTemplate Pod(const std::string& name, const std::string& spec_json,
                   std::vector<std::string> outputs = {}) {
    TaskBuilder b(name, "sidecar");
    for (const auto& o : outputs) b.Output(o, types::String());
    b.K8sPod(PodSpec(spec_json));
    b.Config("primary_container_name", "main");
    TaskTemplate t = b.Build();
    auto* dc = t.mutable_k8s_pod()->mutable_data_config();
    dc->set_enabled(true);
    dc->set_input_path("/var/inputs");
    dc->set_output_path("/var/outputs");
    return t;
  }

  std::string Str(const engine::ExecutionResult& r, const std::string& name) {
    EXPECT_TRUE(r.outputs.literals().contains(name)) << name;
    if (!r.outputs.literals().contains(name)) return "";
    return r.outputs.literals().at(name).scalar().primitive().string_value();
  }

  std::unique_ptr<ProcessRuntime> process_;
};

// Containers as JSON, with `sh -c SCRIPT` commands.
std::string Sh(const std::string& name, const std::string& script, const std::string& extra = "") {
  std::string escaped;
  for (char c : script) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return "{\"name\":\"" + name + "\",\"image\":\"debian:12\",\"command\":[\"sh\",\"-c\",\"" +
         escaped + "\"]" + extra + "}";
}

TEST_F(PodTest, InitContainersThenAPrimaryAndASidecarSharingLocalhostAndAVolume) {
  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("db", "pw", "pod-secret-19").ok());
  const std::string shared = R"(,"volumeMounts":[{"name":"shared","mountPath":"/shared"}])";
  // Two init containers, in order; a sidecar that answers on localhost:8711
  // forever; the primary reads what the inits left and asks the sidecar.
  const std::string sidecar =
      "exec python3 -c \"import socket\ns=socket.socket()\n"
      "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('127.0.0.1',8711))\n"
      "s.listen()\nwhile True:\n  c,_=s.accept()\n  c.sendall(b'pong')\n  c.close()\"";
  const std::string primary =
      "cat /shared/order > /var/outputs/order; "
      "python3 -c \"import socket,time\nfor i in range(200):\n  try:\n"
      "    c=socket.create_connection(('127.0.0.1',8711)); break\n"
      "  except OSError: time.sleep(0.05)\nprint(c.recv(10).decode(),end='')\" "
      "> /var/outputs/reply; "
      "cat /etc/flyte/secrets/db/pw | od -An -c | tr -d ' \\n' > /var/outputs/secret";
  TaskTemplate t =
      Pod("pod.full",
          R"({"initContainers":[)" + Sh("first", "echo -n one > /shared/order", shared) + "," +
              Sh("second", "echo -n ,two >> /shared/order", shared) + R"(],"containers":[)" +
              Sh("main", primary, shared) + "," + Sh("server", sidecar) +
              R"(],"volumes":[{"name":"shared","emptyDir":{}}],"restartPolicy":"Never"})",
          {"order", "reply", "secret"});
  auto* s = t.mutable_security_context()->add_secrets();
  s->set_group("db");
  s->set_key("pw");
  s->set_mount_requirement(core::Secret::FILE);
  auto r = Run(t);
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  EXPECT_EQ(Str(r, "order"), "one,two");
  EXPECT_EQ(Str(r, "reply"), "pong");  // the sidecar, on the pod's localhost
  EXPECT_EQ(Str(r, "secret"), "pod-secret-19");
  // The sidecar ran until the primary ended (the run ended: it was stopped).
  store::DataDir data(store_->data_dir(), r.execution_id);
  EXPECT_TRUE(fs::exists(data.OutputDir("n0", 0) + "/server.stderr.log"));
  // Nothing holding a secret is left: the containers' bwrap options files
  // (their environments) and the secret files went with the attempt.
  EXPECT_FALSE(fs::exists(data.OutputDir("n0", 0) + "/.pod"));
  EXPECT_FALSE(fs::exists(data.OutputDir("n0", 0) + "/secrets"));
}

TEST_F(PodTest, AFailingInitContainerEndsThePodBeforeThePrimaryRuns) {
  TaskTemplate t =
      Pod("pod.initfail",
          R"({"initContainers":[)" + Sh("migrate", "echo 'schema is locked' >&2; exit 3") +
              R"(],"containers":[)" + Sh("main", "echo ran > /var/outputs/ran") + "]}",
          {"ran"});
  t.mutable_metadata()->mutable_retries()->set_retries(0);
  (*t.mutable_k8s_pod()->mutable_metadata()->mutable_labels())["team"] = "ledger";
  (*t.mutable_k8s_pod()->mutable_metadata()->mutable_annotations())["owner"] = "ana";
  auto r = Run(t);
  ASSERT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->message().find("init container migrate failed with exit code 3: schema is "
                                    "locked"),
            std::string::npos)
      << r.error->message();
  store::DataDir data(store_->data_dir(), r.execution_id);
  EXPECT_FALSE(fs::exists(data.OutputDir("n0", 0) + "/copilot/outputs/ran"));
  // The pod's labels and annotations are in its task events.
  int with_metadata = 0;
  for (const auto& e : *reader_->GetEvents(r.execution_id)) {
    if (e.kind != store::EventKind::kTask) continue;
    flyteidl::event::TaskExecutionEvent te;
    ASSERT_TRUE(te.ParseFromString(e.payload));
    const auto& f = te.custom_info().fields();
    if (!f.contains("labels") || !f.contains("annotations")) continue;
    EXPECT_EQ(f.at("labels").struct_value().fields().at("team").string_value(), "ledger");
    EXPECT_EQ(f.at("annotations").struct_value().fields().at("owner").string_value(), "ana");
    ++with_metadata;
  }
  EXPECT_GE(with_metadata, 2);  // RUNNING and FAILED
}

TEST_F(PodTest, ThePodHasNoNetworkBeyondItsOwnLocalhost) {
  flytecpp::testing::LoopbackListener listener;
  const std::string port = listener.port();
  const std::string probe =
      "python3 -c \"import socket\ntry:\n  socket.create_connection(('127.0.0.1'," + port +
      "),timeout=2); print('reached',end='')\nexcept OSError: print('isolated',end='')\" "
      "> /var/outputs/net";
  TaskTemplate t =
      Pod("pod.net", R"({"containers":[)" + Sh("main", probe) + "," + Sh("idle", "sleep 60") + "]}",
          {"net"});
  auto r = Run(t);
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  EXPECT_EQ(Str(r, "net"), "isolated");
  t.mutable_config()->insert({"flytecpp.network", "true"});
  auto allowed = Run(t);
  ASSERT_EQ(allowed.phase, core::WorkflowExecution::SUCCEEDED);
  EXPECT_EQ(Str(allowed, "net"), "reached");
}

TEST(PodSpecTest, FieldsThatCannotBeHonouredAreRefusedByName) {
  struct Case {
    std::string spec, primary, error;
  };
  const std::string ok = R"({"name":"main","image":"x","command":["true"]})";
  for (
      const Case& c : std::vector<Case>{
          {R"({"hostNetwork":true,"containers":[)" + ok + "]}", "main",
           "pod_spec.hostNetwork: not supported locally"},
          {R"({"containers":[)" + ok + R"(],"volumes":[{"name":"v","hostPath":{"path":"/"}}]})",
           "main", "pod_spec.volumes[0].hostPath: only emptyDir volumes are supported locally"},
          {R"({"containers":[{"name":"main","image":"x","command":["true"],"env":[{"name":"A","valueFrom":{"secretKeyRef":{}}}]}]})",
           "main", "pod_spec.containers[0].env[0].valueFrom: not supported locally"},
          {R"({"containers":[{"name":"main","image":"x","command":["true"],"lifecycle":{}}]})",
           "main", "pod_spec.containers[0].lifecycle: not supported locally"},
          {R"({"containers":[{"name":"main","image":"x","command":["true"],"volumeMounts":[{"name":"nope","mountPath":"/x"}]}]})",
           "main", "pod_spec.containers[0].volumeMounts[0].name: no emptyDir volume \"nope\""},
          {R"({"containers":[)" + ok + "]}", "other",
           "no container named \"other\" (the primary_container_name)"},
          {R"({"containers":[)" + ok + R"(,{"name":"side","image":"x","command":["true"]}]})", "",
           "several containers and no primary_container_name"},
          {R"({"containers":[{"name":"main","image":"x"}]})", "main",
           "pod_spec.containers[0].command: missing"},
          {R"({"containers":[{"name":"main","image":"x","command":["true"],"resources":{"limits":{"memory":"lots"}}}]})",
           "main", "pod_spec.containers[0].resources.limits.memory: \"lots\" is not a quantity"},
      }) {
    SCOPED_TRACE(c.spec);
    auto plan = internal::ParsePodSpec(PodSpec(c.spec), c.primary);
    ASSERT_FALSE(plan.ok());
    EXPECT_NE(plan.status().message().find(c.error), std::string::npos) << plan.status().message();
  }
  // Scheduling fields mean nothing locally: accepted. Limits are read.
  auto plan = internal::ParsePodSpec(
      PodSpec(R"({"nodeSelector":{"a":"b"},"tolerations":[],"serviceAccountName":"sa",
        "containers":[{"name":"main","image":"x","command":["run"],"args":["--fast"],
          "resources":{"requests":{"cpu":"250m"},"limits":{"memory":"1Gi","cpu":2}},
          "env":[{"name":"K","value":"V"}]}]})"),
      "main");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->containers.size(), 1u);
  const auto& m = plan->containers[0];
  EXPECT_EQ(m.command, (std::vector<std::string>{"run", "--fast"}));
  ASSERT_TRUE(m.memory.has_value());
  EXPECT_EQ(*m.memory, 1073741824u);
  ASSERT_TRUE(m.cpu.has_value());
  EXPECT_DOUBLE_EQ(*m.cpu, 2.0);  // the limit beats the request
  ASSERT_EQ(m.env.size(), 1u);
  EXPECT_EQ(m.env[0], (std::pair<std::string, std::string>{"K", "V"}));
}

TEST_F(PodTest, ABadPodSpecFailsTheTaskWithOneLineNamingTheField) {
  TaskTemplate t = Pod("pod.bad", R"({"hostPID":true,"containers":[)" + Sh("main", "true") + "]}");
  auto r = Run(t);
  ASSERT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code(), "BadTaskSpecification");
  EXPECT_EQ(r.error->kind(), core::ExecutionError::USER);
  EXPECT_EQ(r.error->message(), "pod_spec.hostPID: not supported locally");
}

// GPUs as slots, proven with stand-in device files: a task holds its device
// for its whole attempt (two tasks flock the same device without blocking:
// both succeed only if they never overlap), sees it at /dev/nvidia<N> and in
// CUDA_VISIBLE_DEVICES; a task needing more GPUs than exist fails at once.
TEST_F(PodTest, GpusAreSlotsTwoTasksNeverShareOne) {
  const fs::path dev = dir_.path() / "dev";
  fs::create_directories(dev);
  std::ofstream(dev / "nvidia3") << "";
  ProcessRuntimeOptions options;
  options.gpus = std::vector<std::string>{(dev / "nvidia3").string()};
  options.jobs = 2;
  ProcessRuntime runtime(options);

  auto gpu_task = [](const std::string& name) {
    TaskBuilder b(name, "raw-container");
    b.Output("visible", types::String());
    b.Container(ContainerBuilder("debian:12")
                    .Command({"sh", "-c",
                              "flock -n /dev/nvidia3 sleep 0.5 || exit 7; "
                              "printf %s \"$CUDA_VISIBLE_DEVICES\" > /var/outputs/visible"})
                    .DataConfig("/var/inputs", "/var/outputs"));
    TaskTemplate t = b.Build();
    auto* gpu = t.mutable_container()->mutable_resources()->add_limits();
    gpu->set_name(core::Resources::GPU);
    gpu->set_value("1");
    return t;
  };
  WorkflowBuilder wf("wf.gpus");
  wf.Output("a", types::String(), Promise("a", "visible"));
  wf.Output("b", types::String(), Promise("b", "visible"));
  TaskTemplate ta = gpu_task("gpu.a"), tb = gpu_task("gpu.b");
  wf.Add(TaskNode("a", ta));
  wf.Add(TaskNode("b", tb));
  auto closure = CompileIt(wf.Build(), {ta, tb});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  engine::Engine engine(OptionsOn(runtime));
  auto r = engine.Run({.closure = *closure, .inputs = lit::Inputs({})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Str(*r, "a"), "3");
  EXPECT_EQ(Str(*r, "b"), "3");

  // Two GPUs on a one-GPU machine, or one on a machine without any: at once.
  TaskTemplate two = gpu_task("gpu.two");
  two.mutable_container()->mutable_resources()->mutable_limits(0)->set_value("2");
  auto f = RunOn(runtime, two);
  ASSERT_EQ(f.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(f.error.has_value());
  EXPECT_EQ(f.error->code(), "InsufficientGpus");
  EXPECT_EQ(f.error->message(), "the task needs 2 GPU(s) and this machine has 1");

  ProcessRuntimeOptions none;
  none.gpus = std::vector<std::string>{};
  ProcessRuntime cpu_only(none);
  TaskTemplate accel = Pod("gpu.accel", R"({"containers":[)" + Sh("main", "true") + "]}");
  accel.mutable_extended_resources()->mutable_gpu_accelerator()->set_device("nvidia-tesla-t4");
  auto g = RunOn(cpu_only, accel);
  ASSERT_EQ(g.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(g.error.has_value());
  EXPECT_EQ(g.error->message(),
            "the task needs 1 GPU(s) and this machine has none (no /dev/nvidia<N> devices)");
}

}  // namespace
}  // namespace flytecpp::runtime
