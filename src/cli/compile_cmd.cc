// flytecpp compile INPUT: compile workflows as flytepropeller would.
// flytecpp graph INPUT:   draw a compiled workflow (dot or mermaid).
#include <iostream>

#include "commands.h"
#include "flytecpp/compiler/sources.h"
#include "flytecpp/idl/io.h"
#include "graph.h"
#include "report.h"

namespace flytecpp::cli {

namespace {

struct CompileOptions {
  std::string input;
  std::string workflow;
  std::string output;
  std::vector<std::string> tasks;
  std::string format = "dot";  // graph only
};

Result<compiler::WorkflowSources> Load(const CompileOptions& o) {
  std::vector<std::filesystem::path> task_files(o.tasks.begin(), o.tasks.end());
  return compiler::LoadWorkflowSources(o.input, task_files);
}

// Prints a failed compile: a header line, then `CODE node-id: message` lines.
int ReportCompileErrors(const std::string& workflow, const Status& status,
                        const std::vector<compiler::CompileError>& errors) {
  if (errors.empty()) return Fail(status, kExitBadInput);
  std::cerr << "flytecpp: workflow " << workflow << ": " << errors.size()
            << (errors.size() == 1 ? " compile error" : " compile errors") << "\n";
  for (const auto& e : errors) std::cerr << e.ToString() << "\n";
  return kExitBadInput;
}

std::string Summary(const compiler::CompiledWorkflowClosure& c) {
  int nodes = c.primary().template_().nodes_size() - 2;  // without start/end
  return std::to_string(nodes) + " nodes, " + std::to_string(c.tasks_size()) + " tasks, " +
         std::to_string(c.sub_workflows_size()) + " sub-workflows";
}

int RunCompile(const CompileOptions& o) {
  auto sources = Load(o);
  if (!sources.ok()) return Fail(sources.status(), kExitBadInput);
  std::vector<const compiler::WorkflowSources::Entry*> targets;
  if (!o.workflow.empty() || sources->workflows.size() == 1 || !o.output.empty()) {
    auto entry = compiler::FindWorkflow(*sources, o.workflow);
    if (!entry.ok()) return Fail(entry.status().WithContext(o.input), kExitBadInput);
    targets.push_back(*entry);
  } else {
    for (const auto& e : sources->workflows) targets.push_back(&e);
  }
  int failed = 0;
  for (const auto* entry : targets) {
    const std::string& name = entry->workflow.id().name();
    std::vector<compiler::CompileError> errors;
    auto closure = compiler::CompileFromSources(*sources, *entry, &errors);
    if (!closure.ok()) {
      ReportCompileErrors(name, closure.status(), errors);
      ++failed;
      continue;
    }
    if (!o.output.empty()) {
      Status st = idl::WriteMessage(o.output, *closure);
      if (!st.ok()) return Fail(st, kExitBadInput);
      std::cerr << "wrote " << o.output << " (CompiledWorkflowClosure of " << name << ")\n";
    } else {
      std::cout << "ok  " << name << "  (" << Summary(*closure) << ")\n";
    }
  }
  if (targets.size() > 1) {
    std::cout << (targets.size() - failed) << " of " << targets.size() << " workflows compiled\n";
  }
  return failed == 0 ? kExitOk : kExitBadInput;
}

int RunGraph(const CompileOptions& o) {
  auto sources = Load(o);
  if (!sources.ok()) return Fail(sources.status(), kExitBadInput);
  auto entry = compiler::FindWorkflow(*sources, o.workflow);
  if (!entry.ok()) return Fail(entry.status().WithContext(o.input), kExitBadInput);
  std::vector<compiler::CompileError> errors;
  auto closure = compiler::CompileFromSources(*sources, **entry, &errors);
  if (!closure.ok()) {
    return ReportCompileErrors((*entry)->workflow.id().name(), closure.status(), errors);
  }
  if (o.format == "dot") {
    std::cout << GraphDot(*closure);
  } else if (o.format == "mermaid") {
    std::cout << GraphMermaid(*closure);
  } else {
    return Fail(InvalidArgument("unknown graph format \"" + o.format + "\": use dot or mermaid"),
                kExitBadInput);
  }
  return kExitOk;
}

void AddCommonOptions(CLI::App* cmd, CompileOptions* o) {
  cmd->add_option("INPUT", o->input, "A pyflyte package, or a WorkflowSpec/WorkflowClosure file")
      ->required();
  cmd->add_option("--workflow", o->workflow, "The workflow to compile (full or short name)");
  cmd->add_option("--tasks", o->tasks,
                  "Files with the workflow's tasks (TaskSpec, TaskTemplate, "
                  "CompiledTask, WorkflowClosure)");
}

}  // namespace

void RegisterCompile(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<CompileOptions>();
  auto* cmd = app.add_subcommand("compile", "Compile workflows (flytepropeller's rules)");
  AddCommonOptions(cmd, opts.get());
  cmd->add_option("-o,--output", opts->output,
                  "Write the CompiledWorkflowClosure here (.pb, .json or .yaml)");
  cmd->callback([opts, exit_code] { *exit_code = RunCompile(*opts); });

  auto gopts = std::make_shared<CompileOptions>();
  auto* graph = app.add_subcommand("graph", "Draw a compiled workflow as Graphviz dot or Mermaid");
  AddCommonOptions(graph, gopts.get());
  graph->add_option("--format", gopts->format, "dot (default) or mermaid");
  graph->callback([gopts, exit_code] { *exit_code = RunGraph(*gopts); });
}

}  // namespace flytecpp::cli
