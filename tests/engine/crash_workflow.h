// The crash test's workflow, every node kind the engine runs in one:
//
//   a0 -> a1 -> br (x < 4 ? br-lo : br-hi) -> sw (sub-workflow: sw/s0 -> sw/s1) -> b0 -> nap -> f
//          \-> lp (launch plan, child: c0 -> c1) -> b1
//          \-> arr (array: step over [a0, a1, 5, 7])
//          \-> dy (dynamic: generates dy/d0 -> dy/d1)
//   nap: a sleep gate (30 ms); failure node: cleanup (gets `err`); f fails on
//   purpose when input `fail` is set.
#pragma once

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"

namespace flytecpp::crash {

using namespace flytecpp::idl;

inline constexpr const char* kStep = "crash.step";             // x -> 3x+1
inline constexpr const char* kMaybeFail = "crash.maybe_fail";  // x, fail -> x
inline constexpr const char* kCleanup = "crash.cleanup";
inline constexpr const char* kMapped = "crash.step_mapped";  // step, mapped over a list
inline constexpr const char* kDynamic = "crash.dynamic";     // x, run -> the workflow below

struct Workflow {
  compiler::CompiledWorkflowClosure closure;
  flyteidl::core::Identifier launch_plan;
  engine::LaunchPlanTarget launch_plan_target;
};

inline TaskTemplate StepTask() {
  return TaskBuilder(kStep)
      .Input("x", types::Int())
      .Input("tag", types::String())
      .Input("run", types::String())
      .Output("o0", types::Int())
      .Container(ContainerBuilder("img").Command({"step"}))
      .Build();
}

inline NodeBuilder Step(const std::string& id, const std::string& tag, BindingData x) {
  return TaskNode(id, StepTask())
      .Bind("x", std::move(x))
      .Bind("tag", Constant(lit::String(tag)))
      .Bind("run", WorkflowInput("run"));
}

inline TaskTemplate DynamicTask() {
  return TaskBuilder(kDynamic)
      .Input("x", types::Int())
      .Input("tag", types::String())
      .Input("run", types::String())
      .Output("o0", types::Int())
      .Container(ContainerBuilder("img").Command({"dynamic"}))
      .Build();
}

// What crash.dynamic generates: dy/d0 -> dy/d1, steps from x.
inline flyteidl::core::DynamicJobSpec Generated(int64_t x, const std::string& run) {
  flyteidl::core::DynamicJobSpec spec;
  auto step = [&](const std::string& id, BindingData in) {
    return TaskNode(id, StepTask())
        .Bind("x", std::move(in))
        .Bind("tag", Constant(lit::String("dy/" + id)))
        .Bind("run", Constant(lit::String(run)))
        .Build();
  };
  *spec.add_nodes() = step("d0", Constant(lit::Int(x)));
  *spec.add_nodes() = step("d1", Promise("d0", "o0"));
  auto* out = spec.add_outputs();
  out->set_var("o0");
  *out->mutable_binding() = Promise("d1", "o0");
  *spec.add_tasks() = StepTask();
  return spec;
}

inline flyteidl::core::LiteralMap Inputs(const std::string& run, int k) {
  return lit::Inputs(
      {{"run", lit::String(run)}, {"x", lit::Int(k)}, {"fail", lit::Bool(k % 4 == 3)}});
}

inline Result<Workflow> Build() {
  const TaskTemplate step = StepTask();
  const TaskTemplate maybe_fail = TaskBuilder(kMaybeFail)
                                      .Input("x", types::Int())
                                      .Input("fail", types::Bool())
                                      .Input("tag", types::String())
                                      .Input("run", types::String())
                                      .Output("o0", types::Int())
                                      .Container(ContainerBuilder("img").Command({"maybe"}))
                                      .Build();
  const TaskTemplate cleanup = TaskBuilder(kCleanup)
                                   .Input("err", types::Union({types::Error(), types::None()}))
                                   .Input("tag", types::String())
                                   .Input("run", types::String())
                                   .Container(ContainerBuilder("img").Command({"cleanup"}))
                                   .Build();
  const TaskTemplate mapped = TaskBuilder(kMapped)  // step, as flytekit declares a mapped task
                                  .Input("x", types::List(types::Int()))
                                  .Input("tag", types::String())
                                  .Input("run", types::String())
                                  .Output("o0", types::List(types::Int()))
                                  .Container(ContainerBuilder("img").Command({"step"}))
                                  .Build();
  std::vector<compiler::CompiledTask> tasks(5);
  *tasks[0].mutable_template_() = step;
  *tasks[1].mutable_template_() = maybe_fail;
  *tasks[2].mutable_template_() = cleanup;
  *tasks[3].mutable_template_() = DynamicTask();
  *tasks[4].mutable_template_() = mapped;

  WorkflowBuilder sub("crash.sub");
  sub.Input("x", types::Int());
  sub.Input("run", types::String());
  sub.Add(Step("s0", "sw/s0", WorkflowInput("x")));
  sub.Add(Step("s1", "sw/s1", Promise("s0", "o0")));
  sub.Output("y", types::Int(), Promise("s1", "o0"));
  const WorkflowTemplate sub_template = sub.Build();

  WorkflowBuilder child("crash.child");
  child.Input("x", types::Int());
  child.Input("run", types::String());
  child.Add(Step("c0", "lp/c0", WorkflowInput("x")));
  child.Add(Step("c1", "lp/c1", Promise("c0", "o0")));
  child.Output("y", types::Int(), Promise("c1", "o0"));
  Workflow out;
  FLYTECPP_ASSIGN_OR_RETURN(out.launch_plan_target.closure,
                            compiler::CompileWorkflow(child.Build(), {}, tasks, {}));
  out.launch_plan = MakeIdentifier(flyteidl::core::LAUNCH_PLAN, "crash.lp");
  compiler::LaunchPlanInterface lpi;
  lpi.id = out.launch_plan;
  for (const auto& [name, type] : {std::pair{"x", types::Int()}, {"run", types::String()}}) {
    auto& p = (*lpi.expected_inputs.mutable_parameters())[name];
    *p.mutable_var()->mutable_type() = type;
    p.set_required(true);
  }
  *(*lpi.expected_outputs.mutable_variables())["y"].mutable_type() = types::Int();

  WorkflowBuilder wf("crash.main");
  wf.Input("run", types::String());
  wf.Input("x", types::Int());
  wf.Input("fail", types::Bool());
  wf.Add(Step("a0", "a0", WorkflowInput("x")));
  wf.Add(Step("a1", "a1", Promise("a0", "o0")));
  wf.Add(BranchNode("br")
             .Bind("x", WorkflowInput("x"))
             .After("a1")
             .If(Var("x") < Val(4), Step("lo", "br-lo", Promise("a1", "o0")))
             .Else(Step("hi", "br-hi", Promise("a1", "o0"))));
  wf.Add(SubWorkflowNode("sw", sub_template.id())
             .Bind("x", Promise("br", "o0"))
             .Bind("run", WorkflowInput("run")));
  wf.Add(LaunchPlanNode("lp", out.launch_plan)
             .Bind("x", Promise("a1", "o0"))
             .Bind("run", WorkflowInput("run")));
  wf.Add(Step("b0", "b0", Promise("sw", "y")));
  wf.Add(Step("b1", "b1", Promise("lp", "y")));
  wf.Add(SleepGate("nap", std::chrono::milliseconds(30)).After("b0"));
  wf.Add(TaskNode("f", maybe_fail)
             .After("nap")
             .Bind("x", Promise("b0", "o0"))
             .Bind("fail", WorkflowInput("fail"))
             .Bind("tag", Constant(lit::String("f")))
             .Bind("run", WorkflowInput("run")));
  wf.Add(ArrayNode("arr", TaskNode("arr-sub", mapped))
             .Bind("x", BindList({Promise("a0", "o0"), Promise("a1", "o0"), Constant(lit::Int(5)),
                                  Constant(lit::Int(7))}))
             .Bind("tag", Constant(lit::String("arr")))
             .Bind("run", WorkflowInput("run"))
             .Parallelism(2));
  wf.Add(TaskNode("dy", DynamicTask())
             .Bind("x", Promise("a1", "o0"))
             .Bind("tag", Constant(lit::String("dy")))
             .Bind("run", WorkflowInput("run")));
  wf.Output("y1", types::Int(), Promise("f", "o0"));
  wf.Output("y2", types::Int(), Promise("b1", "o0"));
  wf.Output("y3", types::List(types::Int()), Promise("arr", "o0"));
  wf.Output("y4", types::Int(), Promise("dy", "o0"));
  wf.FailureNode(TaskNode("cleanup", cleanup)
                     .Bind("tag", Constant(lit::String("cleanup")))
                     .Bind("run", WorkflowInput("run")));
  FLYTECPP_ASSIGN_OR_RETURN(out.closure,
                            compiler::CompileWorkflow(wf.Build(), {sub_template}, tasks, {lpi}));
  return out;
}

}  // namespace flytecpp::crash
