// flytecpp run INPUT:  compile, register and run a workflow (or one task).
// flytecpp resume EXEC: continue an execution no live engine runs.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <iostream>
#include <set>

#include "admin_client.h"
#include "commands.h"
#include "engine_env.h"
#include "flytecpp/compiler/sources.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/nodes.h"
#include "flytecpp/store/registry_rows.h"
#include "flytecpp/util/text.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "python_source.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

namespace {

struct RunOptions {
  std::string input;
  std::string entity;  // the workflow or task, as pyflyte run names it
  std::string workflow;
  std::string task;
  std::vector<std::string> inputs;  // k=v
  std::string inputs_file;
  std::string outputs_file;
  std::string exec_id;
  int max_parallelism = -1;  // -1: the launch plan's (else no limit)
  std::string detach;        // "", "gates" (--detach) or "now" (--detach=now)
  bool overwrite_cache = false;
  AdminArgs remote;     // --server: register the package there and run it there
  std::string version;  // of what is registered (default: from the package's bytes)
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
  t.mutable_id()->set_project(task.id().project());
  t.mutable_id()->set_domain(task.id().domain());
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

// Parses `--input k=v` values by the declared input types; they override
// an `--inputs` file.
Status ParseInputs(const RunOptions& o, const core::TypedInterface& iface, core::LiteralMap* out) {
  if (!o.inputs_file.empty()) {
    FLYTECPP_RETURN_IF_ERROR(idl::ReadMessage(o.inputs_file, out));
  }
  const auto& vars = iface.inputs().variables();
  std::set<std::string> seen;
  for (const std::string& kv : o.inputs) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument("--input " + kv + ": expected name=value");
    }
    std::string name = kv.substr(0, eq);
    if (!seen.insert(name).second) {
      return InvalidArgument("--input " + name + " is given more than once");
    }
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

// Registers, in the store, every launch plan `closure` runs through
// launch-plan nodes (and those their workflows run), each compiled with the
// workflow it launches: the engine resolves them from there, so a resumed
// execution finds them too.
Status RegisterLaunchPlans(store::Store& store, const compiler::WorkflowSources& sources,
                           const core::CompiledWorkflowClosure& closure,
                           std::set<std::string>* done) {
  std::vector<const core::Node*> nodes;
  auto collect = [&](const core::Node& n) { nodes.push_back(&n); };
  idl::ForEachNode(closure.primary().template_(), collect);
  for (const auto& sw : closure.sub_workflows()) idl::ForEachNode(sw.template_(), collect);
  for (const core::Node* n : nodes) {
    if (!n->has_workflow_node() || !n->workflow_node().has_launchplan_ref()) continue;
    const core::Identifier& id = n->workflow_node().launchplan_ref();
    const std::string key = idl::IdentifierString(id);
    if (!done->insert(key).second) continue;
    const flyteidl::admin::LaunchPlan* lp = nullptr;
    for (const auto& l : sources.launch_plans) {
      if (idl::IdentifierString(l.id()) == key) lp = &l;
    }
    if (lp == nullptr) return NotFound("launch plan " + key + " is not in the package");
    FLYTECPP_ASSIGN_OR_RETURN(const compiler::WorkflowSources::Entry* entry,
                              compiler::FindWorkflow(sources, lp->spec().workflow_id().name()));
    FLYTECPP_ASSIGN_OR_RETURN(core::CompiledWorkflowClosure compiled,
                              compiler::CompileFromSources(sources, *entry));
    const engine::LaunchPlanTarget target = engine::TargetOf(lp->spec(), std::move(compiled));
    FLYTECPP_RETURN_IF_ERROR(engine::RegisterLaunchPlan(store, id, target));
    FLYTECPP_RETURN_IF_ERROR(RegisterLaunchPlans(store, sources, target.closure, done));
  }
  return Status::Ok();
}

int Report(const Result<engine::ExecutionResult>& result, const std::string& outputs_file) {
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

// Before anything runs: tasks that will run as processes need the sandbox.
Status CheckProcessTasks(const EngineEnv& e, const core::CompiledWorkflowClosure& closure) {
  for (const auto& t : closure.tasks()) {
    if (RunsSandboxed(e, t.template_())) return e.process->CheckSandbox();
  }
  return Status::Ok();
}

// --detach: record the execution, run what can run, and return once only
// gates can move it on (or at once, nothing run, with --detach=now).
int Detach(EngineEnv& e, engine::ExecutionRequest request, const std::string& outputs_file) {
  const bool now = request.hold;
  auto id = e.engine->Submit(std::move(request));
  if (!id.ok()) return Fail(id.status(), kExitBadInput);
  if (now) {
    std::cout << "execution " << *id << " recorded; flytecpp resume " << *id << " runs it\n";
    return kExitOk;
  }
  Result<std::optional<engine::ExecutionResult>> blocked = Internal("not run");
  {
    ProgressLine progress(*e.engine, *id, {});
    blocked = e.engine->WaitUntilBlocked(*id);
  }
  if (!blocked.ok()) return Fail(blocked.status(), kExitBadInput);
  if (blocked->has_value()) return Report(**blocked, outputs_file);  // it ended
  std::cout << "execution " << *id << " waits at its gates";
  auto signals = e.engine->Signals(*id);
  std::string commands;
  for (const auto& s : signals.ok() ? *signals : std::vector<engine::SignalState>{}) {
    if (!s.waiting) continue;
    Gate gate;
    gate.kind = s.type.simple() == core::BOOLEAN ? Gate::Kind::kApprove : Gate::Kind::kSignal;
    gate.signal_id = s.signal_id;
    gate.type = s.type;
    commands += "  " + ReleaseCommand(*id, gate) + "\n";
  }
  std::cout << (commands.empty() ? " (sleeping)\n" : "; release them with:\n" + commands);
  std::cout << "then: flytecpp resume " << *id << "\n";
  return kExitOk;
}

// The first 8 bytes of `bytes`' SHA-256, in hex, after "fc-".
std::string HashVersion(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return "fc-" + HexOf(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

// The package's version on a server: given, else from its bytes (the same
// package registers once; a changed one under a new version).
Result<std::string> PackageVersion(const RunOptions& o) {
  if (!o.version.empty()) return o.version;
  FLYTECPP_ASSIGN_OR_RETURN(std::string bytes, idl::ReadFileBytes(o.input));
  return HashVersion(bytes);
}

// A local run's entities get a project, domain and version where they have
// none, as registering gives them, so that the console reads an execution's
// workflow back by the id it names. The version: --version, else a hash of
// what runs (any input kind, not only packages).
void HydrateLocal(const RunOptions& o, compiler::WorkflowSources* sources) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    for (const auto& t : sources->tasks) t.SerializeToCodedStream(&out);
    for (const auto& w : sources->workflows) {
      w.workflow.SerializeToCodedStream(&out);
      for (const auto& sub : w.sub_workflows) sub.SerializeToCodedStream(&out);
    }
    for (const auto& lp : sources->launch_plans) lp.SerializeToCodedStream(&out);
  }
  const std::string version = o.version.empty() ? HashVersion(bytes) : o.version;
  bool missing_version = false;  // cannot be: the version is never empty
  for (auto& t : sources->tasks) Hydrate(&t, o.remote, version, &missing_version);
  for (auto& w : sources->workflows) {
    Hydrate(&w.workflow, o.remote, version, &missing_version);
    for (auto& sub : w.sub_workflows) Hydrate(&sub, o.remote, version, &missing_version);
  }
  for (auto& lp : sources->launch_plans) Hydrate(&lp, o.remote, version, &missing_version);
}

// A package's fast-registration code goes into the store's data directory
// (its name holds its digest: written once), and its tasks are pointed at it
// as `flytectl register files` points them at the upload.
Status PlaceSourceBundle(const CliEnv& env, const std::string& input,
                         compiler::WorkflowSources* sources) {
  if (sources->bundles.empty()) return Status::Ok();
  if (sources->bundles.size() > 1) {
    return InvalidArgument(input + ": " + std::to_string(sources->bundles.size()) +
                           " fast-registration source bundles; a package holds one");
  }
  const idl::SourceBundle& bundle = sources->bundles[0];
  const std::filesystem::path dir = StoreDir(env) / "data" / "fast";
  const std::filesystem::path file = dir / std::filesystem::path(bundle.entry).filename();
  std::error_code ec;
  if (std::filesystem::file_size(file, ec) != bundle.bytes.size() || ec) {
    std::filesystem::create_directories(dir, ec);
    FLYTECPP_RETURN_IF_ERROR(idl::WriteFileAtomic(file, bundle.bytes));
  }
  for (auto& t : sources->tasks) idl::FillFastRegistration(&t, "file://" + file.string(), ".");
  return Status::Ok();
}

// " --project P --domain D" where `id`'s differ from what the command was
// given: what a later command needs to find what `id` names.
std::string ScopeFlags(const core::Identifier& id, const AdminArgs& given) {
  std::string out;
  if (id.project() != given.project) out += " --project " + id.project();
  if (id.domain() != given.domain) out += " --domain " + id.domain();
  return out;
}

// run --server: registers the package with the server, launches the
// workflow's launch plan (or the task) there, and waits for it as a local
// run does (--detach: returns once it is created).
int RunOnServer(const CliEnv& env, const RunOptions& o, const compiler::WorkflowSources& sources,
                const compiler::WorkflowSources::Entry& entry,
                const engine::ExecutionRequest& request) {
  if (!idl::IsPackagePath(o.input)) {
    return Fail(InvalidArgument(o.input + ": run --server runs a pyflyte package (.tgz, .tar.gz, "
                                          ".tar)"),
                kExitBadInput);
  }
  if (o.detach == "now") {
    return Fail(InvalidArgument("--detach=now with --server: the server starts what it creates; "
                                "use --detach"),
                kExitBadInput);
  }
  auto package = idl::ReadPackage(o.input);
  if (!package.ok()) return Fail(package.status(), kExitBadInput);
  auto version = PackageVersion(o);
  if (!version.ok()) return Fail(version.status(), kExitBadInput);
  auto client = AdminClient::Open(env, o.remote);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  int registered = 0;
  Status st =
      (*client)->Register(std::move(package).value(), *version, o.input,
                          [&](const std::string&, bool existed) { registered += !existed; });
  if (!st.ok()) {
    return Fail(st, st.code() == StatusCode::kFailedPrecondition ? kExitFailed : kExitBadInput);
  }
  // What to launch: the task itself, or the workflow's launch plan, under
  // the id registration gave it (its own project, domain and version where
  // the package names them; else --project/--domain and the version).
  core::Identifier target;
  if (!o.task.empty()) {
    target = entry.workflow.id();  // the task's (WorkflowForTask)
    target.set_resource_type(core::TASK);
  } else {
    for (const auto& lp : sources.launch_plans) {
      if (lp.spec().workflow_id().name() == entry.workflow.id().name()) {
        target = lp.id();
        break;
      }
    }
    if (target.name().empty()) {
      return Fail(
          NotFound(o.input + ": no launch plan runs workflow " + entry.workflow.id().name()),
          kExitBadInput);
    }
    target.set_resource_type(core::LAUNCH_PLAN);
  }
  bool missing_version = false;  // cannot be: the version is never empty
  Hydrate(&target, o.remote, *version, &missing_version);
  // The execution lives where what it runs is registered.
  admin::ExecutionCreateRequest create;
  create.set_project(target.project());
  create.set_domain(target.domain());
  create.set_name(o.exec_id);
  *create.mutable_spec()->mutable_launch_plan() = target;
  if (o.max_parallelism >= 0) create.mutable_spec()->set_max_parallelism(o.max_parallelism);
  create.mutable_spec()->set_overwrite_cache(o.overwrite_cache);
  *create.mutable_inputs() = request.inputs;
  auto created = (*client)->api().CreateExecution(create);
  if (!created.ok()) return Fail(created.status(), kExitBadInput);
  const std::string& name = created->id().name();
  std::cerr << "flytecpp: " << o.input << " (" << *version << "): " << registered
            << " entities registered on " << o.remote.server << "; execution " << name << "\n";
  if (!o.detach.empty()) {
    std::cout << "execution " << name << " created on " << o.remote.server
              << "; flytecpp executions get " << name << " --server " << o.remote.server
              << ScopeFlags(target, o.remote) << " shows it\n";
    return kExitOk;
  }
  AdminArgs where = o.remote;
  where.project = target.project();
  where.domain = target.domain();
  auto waiter = AdminClient::Open(env, where);
  if (!waiter.ok()) return Fail(waiter.status(), kExitBadInput);
  auto ended = (*waiter)->WaitForEnd(name);
  if (!ended.ok()) return Fail(ended.status(), kExitFailed);
  auto data = (*waiter)->GetExecutionData(name);
  if (!data.ok()) return Fail(data.status(), kExitFailed);
  engine::ExecutionResult result;
  result.execution_id = name;
  result.phase = ended->closure().phase();
  if (data->has_full_outputs()) result.outputs = data->full_outputs();
  if (ended->closure().has_error()) result.error = ended->closure().error();
  return Report(result, o.outputs_file);
}

// A Python module: packaged by the user's flytekit into a temporary folder,
// read, and the folder removed.
Result<compiler::WorkflowSources> LoadPythonSource(const std::string& file) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir_pattern =
      (tmp != nullptr && *tmp != '\0' ? std::string(tmp) : "/tmp") + "/flytecpp-run-XXXXXX";
  std::vector<char> buf(dir_pattern.begin(), dir_pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return Internal("mkdtemp: " + std::string(strerror(errno)));
  const std::filesystem::path dir = buf.data();
  Status packaged = PackagePythonSource(file, dir / "package.tgz");
  auto loaded = packaged.ok() ? compiler::LoadWorkflowSources(dir / "package.tgz", {})
                              : Result<compiler::WorkflowSources>(packaged);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return loaded;
}

int RunRun(const CliEnv& env, RunOptions o) {
  if (!o.entity.empty()) {
    if (!o.workflow.empty() || !o.task.empty()) {
      return Fail(InvalidArgument("run: name the workflow either as " + o.entity +
                                  " or with --workflow/--task, not both"),
                  kExitBadInput);
    }
  }
  if (!o.exec_id.empty()) {
    if (Status st = engine::CheckExecutionName(o.exec_id); !st.ok()) {
      return Fail(st.WithContext("--exec-id"), kExitBadInput);
    }
  }
  const bool python = IsPythonSource(o.input);
  auto loaded = python ? LoadPythonSource(o.input) : compiler::LoadWorkflowSources(o.input, {});
  if (!loaded.ok()) return Fail(loaded.status(), kExitBadInput);
  compiler::WorkflowSources sources = std::move(loaded).value();
  if (!o.entity.empty()) {  // a workflow of that name, else a task (as pyflyte run)
    auto workflow = compiler::FindWorkflow(sources, o.entity);
    if (workflow.ok() || workflow.status().code() != StatusCode::kNotFound) {
      o.workflow = o.entity;  // found, or ambiguous (said below)
    } else if (FindTask(sources, o.entity).ok()) {
      o.task = o.entity;
    } else {
      return Fail(NotFound(o.input + ": no workflow or task named \"" + o.entity + "\""),
                  kExitBadInput);
    }
  }
  if (o.remote.server.empty()) {
    Status placed = PlaceSourceBundle(env, o.input, &sources);
    if (!placed.ok()) return Fail(placed, kExitBadInput);
    HydrateLocal(o, &sources);
  }
  const compiler::WorkflowSources::Entry* entry = nullptr;
  if (!o.task.empty()) {
    auto task = FindTask(sources, o.task);
    if (!task.ok()) return Fail(task.status().WithContext(o.input), kExitBadInput);
    sources.workflows.push_back({WorkflowForTask(**task), {}});
    entry = &sources.workflows.back();
  } else {
    auto found = compiler::FindWorkflow(sources, o.workflow);
    if (!found.ok()) return Fail(found.status().WithContext(o.input), kExitBadInput);
    entry = *found;
  }
  std::vector<compiler::CompileError> errors;
  auto closure = compiler::CompileFromSources(sources, *entry, &errors);
  if (!closure.ok()) {
    std::cerr << "flytecpp: workflow " << entry->workflow.id().name() << ": " << errors.size()
              << " compile errors\n";
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    return kExitBadInput;
  }
  engine::ExecutionRequest request;
  // The workflow's launch plan in the package supplies defaults, fixed
  // inputs and parallelism.
  for (const auto& lp : sources.launch_plans) {
    if (lp.spec().workflow_id().name() != entry->workflow.id().name()) continue;
    engine::UseLaunchPlan(engine::TargetOf(lp.spec(), {}), &request);
    break;
  }
  Status st = ParseInputs(o, closure->primary().template_().interface(), &request.inputs);
  if (!st.ok()) return Fail(st, kExitBadInput);
  if (o.max_parallelism >= 0) request.max_parallelism = o.max_parallelism;
  request.overwrite_cache = o.overwrite_cache;
  if (!o.remote.server.empty()) return RunOnServer(env, o, sources, *entry, request);
  // Recorded under a project and domain (flytesnacks/development unless
  // given), so the console lists local runs beside what the API launched.
  request.project = o.remote.project;
  request.domain = o.remote.domain;
  auto made = MakeEngineEnv(env);
  if (!made.ok()) return Fail(made.status(), kExitBadInput);
  EngineEnv& e = **made;
  st = CheckProcessTasks(e, *closure);
  if (!st.ok()) return Fail(st, kExitBadInput);
  // What runs, registered as compiled: the console reads an execution's
  // workflow and tasks back by the ids it names. Versions are immutable: an
  // id taken by something else keeps it (a local run's versions are hashes
  // of what runs, unless --version is given).
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& t : closure->tasks()) {
    (void)e.store->RegisterEntity(store::TaskRow(t.template_(), now));
  }
  (void)e.store->RegisterEntity(store::WorkflowRow(*closure, now));
  std::set<std::string> registered;
  st = RegisterLaunchPlans(*e.store, sources, *closure, &registered);
  if (!st.ok()) return Fail(st.WithContext(o.input), kExitBadInput);
  if (env.no_sandbox) {
    std::cerr << "flytecpp: --no-sandbox: container tasks run unsandboxed on this host\n";
  }
  const std::map<std::string, Gate> gates = GatesOf(*closure);
  request.closure = std::move(closure).value();
  request.execution_id = o.exec_id.empty() ? engine::NewExecutionId() : o.exec_id;
  request.hold = o.detach == "now";
  if (!o.detach.empty()) return Detach(e, std::move(request), o.outputs_file);

  Result<engine::ExecutionResult> result = Internal("not run");
  {
    ProgressLine progress(*e.engine, request.execution_id, gates);
    auto id = e.engine->Submit(std::move(request));
    result = id.ok() ? e.engine->Wait(*id) : Result<engine::ExecutionResult>(id.status());
  }
  return Report(result, o.outputs_file);
}

int RunResume(const CliEnv& env, const std::string& exec_id, const std::string& outputs_file) {
  auto made = MakeEngineEnv(env);
  if (!made.ok()) return Fail(made.status(), kExitBadInput);
  EngineEnv& e = **made;
  // Its gates, for the progress line, through a handle of our own (the
  // engine's is its thread's).
  std::map<std::string, Gate> gates;
  if (auto reader = OpenStore(env); reader.ok()) {
    if (auto record = (*reader)->GetExecution(exec_id); record.ok())
      gates = GatesOf(record->closure);
  }
  Result<engine::ExecutionResult> result = Internal("not run");
  {
    ProgressLine progress(*e.engine, exec_id, gates);
    Status st = e.engine->Resume(exec_id);
    result = st.ok() ? e.engine->Wait(exec_id) : Result<engine::ExecutionResult>(st);
  }
  return Report(result, outputs_file);
}

}  // namespace

void RegisterRun(CLI::App& app, CliEnv* env, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  auto* run = app.add_subcommand("run", "Compile, register and run a workflow (or one task)");
  run->add_option("INPUT", o->input,
                  "A Python module (file.py: packaged by the flytekit on PATH), a pyflyte "
                  "package, or a WorkflowSpec/WorkflowClosure file")
      ->required();
  run->add_option("ENTITY", o->entity,
                  "The workflow (else the task) to run, as pyflyte run names it; the same as "
                  "--workflow or --task");
  run->add_option("--workflow", o->workflow, "The workflow to run (full or short name)");
  run->add_option("--task", o->task, "Run this task alone instead of a workflow");
  run->add_option("--input", o->inputs, "An input as name=value (value parsed by its type)");
  run->add_option("--inputs", o->inputs_file, "A LiteralMap file (.pb/.json/.yaml) of inputs");
  run->add_option("--outputs", o->outputs_file, "Write the outputs here as a LiteralMap");
  run->add_option("--exec-id", o->exec_id, "Name of the execution (default: generated)");
  run->add_option("--max-parallelism", o->max_parallelism,
                  "Task attempts of the execution running at once (0: no limit; default: the "
                  "launch plan's)")
      ->check(AtLeast(0));
  run->add_flag("--overwrite-cache", o->overwrite_cache,
                "Run cacheable tasks again and replace their cached outputs");
  run->add_flag("--detach{gates}", o->detach,
                "Return once only gates remain (printing the id; resume continues it); "
                "--detach=now: record it and return at once")
      ->check(CLI::IsMember({"gates", "now"}));
  run->add_option("--version", o->version,
                  "The version given to entities that have none (default: a hash of the package)");
  AddAdminOptions(run, &o->remote);
  run->callback([env, o, exit_code] { *exit_code = RunRun(*env, *o); });

  auto id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* resume =
      app.add_subcommand("resume", "Continue an execution no live engine runs (its runner died)");
  resume->add_option("EXEC", *id, "Execution id")->required();
  resume->add_option("--outputs", *out, "Write the outputs here as a LiteralMap");
  resume->callback([env, id, out, exit_code] { *exit_code = RunResume(*env, *id, *out); });
}

}  // namespace flytecpp::cli
