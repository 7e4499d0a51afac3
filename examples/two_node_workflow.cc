// Example (b): a two-node workflow; the second node runs after the first and
// consumes its output.
//
//     start ──x──▶ double ──o0──▶ square ──o0──▶ end
//
// Written as a core.WorkflowClosure (workflow + its tasks), ready to compile.
// Usage: example_two_node_workflow [OUT.{pb,json,yaml}]

#include "emit.h"
#include "flytecpp/idl/builders.h"
#include "flyteidl/core/workflow_closure.pb.h"

using namespace flytecpp::idl;

int main(int argc, char** argv) {
  auto unary = [](std::string name) {
    return TaskBuilder(std::move(name))
        .Input("x", types::Int())
        .Output("o0", types::Int())
        .Container(ContainerBuilder("ghcr.io/flytecpp/examples:latest").Command({"calc"}))
        .Build();
  };
  TaskTemplate double_it = unary("examples.double");
  TaskTemplate square_it = unary("examples.square");

  WorkflowBuilder wf("examples.double_then_square");
  wf.Input("x", types::Int());
  wf.Add(TaskNode("n0", double_it).Bind("x", WorkflowInput("x")));
  wf.Add(TaskNode("n1", square_it).Bind("x", Promise("n0", "o0")).After("n0"));
  wf.Output("y", types::Int(), Promise("n1", "o0"));

  flyteidl::core::WorkflowClosure closure;
  *closure.mutable_workflow() = wf.Build();
  *closure.add_tasks() = double_it;
  *closure.add_tasks() = square_it;

  return EmitExample(argc, argv, closure);
}
