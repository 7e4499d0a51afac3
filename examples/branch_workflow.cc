// Example (c): a branch node choosing between two task nodes on
// `input_count > 100`.
//
//                 ┌─ input_count > 100 ─▶ process_in_bulk
//   start ─▶ route┤
//                 └─ else ──────────────▶ process_one_by_one
//
// Usage: example_branch_workflow [OUT.{pb,json,yaml}]

#include "emit.h"
#include "flytecpp/idl/builders.h"
#include "flyteidl/core/workflow_closure.pb.h"

using namespace flytecpp::idl;

int main(int argc, char** argv) {
  auto processor = [](std::string name) {
    return TaskBuilder(std::move(name))
        .Input("input_count", types::Int())
        .Output("processed", types::Int())
        .Container(ContainerBuilder("ghcr.io/flytecpp/examples:latest").Command({"process"}))
        .Build();
  };
  TaskTemplate bulk = processor("examples.process_in_bulk");
  TaskTemplate single = processor("examples.process_one_by_one");

  WorkflowBuilder wf("examples.route_by_size");
  wf.Input("input_count", types::Int());
  wf.Add(BranchNode("route")
             .Bind("input_count", WorkflowInput("input_count"))
             .If(Var("input_count") > Val(100),
                 TaskNode("bulk", bulk).Bind("input_count", WorkflowInput("input_count")))
             .Else(TaskNode("single", single).Bind("input_count", WorkflowInput("input_count"))));
  wf.Output("processed", types::Int(), Promise("route", "processed"));

  flyteidl::core::WorkflowClosure closure;
  *closure.mutable_workflow() = wf.Build();
  *closure.add_tasks() = bulk;
  *closure.add_tasks() = single;

  return EmitExample(argc, argv, closure);
}
