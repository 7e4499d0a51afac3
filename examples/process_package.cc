// Writes a pyflyte-style package directory of raw-container tasks (shell
// commands with copilot data loading) and a workflow that chains them:
//
//   start --x--> double (sh) --y--> describe (sh) --> end
//
// Usage: example_process_package OUTDIR   (then: tar -czf pkg.tgz -C OUTDIR .)
#include <filesystem>
#include <iostream>

#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"

using namespace flytecpp::idl;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: example_process_package OUTDIR\n";
    return 2;
  }
  std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  auto shell = [](std::string name, std::string script) {
    return TaskBuilder(std::move(name), "raw-container")
        .Container(ContainerBuilder("debian:12")
                       .Command({"sh", "-c", std::move(script)})
                       .DataConfig("/var/inputs", "/var/outputs"));
  };
  TaskTemplate twice =
      shell("shell.double", "echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y")
          .Input("x", types::Int())
          .Output("y", types::Int())
          .Build();
  TaskTemplate describe = shell("shell.describe",
                                "echo \"$(cat /var/inputs/n) computed by a shell task on $(uname "
                                "-s)\" > /var/outputs/text")
                              .Input("n", types::Int())
                              .Output("text", types::String())
                              .Build();
  WorkflowBuilder wf("shell.pipeline");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", twice).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", describe).Bind("n", Promise("n0", "y")));
  wf.Output("text", types::String(), Promise("n1", "text"));

  flyteidl::admin::TaskSpec t0, t1;
  *t0.mutable_template_() = twice;
  *t1.mutable_template_() = describe;
  flyteidl::admin::WorkflowSpec w;
  *w.mutable_template_() = wf.Build();
  flyteidl::admin::LaunchPlan lp;
  *lp.mutable_id() = MakeIdentifier(flyteidl::core::LAUNCH_PLAN, "shell.pipeline");
  *lp.mutable_spec()->mutable_workflow_id() = w.template_().id();
  auto& x = (*lp.mutable_spec()->mutable_default_inputs()->mutable_parameters())["x"];
  *x.mutable_var()->mutable_type() = types::Int();
  *x.mutable_default_() = lit::Int(21);
  for (auto [file, message] :
       {std::pair<const char*, const google::protobuf::Message*>{"0_shell.double_1.pb", &t0},
        {"1_shell.describe_1.pb", &t1},
        {"2_shell.pipeline_2.pb", &w},
        {"3_shell.pipeline_3.pb", &lp}}) {
    flytecpp::Status st = WriteMessage(out / file, *message, Format::kBinary);
    if (!st.ok()) {
      std::cerr << "example_process_package: " << st.ToString() << "\n";
      return 2;
    }
  }
  return 0;
}
