// Writes a pyflyte-style package directory of the workflows the web console
// is tested (and shown) with, each with a launch plan carrying its defaults:
//
//   console.review(n=3, xs=[1..5]): produce (prints n lines, slowly), an
//       array of 5 squares and a task that fails its first attempt (retried
//       once), then an approve gate `review`, then a report
//   console.ask: a signal gate `limit` (integer) whose value is the output
//   console.shapes(x=1): a sub-workflow (console.inner: one task), then a
//       branch whose case for x > 0 is a signal gate `pick` (integer)
//   console.slow: a task that sleeps ten minutes (to terminate); its launch
//       plan has a schedule (@yearly), which fires once it is activated
//   console.big: a 100 x 100 lattice of pass-through tasks (10,000 nodes;
//       the pass-through task is cached)
//
// Usage: example_console_package OUTDIR   (then: tar -czf pkg.tgz -C OUTDIR .)
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"

using namespace flytecpp::idl;
namespace admin = flyteidl::admin;

namespace {

TaskTemplate Shell(std::string name, std::string script, std::vector<std::string> inputs,
                   std::vector<std::pair<std::string, LiteralType>> outputs) {
  TaskBuilder task(std::move(name), "raw-container");
  task.Container(ContainerBuilder("debian:12")
                     .Command({"sh", "-c", std::move(script)})
                     .DataConfig("/var/inputs", "/var/outputs"));
  for (const auto& in : inputs) task.Input(in, types::Int());
  for (const auto& [out, type] : outputs) task.Output(out, type);
  return task.Build();
}

admin::LaunchPlan PlanFor(const WorkflowTemplate& wf, const LiteralMap& defaults) {
  admin::LaunchPlan lp;
  *lp.mutable_id() = MakeIdentifier(flyteidl::core::LAUNCH_PLAN, wf.id().name());
  *lp.mutable_spec()->mutable_workflow_id() = wf.id();
  for (const auto& [name, value] : defaults.literals()) {
    auto& p = (*lp.mutable_spec()->mutable_default_inputs()->mutable_parameters())[name];
    *p.mutable_var()->mutable_type() = wf.interface().inputs().variables().at(name).type();
    *p.mutable_default_() = value;
  }
  return lp;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: example_console_package OUTDIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  const TaskTemplate produce =
      Shell("console.produce",
            "n=$(cat /var/inputs/n); i=1; while [ $i -le $n ]; do echo \"line $i of $n\"; "
            "sleep 0.4; i=$((i+1)); done; echo 'done' >&2; echo $((n * 10)) > /var/outputs/y",
            {"n"}, {{"y", types::Int()}});
  const TaskTemplate square = Shell(
      "console.square", "echo $(( $(cat /var/inputs/x) * $(cat /var/inputs/x) )) > /var/outputs/y",
      {"x"}, {{"y", types::Int()}});
  const TaskTemplate report =
      Shell("console.report", "echo \"approved $(cat /var/inputs/v)\" > /var/outputs/text", {"v"},
            {{"text", types::String()}});
  const TaskTemplate sleep = Shell("console.sleep", "sleep 600", {}, {});
  TaskTemplate flaky = Shell(
      "console.flaky",
      "if [ \"$FLYTE_ATTEMPT_NUMBER\" = 0 ]; then echo 'attempt 0 fails' >&2; exit 3; fi", {}, {});
  flaky.mutable_metadata()->mutable_retries()->set_retries(1);
  // Cached: the same input a second time is a cache hit.
  TaskTemplate pass =
      Shell("console.pass", "cp /var/inputs/x /var/outputs/y", {"x"}, {{"y", types::Int()}});
  pass.mutable_metadata()->set_discoverable(true);
  pass.mutable_metadata()->set_discovery_version("1");

  WorkflowBuilder review("console.review");
  review.Input("n", types::Int()).Input("xs", types::List(types::Int()));
  review.Add(TaskNode("produce", produce).Bind("n", WorkflowInput("n")));
  review.Add(ArrayNode("squares", TaskNode("squares-sub", square))
                 .Parallelism(2)
                 .Bind("x", WorkflowInput("xs"))
                 .OriginalSubNodeInterface());
  review.Add(TaskNode("flaky", flaky));
  review.Add(ApproveGate("review", "review").Bind("v", Promise("produce", "y")));
  review.Add(TaskNode("report", report).Bind("v", Promise("review", "v")));
  review.Output("text", types::String(), Promise("report", "text"));
  review.Output("squares", types::List(types::Int()), Promise("squares", "y"));
  const WorkflowTemplate review_wf = review.Build();

  WorkflowBuilder ask("console.ask");
  ask.Add(SignalGate("ask", "limit", types::Int(), "n"));
  ask.Output("limit", types::Int(), Promise("ask", "n"));
  const WorkflowTemplate ask_wf = ask.Build();

  WorkflowBuilder inner("console.inner");
  inner.Input("x", types::Int());
  inner.Add(TaskNode("pass", pass).Bind("x", WorkflowInput("x")));
  inner.Output("y", types::Int(), Promise("pass", "y"));
  const WorkflowTemplate inner_wf = inner.Build();
  WorkflowBuilder shapes("console.shapes");
  shapes.Input("x", types::Int());
  shapes.Add(SubWorkflowNode("inner", inner_wf.id()).Bind("x", WorkflowInput("x")));
  shapes.Add(BranchNode("choose")
                 .Bind("x", Promise("inner", "y"))
                 .If(Var("x") > Val(0), SignalGate("pick", "pick", types::Int(), "n"))
                 .ElseFail("x must be positive"));
  shapes.Output("picked", types::Int(), Promise("choose", "n"));
  const WorkflowTemplate shapes_wf = shapes.Build();

  WorkflowBuilder slow("console.slow");
  slow.Add(TaskNode("sleep", sleep));
  const WorkflowTemplate slow_wf = slow.Build();

  // 100 chains of 100: node c<i>_<j> passes x along chain i.
  WorkflowBuilder big("console.big");
  big.Input("x", types::Int());
  constexpr int kSide = 100;
  for (int i = 0; i < kSide; ++i) {
    for (int j = 0; j < kSide; ++j) {
      const std::string id = "c" + std::to_string(i) + "_" + std::to_string(j);
      big.Add(TaskNode(id, pass).Bind(
          "x", j == 0 ? WorkflowInput("x")
                      : Promise("c" + std::to_string(i) + "_" + std::to_string(j - 1), "y")));
    }
  }
  big.Output("y", types::Int(), Promise("c0_" + std::to_string(kSide - 1), "y"));
  const WorkflowTemplate big_wf = big.Build();

  std::vector<std::pair<std::string, std::unique_ptr<google::protobuf::Message>>> files;
  int index = 0;
  auto add = [&](const std::string& name, int kind, std::unique_ptr<google::protobuf::Message> m) {
    // Zero-padded: the package is registered in file-name order.
    const std::string number = (index < 10 ? "0" : "") + std::to_string(index);
    ++index;
    files.emplace_back(number + "_" + name + "_" + std::to_string(kind) + ".pb", std::move(m));
  };
  for (const TaskTemplate* t : std::initializer_list<const TaskTemplate*>{
           &produce, &square, &report, &sleep, &pass, &flaky}) {
    auto spec = std::make_unique<admin::TaskSpec>();
    *spec->mutable_template_() = *t;
    add(t->id().name(), 1, std::move(spec));
  }
  std::vector<LiteralMap> defaults(5);
  std::vector<Literal> xs;
  for (int x = 1; x <= 5; ++x) xs.push_back(lit::Int(x));
  defaults[0] = lit::Inputs({{"n", lit::Int(3)}, {"xs", lit::List(xs)}});
  defaults[2] = lit::Inputs({{"x", lit::Int(1)}});
  defaults[4] = lit::Inputs({{"x", lit::Int(1)}});
  int w = 0;
  for (const WorkflowTemplate* wf : {&review_wf, &ask_wf, &shapes_wf, &slow_wf, &big_wf}) {
    auto spec = std::make_unique<admin::WorkflowSpec>();
    *spec->mutable_template_() = *wf;
    if (wf == &shapes_wf) *spec->add_sub_workflows() = inner_wf;
    add(wf->id().name(), 2, std::move(spec));
    auto lp = std::make_unique<admin::LaunchPlan>(PlanFor(*wf, defaults[w++]));
    if (wf == &slow_wf) {
      lp->mutable_spec()
          ->mutable_entity_metadata()
          ->mutable_schedule()
          ->mutable_cron_schedule()
          ->set_schedule("@yearly");
    }
    add(wf->id().name(), 3, std::move(lp));
  }
  for (const auto& [file, message] : files) {
    flytecpp::Status st = WriteMessage(out / file, *message, Format::kBinary);
    if (!st.ok()) {
      std::cerr << "example_console_package: " << st.ToString() << "\n";
      return 2;
    }
  }
  return 0;
}
