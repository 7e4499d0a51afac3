// The process runtime: templating, copilot data, the raw-container tasks of
// snacks-core run unchanged against a test-made image, and the sandbox
// proven (writes outside fail, no network, memory limits bite, abort kills
// everything).
#include "flytecpp/runtime/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "../engine/engine_test_util.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/store/data_dir.h"
#include "flyteidl/admin/task.pb.h"
#include "sandbox_helper_protocol.h"
#include "spawn.h"
#include "template.h"

namespace flytecpp::runtime {
namespace {

using namespace flytecpp::engine::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(TemplateTest, EveryVariableAndInputRendering) {
  internal::TemplateVars v;
  v.input = "/d/inputs.pb";
  v.input_prefix = "/d";
  v.output_prefix = "/d/0";
  v.raw_output_prefix = "/d/0/raw";
  v.checkpoint_output_prefix = "/d/0/raw/_flytecheckpoints";
  v.per_retry_unique_key = "key";
  v.task_template_path = "/d/task.pb";
  v.namespace_ = "ns";
  core::LiteralMap in = lit::Inputs({{"i", lit::Int(3)},
                                     {"f", lit::Float(3.0)},
                                     {"s", lit::String("x y")},
                                     {"b", lit::Bool(true)},
                                     {"l", lit::List({lit::Int(1), lit::Int(2)})},
                                     {"d", lit::Duration(std::chrono::seconds(90))},
                                     {"blob", lit::Blob("/data/x.csv", "csv")}});
  v.inputs = &in;
  auto r = internal::RenderTemplate(
      "{{.input}} {{ .InputPrefix }} {{$outputPrefix}} {{.rawOutputDataPrefix}} "
      "{{.checkpointOutputPrefix}} {{.prevCheckpointPrefix}} {{.perRetryUniqueKey}} "
      "{{.taskTemplatePath}} {{.namespace}} {{.inputs.i}} {{.Inputs.f}} {{.inputs.s}} "
      "{{.inputs.b}} "
      "{{.inputs.l}} {{.inputs.d}} {{.inputs.blob}}",
      v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(
      *r,
      "/d/inputs.pb /d /d/0 /d/0/raw /d/0/raw/_flytecheckpoints \"\" key /d/task.pb ns 3 3 x y "
      "true [1,2] 90s /data/x.csv");
  auto unknown = internal::RenderTemplate("run {{.nope}}", v);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("{{.nope}}"), std::string::npos);
  auto missing = internal::RenderTemplate("{{.inputs.zzz}}", v);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no input named zzz"), std::string::npos);
}

TEST(TemplateTest, WhatNamesTheInputsFile) {
  EXPECT_TRUE(internal::NamesInputFile("--inputs {{.input}}"));
  EXPECT_TRUE(internal::NamesInputFile("{{ $InputPrefix }}/inputs.pb"));
  EXPECT_FALSE(internal::NamesInputFile("{{.inputs.x}} {{.outputPrefix}}"));
  EXPECT_FALSE(internal::NamesInputFile("inputs.pb"));
  EXPECT_FALSE(internal::NamesInputFile(""));
}

class ProcessTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    // A test-made image: the host's root plus an /app holding the scripts,
    // and `python` on the PATH (the templates call `python`).
    app_ = dir_.path() / "app";
    bin_ = dir_.path() / "bin";
    fs::create_directories(app_);
    fs::create_directories(bin_);
    fs::create_symlink("/usr/bin/python3", bin_ / "python");
    std::ofstream(app_ / "calculate-ellipse-area.sh") << R"(#!/bin/sh
a=$(cat "$1/a"); b=$(cat "$1/b")
echo "3.141592653589793 * $a * $b" | bc -l > "$2/area"
echo "[from shell rawcontainer]" > "$2/metadata"
)";
    fs::permissions(app_ / "calculate-ellipse-area.sh", fs::perms::owner_all,
                    fs::perm_options::add);
    std::ofstream(app_ / "calculate-ellipse-area.py") << R"(import math, sys
a = float(open(sys.argv[1] + "/a").read()); b = float(open(sys.argv[1] + "/b").read())
open(sys.argv[2] + "/area", "w").write(str(math.pi * a * b))
open(sys.argv[2] + "/metadata", "w").write("[from python rawcontainer]")
)";
    ImageMapping image;
    image.pattern = "ghcr.io/flyteorg/rawcontainers-*";
    image.root = "/";
    image.workdir = "/app";
    image.mounts = {{app_, "/app"}, {bin_, "/usr/local/bin"}};
    options_.images = {image};
    options_.secrets.emplace(dir_.path() / "secrets");
    process_ = std::make_unique<ProcessRuntime>(options_);
    if (!process_->CheckSandbox().ok()) GTEST_SKIP() << "bubblewrap cannot run here";
  }

  // Real processes, real time.
  engine::EngineOptions ProcessOptions() {
    auto o = Options();
    o.runtimes = {&tasks_, process_.get()};
    o.clock = nullptr;
    return o;
  }

  engine::ExecutionResult RunTask(const TaskTemplate& task, const core::LiteralMap& inputs) {
    return EngineTest::RunTask(task, inputs, ProcessOptions());
  }

  // A shell task (sandboxed, host image) with the given script.
  TaskTemplate Shell(const std::string& name, const std::string& script,
                     std::vector<std::pair<std::string, LiteralType>> outputs = {}) {
    TaskBuilder b(name, "raw-container");
    for (auto& [n, t] : outputs) b.Output(n, t);
    b.Container(ContainerBuilder("debian:12").Command({"sh", "-c", script}));
    return b.Build();
  }

  std::string Stderr(const std::string& exec, const std::string& node = "n0") {
    store::DataDir data(store_->data_dir(), exec);
    auto t = idl::ReadFileBytes(data.OutputDir(node, 0) + "/stderr.log");
    return t.ok() ? *t : "";
  }

  fs::path app_, bin_;
  ProcessRuntimeOptions options_;
  std::unique_ptr<ProcessRuntime> process_;
};

TEST_F(ProcessTest, RawContainerTemplatesRunUnchanged) {
  auto conf = flytecpp::testing::ConformanceDir();
  if (!conf) GTEST_SKIP() << "conformance artifacts not found";
  fs::path dir = *conf / "flytepropeller-compiler" / "snacks-core";
  for (auto [file, meta] :
       {std::pair{"004_ellipse-area-metadata-shell_1.pb", "[from shell rawcontainer]"},
        std::pair{"005_ellipse-area-metadata-python_1.pb", "[from python rawcontainer]"}}) {
    SCOPED_TRACE(file);
    flyteidl::admin::TaskSpec spec;
    ASSERT_TRUE(idl::ReadMessage(dir / file, &spec).ok());
    auto r = RunTask(spec.template_(), lit::Inputs({{"a", lit::Float(2)}, {"b", lit::Float(3)}}));
    ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
    EXPECT_NEAR(Float(r.outputs, "area"), 18.849555921538759, 1e-9);
    EXPECT_EQ(r.outputs.literals().at("metadata").scalar().primitive().string_value(), meta);
  }
}

TEST_F(ProcessTest, FlytekitProtocolWithoutCopilot) {
  // The task reads inputs.pb at {{.input}} and writes outputs.pb under
  // {{.outputPrefix}}: here it hands its input map back as its outputs.
  TaskTemplate t = TaskBuilder("proto.echo", "python-task")
                       .Input("o0", types::Int())
                       .Output("o0", types::Int())
                       .Container(ContainerBuilder("debian:12")
                                      .Command({"sh", "-c"})
                                      .Args({"cp {{.input}} {{.outputPrefix}}/outputs.pb"}))
                       .Build();
  auto r = RunTask(t, lit::Inputs({{"o0", lit::Int(42)}}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  EXPECT_EQ(Int(r.outputs, "o0"), 42);
  // An error.pb beats everything: its kind and recoverability are the task's.
  TaskTemplate failing = t;
  failing.mutable_id()->set_name("proto.fail");
  failing.mutable_container()->set_args(0, "exit 1");
  auto f = RunTask(failing, lit::Inputs({{"o0", lit::Int(1)}}));
  EXPECT_EQ(f.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(f.error.has_value());
  EXPECT_EQ(f.error->code(), "RetriesExhausted|ContainerFailed");  // exit != 0 is retryable
}

TEST_F(ProcessTest, ATaskThatWritesFuturesPbIsFollowedByTheWorkflowItGenerated) {
  // flytekit's dynamic protocol: the task leaves a DynamicJobSpec in
  // {{.outputPrefix}}/futures.pb instead of outputs (written here by printf).
  Register("t.add1", engine::testing::Add1);
  core::DynamicJobSpec spec;
  *spec.add_nodes() =
      TaskNode("d0", engine::testing::kAdd1).Bind("x", Constant(lit::Int(41))).Build();
  auto* out = spec.add_outputs();
  out->set_var("o0");
  *out->mutable_binding() = Promise("d0", "o0");
  *spec.add_tasks() = engine::testing::kAdd1;
  std::string octal;
  for (unsigned char c : spec.SerializeAsString()) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\%03o", c);
    octal += buf;
  }
  TaskTemplate t =
      TaskBuilder("proto.dynamic", "python-task")
          .Output("o0", types::Int())
          .Container(ContainerBuilder("debian:12")
                         .Command({"sh", "-c"})
                         .Args({"printf '" + octal + "' > {{.outputPrefix}}/futures.pb"}))
          .Build();
  auto r = RunTask(t, lit::Inputs({}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  EXPECT_EQ(Int(r.outputs, "o0"), 42);
  EXPECT_EQ(NodePhases(r.execution_id)["n0/d0"], core::NodeExecution::SUCCEEDED);
}

TEST_F(ProcessTest, MissingOrBadOutputsNameTheVariable) {
  TaskTemplate t = TaskBuilder("copilot.bad", "raw-container")
                       .Output("n", types::Int())
                       .Container(ContainerBuilder("debian:12")
                                      .Command({"sh", "-c", "echo seven > /var/outputs/n"})
                                      .DataConfig("/var/inputs", "/var/outputs"))
                       .Build();
  auto r = RunTask(t, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->message().find("output n"), std::string::npos) << r.error->message();
  EXPECT_EQ(r.error->kind(), core::ExecutionError::USER);
}

TEST_F(ProcessTest, ACopilotTasksErrorFileIsItsErrorWhateverItsExitCode) {
  // docs/runtime.md: `_ERROR` is the task's error; it was lost to "exit code 1".
  TaskTemplate t = TaskBuilder("copilot.error", "raw-container")
                       .Output("n", types::Int())
                       .Container(ContainerBuilder("debian:12")
                                      .Command({"sh", "-c",
                                                "echo 'the input was odd' > /var/outputs/_ERROR; "
                                                "exit 1"})
                                      .DataConfig("/var/inputs", "/var/outputs"))
                       .Build();
  auto r = RunTask(t, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->message().find("the input was odd"), std::string::npos) << r.error->message();
  EXPECT_EQ(r.error->message().find("exit code"), std::string::npos) << r.error->message();
  EXPECT_EQ(r.error->kind(), core::ExecutionError::USER);
}

TEST_F(ProcessTest, WritesOutsideTheAttemptFail) {
  TaskTemplate t = Shell("sandbox.write", "touch /etc/flytecpp-was-here || exit 3; exit 0");
  auto r = RunTask(t, lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->message().find("exit code 3"), std::string::npos) << r.error->message();
  EXPECT_FALSE(fs::exists("/etc/flytecpp-was-here"));
  // The host's home is not even visible.
  TaskTemplate home = Shell("sandbox.home", "test ! -e " + dir_.path().string() + "/app || exit 4");
  EXPECT_EQ(RunTask(home, lit::Inputs({})).phase, core::WorkflowExecution::SUCCEEDED);
}

TEST_F(ProcessTest, SandboxedAttemptsStartThroughTheHelperUnlessItIsTurnedOff) {
  // Pid 1 of a sandboxed task's pid namespace is what started it.
  TaskTemplate t = Shell("sandbox.init", "tr '\\0' ' ' < /proc/1/cmdline");
  auto helped = RunTask(t, lit::Inputs({}));
  ASSERT_EQ(helped.phase, core::WorkflowExecution::SUCCEEDED)
      << (helped.error ? helped.error->message() : "");
  auto out = idl::ReadFileBytes(
      store::DataDir(store_->data_dir(), helped.execution_id).OutputDir("n0", 0) + "/stdout.log");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find("flytecpp-sandbox-helper"), std::string::npos) << *out;

  options_.sandbox_helper = "";
  process_ = std::make_unique<ProcessRuntime>(options_);
  auto alone = RunTask(t, lit::Inputs({}));
  ASSERT_EQ(alone.phase, core::WorkflowExecution::SUCCEEDED)
      << (alone.error ? alone.error->message() : "");
  out = idl::ReadFileBytes(
      store::DataDir(store_->data_dir(), alone.execution_id).OutputDir("n0", 0) + "/stdout.log");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->find("flytecpp-sandbox-helper"), std::string::npos) << *out;
  EXPECT_NE(out->find("bwrap"), std::string::npos) << *out;
}

class ProcessIsolationTest : public ProcessTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ProcessIsolationTest, ConcurrentTasksCannotSeeEachOthersFilesOrProcesses) {
  // Two sandboxed tasks at once (the root bound whole, recursively): each
  // starts with an empty private /tmp, lives in a pid namespace of its own
  // (the only pids it sees are the few small ones of that namespace), and
  // still finds only its own file after the other has written its own.
  // (Their attempt directories stay readable, as all data in the store is
  // to downstream tasks.) Started through the sandbox helper or a
  // bubblewrap each (the parameter); the helper's view of the host's /dev
  // is gone before a task runs.
  // (The store may live under /tmp: the way to it is there, mounted in.)
  if (!GetParam()) {
    options_.sandbox_helper = "";
    process_ = std::make_unique<ProcessRuntime>(options_);
  }
  const auto store_dir = fs::relative(dir_.path(), "/tmp");
  const std::string keep = store_dir.empty() || *store_dir.begin() == ".."
                               ? std::string("-")
                               : store_dir.begin()->string();
  const std::string others = "$(ls -A /tmp | grep -vx -- '" + keep + "')";
  const std::string script =
      "test -z \"" + others +
      "\" || exit 5; echo secret > /tmp/mine-$$; echo secret > /dev/shm/mine-$$; "
      "{ echo secret > /dev/mine-$$; } 2>/dev/null; "
      "top=$(ls /proc | grep '^[0-9]' | sort -n | tail -1); test \"$top\" -lt 20 || exit 6; "
      "sleep 0.3; "
      "test \"" +
      others + "\" = mine-$$ || exit 7; test ! -e " + dir_.path().string() +
      "/app || exit 8; test -z \"$(ls -A /dev/.flytecpp-host 2>/dev/null)\" || exit 9; "
      "test \"$(ls -A /dev/shm)\" = mine-$$ || exit 10; "
      "test -z \"$(ls /dev | grep '^mine-' | grep -vx mine-$$)\" || exit 11";
  TaskTemplate t = Shell("sandbox.private", script);
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("a", t));
  wf.Add(TaskNode("b", t));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  engine::Engine engine(ProcessOptions());
  auto r = engine.Run({.closure = *closure});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED)
      << (r->error ? r->error->message() : "") << Stderr(r->execution_id, "a")
      << Stderr(r->execution_id, "b");
  // They did run at the same time: each started before the other ended.
  auto nodes = store_->GetNodes(r->execution_id);
  ASSERT_TRUE(nodes.ok());
  const store::NodeRecord *a = nullptr, *b = nullptr;
  for (const auto& n : *nodes) {
    if (n.path == "a") a = &n;
    if (n.path == "b") b = &n;
  }
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_LT(a->attempt_started_ns, b->updated_ns);
  EXPECT_LT(b->attempt_started_ns, a->updated_ns);
}

INSTANTIATE_TEST_SUITE_P(HelperOrBubblewrap, ProcessIsolationTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Helper" : "Bubblewrap"; });

TEST_F(ProcessTest, AnAttemptMakesOnlyTheFilesItUses) {
  // Silent, with a command that does not name its inputs: no inputs.pb, no
  // log files — every file is a cost per attempt.
  auto with_input = [](TaskTemplate t) {
    TaskTemplate typed =
        TaskBuilder(t.id().name(), "raw-container").Input("x", types::Int()).Build();
    *t.mutable_interface() = typed.interface();
    return t;
  };
  TaskTemplate quiet = with_input(Shell("files.quiet", "test -d ."));
  auto q = RunTask(quiet, lit::Inputs({{"x", lit::Int(1)}}));
  ASSERT_EQ(q.phase, core::WorkflowExecution::SUCCEEDED) << (q.error ? q.error->message() : "");
  store::DataDir qdata(store_->data_dir(), q.execution_id);
  ASSERT_TRUE(fs::is_directory(qdata.OutputDir("n0", 0)));
  EXPECT_FALSE(fs::exists(qdata.InputsPath("n0")));
  EXPECT_FALSE(fs::exists(qdata.OutputDir("n0", 0) + "/stdout.log"));
  EXPECT_FALSE(fs::exists(qdata.OutputDir("n0", 0) + "/stderr.log"));

  // One that names {{.input}} finds the file there; what a task prints is in
  // its logs, and a process it leaves behind holding the logs' pipes does
  // not hold the attempt up: the copying ends when the task exits.
  TaskTemplate loud =
      with_input(Shell("files.loud",
                       "test -s {{.input}} || exit 3; echo out; echo err >&2; "
                       "setsid sh -c 'sleep 1; echo late; echo late >&2' </dev/null &"));
  auto l = RunTask(loud, lit::Inputs({{"x", lit::Int(1)}}));
  ASSERT_EQ(l.phase, core::WorkflowExecution::SUCCEEDED) << (l.error ? l.error->message() : "");
  store::DataDir ldata(store_->data_dir(), l.execution_id);
  EXPECT_TRUE(fs::exists(ldata.InputsPath("n0")));
  auto out = idl::ReadFileBytes(ldata.OutputDir("n0", 0) + "/stdout.log");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "out\n");
  EXPECT_EQ(Stderr(l.execution_id), "err\n");
}

TEST_F(ProcessTest, AnInputsFileThatCannotBeWrittenFailsTheAttemptNamingIt) {
  // Small inputs live in the database; a process task's inputs.pb is written
  // just before it starts. Here a directory stands where the file goes.
  TaskTemplate t = Shell("inputs.blocked", "cat {{.input}} >/dev/null");
  WorkflowBuilder wf("wf");
  wf.Add(TaskNode("n0", t));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok()) << closure.status().ToString();
  const fs::path exec_dir = store_->data_dir() / "blockedinputs";
  fs::create_directories(exec_dir / "n0/data/inputs.pb/in-the-way");
  engine::Engine engine(ProcessOptions());
  auto r = engine.Run({.closure = *closure, .execution_id = "blockedinputs"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r->error.has_value());
  EXPECT_NE(r->error->code().find("RuntimeStartFailed"), std::string::npos) << r->error->code();
  EXPECT_NE(r->error->message().find("blockedinputs/n0/data/inputs.pb"), std::string::npos)
      << r->error->message();
}

TEST_F(ProcessTest, NoNetworkUnlessAllowed) {
  // A listener on the host's loopback; the sandbox has its own network.
  flytecpp::testing::LoopbackListener listener;
  const std::string port = listener.port();
  const std::string probe =
      "python3 -c \"import socket; socket.create_connection(('127.0.0.1', " + port + "), 2)\"";
  auto closed = RunTask(Shell("net.closed", probe + " || exit 5"), lit::Inputs({}));
  EXPECT_EQ(closed.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(closed.error.has_value());
  EXPECT_NE(closed.error->message().find("exit code 5"), std::string::npos)
      << closed.error->message();
  TaskTemplate open = Shell("net.open", probe);
  (*open.mutable_config())["flytecpp.network"] = "true";
  EXPECT_EQ(RunTask(open, lit::Inputs({})).phase, core::WorkflowExecution::SUCCEEDED);
}

TaskTemplate PythonTask(const std::string& name, const std::string& code,
                        const std::string& memory_limit) {
  TaskBuilder b(name, "raw-container");
  b.Container(
      ContainerBuilder("debian:12").Command({"python3", "-c", code}).MemoryLimit(memory_limit));
  return b.Build();
}

// Whether the runner can make a memory cgroup here (else RLIMIT_AS applies).
bool MemoryCgroupWritable() {
  if (std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"))
    return ::access("/sys/fs/cgroup", W_OK) == 0;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(":memory:");
    if (at != std::string::npos) {
      std::string path = line.substr(at + 8);
      return ::access(("/sys/fs/cgroup/memory" + (path == "/" ? "" : path)).c_str(), W_OK) == 0;
    }
  }
  return false;
}

TEST_F(ProcessTest, MemoryLimitBites) {
  // Touches every page of 400 MiB.
  auto r = RunTask(PythonTask("mem.hog", "x = b'\\x01' * (400 * 1024 * 1024)", "128Mi"),
                   lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->code().find("OOMKilled"), std::string::npos)
      << r.error->code() << " " << r.error->message();
  // Within the limit the same kind of task succeeds.
  EXPECT_EQ(
      RunTask(PythonTask("mem.ok", "x = b'\\x01' * (16 * 1024 * 1024)", "512Mi"), lit::Inputs({}))
          .phase,
      core::WorkflowExecution::SUCCEEDED);
}

TEST_F(ProcessTest, MemoryCgroupCountsResidentMemoryNotAddressSpace) {
  if (!MemoryCgroupWritable()) {
    GTEST_SKIP() << "no writable memory cgroup here: memory is limited by RLIMIT_AS "
                    "(docs/runtime.md)";
  }
  // 1 GiB mapped, one page touched: fine under a 128 MiB memory cgroup
  // (RLIMIT_AS would refuse the mapping).
  auto r =
      RunTask(PythonTask("mem.map", "import mmap\nm = mmap.mmap(-1, 1 << 30)\nm[0] = 1", "128Mi"),
              lit::Inputs({}));
  EXPECT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED)
      << (r.error ? r.error->code() + " " + r.error->message() : "");
  auto hog = RunTask(PythonTask("mem.hog", "x = b'\\x01' * (400 * 1024 * 1024)", "128Mi"),
                     lit::Inputs({}));
  ASSERT_EQ(hog.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(hog.error.has_value());
  EXPECT_NE(hog.error->code().find("OOMKilled"), std::string::npos) << hog.error->code();
  EXPECT_NE(hog.error->message().find("exceeding its memory limit"), std::string::npos)
      << hog.error->message();
}

TEST_F(ProcessTest, InProcessAndProcessTasksMix) {
  Register("t.add1", [](const core::LiteralMap& in) -> TaskOutcome {
    return lit::Inputs({{"o0", lit::Int(Int(in, "x") + 1)}});
  });
  TaskTemplate add1 = Task("t.add1", {{"x", types::Int()}}, {{"o0", types::Int()}});
  TaskTemplate triple =
      TaskBuilder("sh.triple", "raw-container")
          .Input("x", types::Int())
          .Output("y", types::Int())
          .Container(
              ContainerBuilder("debian:12")
                  .Command({"sh", "-c", "echo $(( $(cat /var/inputs/x) * 3 )) > /var/outputs/y"})
                  .DataConfig("/var/inputs", "/var/outputs"))
          .Build();
  WorkflowBuilder wf("mixed");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("a", add1).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("b", triple).Bind("x", Promise("a", "o0")));
  wf.Add(TaskNode("c", add1).Bind("x", Promise("b", "y")));
  wf.Output("z", types::Int(), Promise("c", "o0"));
  auto closure = CompileIt(wf.Build(), {add1, triple});
  ASSERT_TRUE(closure.ok());
  engine::Engine engine(ProcessOptions());
  auto r = engine.Run({*closure, lit::Inputs({{"x", lit::Int(4)}}), {}, ""});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_EQ(Int(r->outputs, "z"), 16);  // ((4 + 1) * 3) + 1
}

bool ProcessesMatching(const std::string& marker) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(marker) != std::string::npos && e.path().filename() != std::to_string(::getpid()))
      return true;
  }
  return false;
}

TEST_F(ProcessTest, AbortAndTimeoutLeaveNothingRunning) {
  const std::string marker = "flytecpp-abort-marker-" + std::to_string(::getpid());
  // A process tree: bash -> two sleeps, each named with the marker.
  TaskBuilder b("sleepy", "raw-container");
  b.Container(
      ContainerBuilder("debian:12")
          .Command({"bash", "-c",
                    "(exec -a " + marker + " sleep 30) & (exec -a " + marker + " sleep 31) & wait",
                    marker}));
  TaskTemplate t = b.Build();
  WorkflowBuilder wf("abortable");
  wf.Add(TaskNode("n0", t));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok());
  engine::Engine engine(ProcessOptions());
  // Gone within a few seconds (the kill and the kernel's reaping), else not.
  auto gone = [&] {
    for (int i = 0; i < 50 && ProcessesMatching(marker); ++i) std::this_thread::sleep_for(100ms);
    return !ProcessesMatching(marker);
  };
  std::atomic<bool> seen{false};
  std::thread aborter([&] {
    for (int i = 0; i < 100 && !seen; ++i) {
      seen = ProcessesMatching(marker);
      if (!seen) std::this_thread::sleep_for(100ms);
    }
    (void)engine.Abort("to-abort", "test");
  });
  auto r = engine.Run({*closure, lit::Inputs({}), {}, "to-abort"});
  aborter.join();
  ASSERT_TRUE(seen) << "the task's processes never ran: nothing to abort";
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::ABORTED);
  EXPECT_TRUE(gone()) << "a task process outlived the abort";

  // A timeout kills the tree too.
  WorkflowBuilder wf2("timeout");
  wf2.Add(TaskNode("n0", t).Timeout(300ms));
  auto closure2 = CompileIt(wf2.Build(), {t});
  ASSERT_TRUE(closure2.ok()) << closure2.status().ToString();
  auto r2 = engine.Run({*closure2, lit::Inputs({}), {}, ""});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r2->error.has_value());
  EXPECT_NE(r2->error->code().find("TimeoutExpired"), std::string::npos) << r2->error->code();
  EXPECT_TRUE(gone()) << "a task process outlived its timeout";
}

TEST_F(ProcessTest, ProcessesThatLeaveTheGroupDieWithTheirCgroup) {
  if (!MemoryCgroupWritable()) GTEST_SKIP() << "no writable memory cgroup here";
  // Unsandboxed there is no pid namespace to take a stray process down: a
  // process in its own session survives the process-group kill, not the cgroup.
  ProcessRuntimeOptions options;
  options.sandbox = false;
  ProcessRuntime plain(options);
  const std::string marker = "flytecpp-stray-marker-" + std::to_string(::getpid());
  TaskBuilder b("stray", "raw-container");
  b.Container(ContainerBuilder("debian:12")
                  .Command({"bash", "-c",
                            "setsid bash -c 'exec -a " + marker + " sleep 30' & sleep 0.3; exit 0"})
                  .MemoryLimit("256Mi"));
  TaskTemplate t = b.Build();
  WorkflowBuilder wf("stray");
  wf.Add(TaskNode("n0", t));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok());
  auto o = Options();
  o.runtimes = {&tasks_, &plain};
  engine::Engine engine(o);
  auto r = engine.Run({*closure, lit::Inputs({}), {}, ""});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED);
  for (int i = 0; i < 50 && ProcessesMatching(marker); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(ProcessesMatching(marker)) << "a process of the attempt outlived it";
}

}  // namespace
}  // namespace flytecpp::runtime

namespace flytecpp::runtime {
namespace {

TEST(SandboxTest, TheHelpersRequestsRoundTripAndWhatIsNotWholeIsRefused) {
  internal::HelperRequest r;
  r.argv = {"sh", "-c", "echo 'a b'"};
  r.env = {"PATH=/usr/bin", "EMPTY="};
  r.workdir = "/w";
  r.address_space = 1 << 20;
  r.mounts = {{"/dev/.flytecpp-host/shm/x", "/dev/shm/x", true}, {"/o", "/o", false}};
  const std::string wire = internal::EncodeHelperRequest(r);
  internal::HelperRequest back;
  ASSERT_TRUE(internal::DecodeHelperRequest(wire, &back));
  EXPECT_EQ(back.argv, r.argv);
  EXPECT_EQ(back.env, r.env);
  EXPECT_EQ(back.workdir, "/w");
  ASSERT_TRUE(back.address_space.has_value());
  EXPECT_EQ(*back.address_space, uint64_t{1} << 20);
  ASSERT_EQ(back.mounts.size(), 2u);
  EXPECT_EQ(back.mounts[0].host, "/dev/.flytecpp-host/shm/x");
  EXPECT_TRUE(back.mounts[0].read_only);
  EXPECT_FALSE(back.mounts[1].read_only);
  // Cut anywhere, or with more after it, a request is not taken.
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(internal::DecodeHelperRequest(wire.substr(0, n), &back)) << n;
  }
  EXPECT_FALSE(internal::DecodeHelperRequest(wire + "x", &back));
  r.argv.clear();  // nothing to run
  EXPECT_FALSE(internal::DecodeHelperRequest(internal::EncodeHelperRequest(r), &back));
}

TEST(SandboxTest, MissingBubblewrapSaysHowToFixIt) {
  ProcessRuntimeOptions options;
  options.bwrap = "/nonexistent/bwrap";
  ProcessRuntime r(options);
  Status st = r.CheckSandbox();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("apt-get install bubblewrap"), std::string::npos);
  EXPECT_NE(st.message().find("--no-sandbox"), std::string::npos);
  options.sandbox = false;
  EXPECT_TRUE(ProcessRuntime(options).CheckSandbox().ok());
}

}  // namespace
}  // namespace flytecpp::runtime

namespace flytecpp::runtime {
namespace {

class CpuLimitTest : public ProcessTest {};

// Busy for one second of wall time; the output is the CPU seconds it got.
TaskTemplate Spinner(const std::string& name, const std::string& cpu_limit) {
  ContainerBuilder c("debian:12");
  c.Command({"python3", "-c",
             "import time\nt = time.time()\nwhile time.time() - t < 1.0: pass\n"
             "open('/var/outputs/cpu', 'w').write(str(time.process_time()))"})
      .DataConfig("/var/inputs", "/var/outputs");
  if (!cpu_limit.empty()) c.CpuLimit(cpu_limit);
  return TaskBuilder(name, "raw-container").Output("cpu", types::Float()).Container(c).Build();
}

TEST_F(CpuLimitTest, CpuLimitBites) {
  if (!std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers") &&
      ::access("/sys/fs/cgroup/cpu", W_OK) != 0) {
    GTEST_SKIP() << "no writable cpu cgroup here: CPU limits are not enforced (docs/runtime.md)";
  }
  auto limited = RunTask(Spinner("spin.limited", "200m"), lit::Inputs({}));
  ASSERT_EQ(limited.phase, core::WorkflowExecution::SUCCEEDED)
      << (limited.error ? limited.error->message() : "");
  auto free = RunTask(Spinner("spin.free", ""), lit::Inputs({}));
  ASSERT_EQ(free.phase, core::WorkflowExecution::SUCCEEDED);
  // ~0.2 CPU-seconds in one second of wall time; unlimited gets what the
  // (possibly busy) machine gives, well above that.
  const double got = Float(limited.outputs, "cpu");
  EXPECT_LT(got, 0.35);
  EXPECT_GT(Float(free.outputs, "cpu"), 1.8 * got);
}

}  // namespace
}  // namespace flytecpp::runtime

namespace flytecpp::runtime {
namespace {

// Counts the attempts a runtime is running: from Start until it reports the
// end (a process runtime reports after reaping the process, so at least
// every live task process is counted).
class CountingRuntime : public Runtime {
 public:
  explicit CountingRuntime(Runtime* inner) : inner_(inner) {}
  std::string_view name() const override { return inner_->name(); }
  bool CanRun(const core::TaskTemplate& t) const override { return inner_->CanRun(t); }
  int max_in_flight() const override { return inner_->max_in_flight(); }
  Status Start(AttemptSpec spec, AttemptCallbacks cb) override {
    const int now = ++running_;
    for (int seen = max_.load(); now > seen && !max_.compare_exchange_weak(seen, now);) {
    }
    auto done = cb.done;
    cb.done = [this, done](const AttemptId& id, TaskOutcome outcome) {
      --running_;
      done(id, std::move(outcome));
    };
    return inner_->Start(std::move(spec), std::move(cb));
  }
  void Abort(const AttemptId& id) override { inner_->Abort(id); }
  int max() const { return max_; }

 private:
  Runtime* inner_;
  std::atomic<int> running_{0}, max_{0};
};

TEST_F(ProcessTest, TenThousandProcessTasksNeverMoreThanTheJobsAtOnce) {
  ProcessRuntimeOptions options;
  options.sandbox = false;  // what is counted is the slots, not the sandbox
  options.jobs = 4;
  ProcessRuntime process(options);
  EXPECT_EQ(process.max_in_flight(), 4);
  CountingRuntime counting(&process);
  TaskTemplate t = TaskBuilder("noop", "raw-container")
                       .Container(ContainerBuilder("debian:12").Command({"true"}))
                       .Build();
  WorkflowBuilder wf("fan");
  for (int i = 0; i < 10000; ++i) wf.Add(TaskNode("n" + std::to_string(i), t));
  auto closure = CompileIt(wf.Build(), {t});
  ASSERT_TRUE(closure.ok());
  auto o = Options();
  o.runtimes = {&counting};
  o.clock = nullptr;
  engine::Engine engine(o);
  auto r = engine.Run({.closure = *closure});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->phase, core::WorkflowExecution::SUCCEEDED) << (r->error ? r->error->message() : "");
  EXPECT_LE(counting.max(), 4);
  EXPECT_GE(counting.max(), 2);  // it did run several at once
  std::cout << "[ measured ] 10,000 process tasks, -j 4: at most " << counting.max()
            << " at once\n";
}

}  // namespace
}  // namespace flytecpp::runtime

namespace flytecpp::runtime {
namespace {

// Fault injection for the step the engine cannot provoke: a cgroup that
// refuses the task. With limits to enforce the task must not start; a
// tracking-only cgroup that refuses is no reason to stop it.
TEST(SpawnTest, ACgroupThatRefusesTheTaskStopsItOnlyWhenItEnforcesLimits) {
  flytecpp::testing::TempDir dir;
  const std::string marker = (dir.path() / "ran").string();
  internal::SpawnRequest r;
  r.argv = {"sh", "-c", "touch " + marker};
  r.search_path = "/usr/bin:/bin";
  r.cwd = dir.path().string();
  r.stdout_fd = r.stderr_fd = 2;
  r.cgroup_dirs = {(dir.path() / "no-such-cgroup").string()};
  r.cgroups_required = true;
  auto refused = internal::Spawn(r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("cannot join the cgroup"), std::string::npos)
      << refused.status().message();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the task ran although its cgroup refused it";

  r.cgroups_required = false;
  auto spawned = internal::Spawn(r);
  ASSERT_TRUE(spawned.ok()) << spawned.status().ToString();
  int status = 0;
  ::waitpid(*spawned, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(std::filesystem::exists(marker));

  // Other setup failures name their step; nothing is left running.
  r.cwd = (dir.path() / "missing").string();
  auto no_dir = internal::Spawn(r);
  ASSERT_FALSE(no_dir.ok());
  EXPECT_NE(no_dir.status().message().find("cannot change to the working directory"),
            std::string::npos);
  r.cwd = dir.path().string();
  r.argv = {"no-such-command-here"};
  auto missing = internal::Spawn(r);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("\"no-such-command-here\" is not on its PATH"),
            std::string::npos);
}

}  // namespace
}  // namespace flytecpp::runtime

namespace flytecpp::runtime {
namespace {

TEST(ImageConfigTest, RelativeHostPathsAreRelativeToTheConfigFile) {
  flytecpp::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "conf");
  std::ofstream(dir.path() / "conf" / "config.yaml") << R"(images:
  - image: "img-*"
    root: roots/img
    workdir: /app
    mounts: ["app:/app", "/abs/data:/data"]
)";
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());  // read through a relative path, from elsewhere
  auto loaded = LoadRuntimeConfig("conf/config.yaml");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const auto* images = &loaded->images;
  ASSERT_EQ(images->size(), 1u);
  const auto conf = std::filesystem::weakly_canonical(dir.path()) / "conf";
  EXPECT_EQ((*images)[0].root, conf / "roots/img");
  ASSERT_EQ((*images)[0].mounts.size(), 2u);
  EXPECT_EQ((*images)[0].mounts[0].first, conf / "app");
  EXPECT_EQ((*images)[0].mounts[0].second, "/app");
  EXPECT_EQ((*images)[0].mounts[1].first, "/abs/data");
}

TEST(NotificationConfigTest, ReadsSmtpAndWebhooksAndNamesWhatIsWrong) {
  flytecpp::testing::TempDir dir;
  const auto file = dir.path() / "config.yaml";
  std::ofstream(file) << R"(notifications:
  smtp: {server: "mail:587", sender: flyte@example.com, username: u, password_secret: mail/pw,
         tls: starttls}
  subject: "{{ name }} {{ phase }}"
  webhooks:
    - {name: ops, url: "https://h/x", phases: [FAILED], projects: [p], launch_plans: [lp],
       secret: hooks/ops}
    - {name: all, url: "http://h/all"}
)";
  auto loaded = LoadRuntimeConfig(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const auto& n = loaded->notifications;
  ASSERT_TRUE(n.smtp.has_value());
  EXPECT_EQ(n.smtp->server, "mail:587");
  EXPECT_EQ(n.smtp->password_secret, "mail/pw");
  EXPECT_EQ(n.smtp->tls, "starttls");
  EXPECT_EQ(n.subject, "{{ name }} {{ phase }}");
  ASSERT_EQ(n.webhooks.size(), 2u);
  EXPECT_EQ(n.webhooks[0].phases, std::vector<std::string>{"FAILED"});
  EXPECT_EQ(n.webhooks[0].secret, "hooks/ops");
  EXPECT_TRUE(n.webhooks[1].phases.empty());

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"notifications: {smtp: {server: mail}}", "notifications.smtp.server: expected host:port"},
      {"notifications: {smtp: {server: \"m:25\", sender: a, password: x}}",
       "notifications.smtp.password: unknown field"},
      {"notifications: {smtp: {server: \"m:25\", sender: a, tls: yes}}", "notifications.smtp.tls"},
      {"notifications: {webhooks: [{name: a, url: \"ftp://x\"}]}",
       "notifications.webhooks[0].url: expected an http:// or https:// URL"},
      {"notifications: {webhooks: [{name: a, url: \"http://x\", phases: [RUNNING]}]}",
       "\"RUNNING\" is not a phase an execution ends in"},
      {"notifications: {webhooks: [{name: a, url: \"http://x\", secret: plain}]}",
       "notifications.webhooks[0].secret: expected GROUP/KEY"},
      {"notifications: {webhook: []}", "notifications.webhook: unknown field"},
  };
  for (const auto& [text, want] : bad) {
    std::ofstream(file) << text << "\n";
    auto refused = LoadRuntimeConfig(file);
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.status().message().find(want), std::string::npos)
        << text << " -> " << refused.status().message();
    EXPECT_NE(refused.status().message().find(file.string()), std::string::npos);
  }
}

// Every file under `dir` (recursively) whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const fs::path& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto text = idl::ReadFileBytes(e.path());
    if (text.ok() && text->find(needle) != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

TEST_F(ProcessTest, SecretsAreInjectedAsFlytekitExpectsThemAndLeakNowhere) {
  const std::string token = "tok-3f9a1c77e2", password = "pw-81d0b6a4c5";
  SecretStore secrets(dir_.path() / "secrets");
  ASSERT_TRUE(secrets.Set("user-info", "api_token", token).ok());
  ASSERT_TRUE(secrets.Set("db", "Password", password).ok());
  // Owner-only, as a Kubernetes secret volume's files are not, but a local
  // store must be.
  EXPECT_EQ(fs::status(dir_.path() / "secrets").permissions() & fs::perms::all,
            fs::perms::owner_all);
  EXPECT_EQ(fs::status(dir_.path() / "secrets" / "db" / "Password").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // ENV_VAR: _FSEC_<GROUP>_<KEY>, upper case, and the task's own env_var
  // too. FILE: under /etc/flyte/secrets, lower case, with env_var naming the
  // file. The task reports what it saw in hex, never the values themselves
  // (the leak check below greps for them). sh drops variables whose names
  // have a '-' from its children's environment: they are read from its own.
  const std::string hex = "| od -An -tx1 | tr -d ' \\n'";
  TaskTemplate t =
      TaskBuilder("secrets.use", "raw-container")
          .Output("fsec", types::String())
          .Output("env_var", types::String())
          .Output("file", types::String())
          .Output("file_var", types::String())
          .Output("prefix", types::String())
          .Secret("user-info", "api_token", core::Secret::ENV_VAR, "MY_TOKEN")
          .Secret("db", "Password", core::Secret::FILE, "DB_PASSWORD_FILE")
          .Container(ContainerBuilder("debian:12")
                         .Command({"sh", "-c",
                                   "o=/var/outputs; "
                                   "tr '\\0' '\\n' < /proc/$$/environ | sed -n "
                                   "'s/^_FSEC_USER-INFO_API_TOKEN=//p' | tr -d '\\n' " +
                                       hex +
                                       " > $o/fsec; "
                                       "printf %s \"$MY_TOKEN\" " +
                                       hex +
                                       " > $o/env_var; "
                                       "cat /etc/flyte/secrets/db/password " +
                                       hex +
                                       " > $o/file; "
                                       "printf %s \"$DB_PASSWORD_FILE\" > $o/file_var; "
                                       "printf %s \"$FLYTE_SECRETS_ENV_PREFIX\" > $o/prefix"})
                         .DataConfig("/var/inputs", "/var/outputs"))
          .Build();
  auto r = RunTask(t, lit::Inputs({}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  auto as_hex = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%02x", c);
      out += buf;
    }
    return out;
  };
  auto str = [&](const char* name) {
    EXPECT_TRUE(r.outputs.literals().contains(name)) << name;
    return r.outputs.literals().contains(name)
               ? r.outputs.literals().at(name).scalar().primitive().string_value()
               : std::string();
  };
  EXPECT_EQ(str("fsec"), as_hex(token));
  EXPECT_EQ(str("env_var"), as_hex(token));
  EXPECT_EQ(str("file"), as_hex(password));
  EXPECT_EQ(str("file_var"), "/etc/flyte/secrets/db/password");
  EXPECT_EQ(str("prefix"), "_FSEC_");

  // A task that prints its secret and fails: the error quotes its stderr,
  // with the value taken out.
  TaskTemplate leaky = Shell("secrets.leaky", "echo \"token is $_FSEC_DB_PASSWORD\" >&2; exit 1");
  leaky.mutable_security_context()->add_secrets()->set_group("db");
  leaky.mutable_security_context()->mutable_secrets(0)->set_key("Password");
  leaky.mutable_security_context()->mutable_secrets(0)->set_mount_requirement(
      core::Secret::ENV_VAR);
  auto f = RunTask(leaky, lit::Inputs({}));
  ASSERT_EQ(f.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(f.error.has_value());
  EXPECT_NE(f.error->message().find("token is [secret]"), std::string::npos) << f.error->message();
  EXPECT_EQ(f.error->message().find(password), std::string::npos);

  // Nothing outside the secret store holds a value: not the store's
  // database (events, errors), not the attempt directories (the secret
  // files are removed with the attempt) — except the leaky task's own log.
  std::vector<std::string> holders;
  for (const std::string& v : {token, password}) {
    for (const auto& f : FilesContaining(dir_.path(), v)) {
      if (f.rfind((dir_.path() / "secrets").string(), 0) != 0 &&
          f.find("/stderr.log") == std::string::npos) {
        holders.push_back(f);
      }
    }
  }
  EXPECT_TRUE(holders.empty()) << holders.front();
}

TEST_F(ProcessTest, AMissingSecretFailsTheTaskBeforeItStarts) {
  TaskTemplate t = Shell("secrets.missing", "echo started; exit 0");
  auto* s = t.mutable_security_context()->add_secrets();
  s->set_group("aws");
  s->set_key("access_key");
  auto r = RunTask(t, lit::Inputs({}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->kind(), core::ExecutionError::USER);
  EXPECT_EQ(r.error->code(), "SecretNotFound");  // not retried: no RetriesExhausted
  EXPECT_NE(r.error->message().find("secret aws/access_key not found"), std::string::npos)
      << r.error->message();
  EXPECT_NE(r.error->message().find("_FSEC_AWS_ACCESS_KEY"), std::string::npos);
  EXPECT_EQ(Stderr(r.execution_id), "");  // never started: no log at all
  store::DataDir data(store_->data_dir(), r.execution_id);
  EXPECT_FALSE(fs::exists(data.OutputDir("n0", 0) + "/stdout.log"));

  // The environment is the fallback source, under flytekit's name.
  ::setenv("_FSEC_AWS_ACCESS_KEY", "from-env-5521", 1);
  TaskTemplate env = Shell("secrets.env", "[ \"$_FSEC_AWS_ACCESS_KEY\" = from-env-5521 ]");
  *env.mutable_security_context() = t.security_context();
  env.mutable_security_context()->mutable_secrets(0)->set_mount_requirement(core::Secret::ENV_VAR);
  auto ok = RunTask(env, lit::Inputs({}));
  ::unsetenv("_FSEC_AWS_ACCESS_KEY");
  EXPECT_EQ(ok.phase, core::WorkflowExecution::SUCCEEDED) << (ok.error ? ok.error->message() : "");
}

TEST_F(ProcessTest, SecretValuesAreNotOnAnyCommandLine) {
  // While a task with a secret runs, no process's command line — bwrap's
  // included — holds the value (the environment goes through exec).
  const std::string value = "cmdline-7c4e19aa";
  ASSERT_TRUE(SecretStore(dir_.path() / "secrets").Set("g", "k", value).ok());
  TaskTemplate t = Shell("secrets.wait",
                         "touch {{.outputPrefix}}/ready; "
                         "while [ ! -e {{.outputPrefix}}/go ]; do sleep 0.05; done");
  auto* s = t.mutable_security_context()->add_secrets();
  s->set_group("g");
  s->set_key("k");
  std::thread run(
      [&] { EXPECT_EQ(RunTask(t, lit::Inputs({})).phase, core::WorkflowExecution::SUCCEEDED); });
  fs::path ready;
  for (int i = 0; i < 600 && ready.empty(); ++i) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path(), ec)) {
      if (e.path().filename() == "ready") ready = e.path();
    }
    if (ready.empty()) std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(ready.empty()) << "the task never started";
  std::vector<std::string> seen;
  for (const auto& p : fs::directory_iterator("/proc")) {
    auto cmdline = idl::ReadFileBytes(p.path() / "cmdline");
    if (cmdline.ok() && cmdline->find(value) != std::string::npos) seen.push_back(p.path());
  }
  std::ofstream(ready.parent_path() / "go") << "";
  run.join();
  EXPECT_TRUE(seen.empty()) << seen.front();
}

}  // namespace
}  // namespace flytecpp::runtime
