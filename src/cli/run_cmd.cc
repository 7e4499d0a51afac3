// flytecpp run INPUT:  compile, register and run a workflow (or one task).
// flytecpp resume EXEC: continue an execution whose process died.
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "commands.h"
#include "flytecpp/compiler/sources.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/runtime/process.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

namespace {

struct RunOptions {
  std::string input;
  std::string workflow;
  std::string task;
  std::vector<std::string> inputs;  // k=v
  std::string inputs_file;
  std::string outputs_file;
  std::string exec_id;
};

// A one-node workflow around `task`, so a task runs like any workflow.
core::WorkflowTemplate WorkflowForTask(const core::TaskTemplate& task) {
  idl::WorkflowBuilder wf(task.id().name());
  idl::NodeBuilder node = idl::TaskNode("n0", task);
  for (const auto& [name, v] : task.interface().inputs().variables()) {
    wf.Input(name, v.type());
    node.Bind(name, idl::WorkflowInput(name));
  }
  wf.Add(node);
  for (const auto& [name, v] : task.interface().outputs().variables()) {
    wf.Output(name, v.type(), idl::Promise("n0", name));
  }
  core::WorkflowTemplate t = wf.Build();
  t.mutable_id()->set_version(task.id().version());
  return t;
}

Result<const core::TaskTemplate*> FindTask(const compiler::WorkflowSources& sources,
                                           const std::string& name) {
  for (const auto& t : sources.tasks) {
    const std::string& full = t.id().name();
    if (full == name || full.substr(full.rfind('.') + 1) == name) return &t;
  }
  return NotFound("no task named \"" + name + "\"");
}

// Parses `--input k=v` values by the declared input types.
Status ParseInputs(const RunOptions& o, const core::TypedInterface& iface, core::LiteralMap* out) {
  if (!o.inputs_file.empty()) {
    FLYTECPP_RETURN_IF_ERROR(idl::ReadMessage(o.inputs_file, out));
  }
  const auto& vars = iface.inputs().variables();
  for (const std::string& kv : o.inputs) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument("--input " + kv + ": expected name=value");
    }
    std::string name = kv.substr(0, eq);
    auto it = vars.find(name);
    if (it == vars.end()) {
      std::string known;
      for (const auto& [n, v] : vars) known += (known.empty() ? "" : ", ") + n;
      return InvalidArgument("--input " + name + ": the workflow has no such input (it takes: " +
                             (known.empty() ? "none" : known) + ")");
    }
    auto value = idl::ParseLiteral(kv.substr(eq + 1), it->second.type());
    if (!value.ok()) return value.status().WithContext("--input " + name);
    (*out->mutable_literals())[name] = std::move(value).value();
  }
  return Status::Ok();
}

// Launch plans of the package, each compiled with the workflow it launches.
engine::LaunchPlanResolver ResolverFor(std::shared_ptr<compiler::WorkflowSources> sources) {
  return [sources](const core::Identifier& id) -> Result<engine::LaunchPlanTarget> {
    for (const auto& lp : sources->launch_plans) {
      if (idl::IdentifierString(lp.id()) != idl::IdentifierString(id)) continue;
      FLYTECPP_ASSIGN_OR_RETURN(const compiler::WorkflowSources::Entry* entry,
                                compiler::FindWorkflow(*sources, lp.spec().workflow_id().name()));
      engine::LaunchPlanTarget target;
      FLYTECPP_ASSIGN_OR_RETURN(target.closure, compiler::CompileFromSources(*sources, *entry));
      target.fixed_inputs = lp.spec().fixed_inputs();
      target.default_inputs = lp.spec().default_inputs();
      return target;
    }
    return NotFound("not in the package");
  };
}

// Live progress on a terminal: one line, rewritten.
std::function<void(const engine::Progress&)> ProgressLine(bool* printed) {
  if (!::isatty(STDERR_FILENO)) return nullptr;
  return [printed](const engine::Progress& p) {
    std::string line =
        "\r\033[K" + p.execution_id + "  " +
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(p.elapsed).count() /
                       1000.0)
            .substr(0, 5) +
        "s ";
    for (const auto& [phase, count] : p.nodes_by_phase) {
      line += " " + core::NodeExecution::Phase_Name(phase) + ":" + std::to_string(count);
    }
    if (!p.running.empty()) {
      line += "  [";
      for (size_t i = 0; i < p.running.size(); ++i) line += (i ? " " : "") + p.running[i];
      line += "]";
    }
    std::cerr << line << std::flush;
    *printed = true;
  };
}

int Report(const Result<engine::ExecutionResult>& result, const std::string& outputs_file,
           bool progress_printed) {
  if (progress_printed) std::cerr << "\n";
  if (!result.ok()) return Fail(result.status(), kExitBadInput);
  const engine::ExecutionResult& r = *result;
  std::cout << "execution " << r.execution_id << " " << core::WorkflowExecution::Phase_Name(r.phase)
            << "\n";
  if (r.phase == core::WorkflowExecution::SUCCEEDED) {
    std::map<std::string, const core::Literal*> sorted;
    for (const auto& [k, v] : r.outputs.literals()) sorted.emplace(k, &v);
    for (const auto& [k, v] : sorted)
      std::cout << "  " << k << " = " << idl::ShortString(*v) << "\n";
    if (!outputs_file.empty()) {
      Status st = idl::WriteMessage(outputs_file, r.outputs);
      if (!st.ok()) return Fail(st, kExitBadInput);
    }
    return kExitOk;
  }
  std::string where = r.failed_node.empty() ? "" : " at node " + r.failed_node;
  std::string why = r.error ? r.error->code() + ": " + r.error->message() : "no error recorded";
  std::cerr << "flytecpp: execution " << r.execution_id << " "
            << core::WorkflowExecution::Phase_Name(r.phase) << where << ": " << why << "\n";
  return kExitFailed;
}

// The program's runtimes, then a process runtime for container tasks.
struct Runtimes {
  std::unique_ptr<runtime::ProcessRuntime> process;
  std::vector<runtime::Runtime*> all;
};

Result<Runtimes> MakeRuntimes(const CliEnv& env) {
  runtime::ProcessRuntimeOptions options;
  options.sandbox = !env.no_sandbox;
  std::filesystem::path config =
      env.config.empty() ? StoreDir(env) / "config.yaml" : std::filesystem::path(env.config);
  if (!env.config.empty() && !std::filesystem::exists(config)) {
    return InvalidArgument(config.string() + ": no such config file");
  }
  FLYTECPP_ASSIGN_OR_RETURN(options.images, runtime::LoadImageConfig(config));
  Runtimes r;
  r.process = std::make_unique<runtime::ProcessRuntime>(std::move(options));
  r.all = env.runtimes;
  r.all.push_back(r.process.get());
  return r;
}

// Before anything runs: tasks that will run as processes need the sandbox.
Status CheckProcessTasks(const CliEnv& env, const Runtimes& rt,
                         const compiler::CompiledWorkflowClosure& closure) {
  for (const auto& t : closure.tasks()) {
    bool other = false;
    for (runtime::Runtime* r : env.runtimes) other = other || r->CanRun(t.template_());
    if (!other && rt.process->CanRun(t.template_())) return rt.process->CheckSandbox();
  }
  return Status::Ok();
}

int RunRun(const CliEnv& env, const RunOptions& o) {
  auto loaded = compiler::LoadWorkflowSources(o.input, {});
  if (!loaded.ok()) return Fail(loaded.status(), kExitBadInput);
  auto sources = std::make_shared<compiler::WorkflowSources>(std::move(loaded).value());
  const compiler::WorkflowSources::Entry* entry = nullptr;
  if (!o.task.empty()) {
    auto task = FindTask(*sources, o.task);
    if (!task.ok()) return Fail(task.status().WithContext(o.input), kExitBadInput);
    sources->workflows.push_back({WorkflowForTask(**task), {}});
    entry = &sources->workflows.back();
  } else {
    auto found = compiler::FindWorkflow(*sources, o.workflow);
    if (!found.ok()) return Fail(found.status().WithContext(o.input), kExitBadInput);
    entry = *found;
  }
  std::vector<compiler::CompileError> errors;
  auto closure = compiler::CompileFromSources(*sources, *entry, &errors);
  if (!closure.ok()) {
    std::cerr << "flytecpp: workflow " << entry->workflow.id().name() << ": " << errors.size()
              << " compile errors\n";
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    return kExitBadInput;
  }
  engine::RunRequest request;
  Status st = ParseInputs(o, closure->primary().template_().interface(), &request.inputs);
  if (!st.ok()) return Fail(st, kExitBadInput);
  // The workflow's launch plan in the package supplies defaults and fixed inputs.
  for (const auto& lp : sources->launch_plans) {
    if (lp.spec().workflow_id().name() != entry->workflow.id().name()) continue;
    request.defaults = lp.spec().default_inputs();
    for (const auto& [k, v] : lp.spec().fixed_inputs().literals()) {
      (*request.inputs.mutable_literals())[k] = v;
    }
    break;
  }
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  // Registered entities: what ran, as compiled.
  for (const auto& t : closure->tasks()) {
    (void)(*store)->PutEntity(idl::IdentifierString(t.template_().id()), core::TASK,
                              t.template_().SerializeAsString());
  }
  (void)(*store)->PutEntity(idl::IdentifierString(entry->workflow.id()), core::WORKFLOW,
                            closure->SerializeAsString());
  auto runtimes = MakeRuntimes(env);
  if (!runtimes.ok()) return Fail(runtimes.status(), kExitBadInput);
  st = CheckProcessTasks(env, *runtimes, *closure);
  if (!st.ok()) return Fail(st, kExitBadInput);
  if (env.no_sandbox)
    std::cerr << "flytecpp: --no-sandbox: container tasks run unsandboxed on this host\n";
  request.closure = std::move(closure).value();
  request.execution_id = o.exec_id;

  bool printed = false;
  engine::EngineOptions options;
  options.store = store->get();
  options.runtimes = runtimes->all;
  options.launch_plans = ResolverFor(sources);
  options.on_progress = ProgressLine(&printed);
  engine::Engine engine(options);
  return Report(engine.Run(std::move(request)), o.outputs_file, printed);
}

int RunResume(const CliEnv& env, const std::string& exec_id, const std::string& outputs_file) {
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  auto runtimes = MakeRuntimes(env);
  if (!runtimes.ok()) return Fail(runtimes.status(), kExitBadInput);
  bool printed = false;
  engine::EngineOptions options;
  options.store = store->get();
  options.runtimes = runtimes->all;
  options.on_progress = ProgressLine(&printed);
  engine::Engine engine(options);
  return Report(engine.Resume(exec_id), outputs_file, printed);
}

}  // namespace

void RegisterRun(CLI::App& app, CliEnv* env, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  auto* run = app.add_subcommand("run", "Compile, register and run a workflow (or one task)");
  run->add_option("INPUT", o->input, "A pyflyte package, or a WorkflowSpec/WorkflowClosure file")
      ->required();
  run->add_option("--workflow", o->workflow, "The workflow to run (full or short name)");
  run->add_option("--task", o->task, "Run this task alone instead of a workflow");
  run->add_option("--input", o->inputs, "An input as name=value (value parsed by its type)");
  run->add_option("--inputs", o->inputs_file, "A LiteralMap file (.pb/.json/.yaml) of inputs");
  run->add_option("--outputs", o->outputs_file, "Write the outputs here as a LiteralMap");
  run->add_option("--exec-id", o->exec_id, "Name of the execution (default: generated)");
  run->callback([env, o, exit_code] { *exit_code = RunRun(*env, *o); });

  auto id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* resume = app.add_subcommand("resume", "Continue an execution whose process died");
  resume->add_option("EXEC", *id, "Execution id")->required();
  resume->add_option("--outputs", *out, "Write the outputs here as a LiteralMap");
  resume->callback([env, id, out, exit_code] { *exit_code = RunResume(*env, *id, *out); });
}

}  // namespace flytecpp::cli
