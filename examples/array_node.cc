// Example (d): an array node mapping a task over a list, 10 at a time.
//
//   start ──items[]──▶ score[i] × N (parallelism 10) ──scores[]──▶ end
//
// As flytekit writes map tasks, the mapped task's interface is already made of
// collections; the engine hands each sub-node its own element.
// Success criteria are a oneof in flyteidl (min_successes | min_success_ratio),
// so the example carries two array nodes: "at least 8 succeed" and "at least
// 80% succeed".
// Usage: example_array_node [OUT.{pb,json,yaml}]

#include "emit.h"
#include "flytecpp/idl/builders.h"
#include "flyteidl/core/workflow_closure.pb.h"

using namespace flytecpp::idl;

int main(int argc, char** argv) {
  TaskTemplate score =
      TaskBuilder("examples.score")
          .Input("item", types::List(types::String()))
          .Output("o0", types::List(types::Float()))
          .Container(ContainerBuilder("ghcr.io/flytecpp/examples:latest").Command({"score"}))
          .Build();

  WorkflowBuilder wf("examples.score_all");
  wf.Input("items", types::List(types::String()));
  wf.Add(ArrayNode("score_at_least_8",
                   TaskNode("score_at_least_8-sub", score).Bind("item", WorkflowInput("items")))
             .Bind("item", WorkflowInput("items"))
             .Parallelism(10)
             .MinSuccesses(8));
  wf.Add(ArrayNode("score_at_least_80pct",
                   TaskNode("score_at_least_80pct-sub", score).Bind("item", WorkflowInput("items")))
             .Bind("item", WorkflowInput("items"))
             .Parallelism(10)
             .MinSuccessRatio(0.8f));
  wf.Output("scores", types::List(types::Float()), Promise("score_at_least_8", "o0"));
  wf.Output("scores_ratio", types::List(types::Float()), Promise("score_at_least_80pct", "o0"));

  flyteidl::core::WorkflowClosure closure;
  *closure.mutable_workflow() = wf.Build();
  *closure.add_tasks() = score;

  return EmitExample(argc, argv, closure);
}
