// Preparing a process attempt (process_attempt.h): its directories, copilot
// inputs, templating, environment, secrets and sandbox.
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cgroup.h"
#include "copilot.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/util/find_program.h"
#include "flytecpp/util/process.h"
#include "flytecpp/util/text.h"
#include "flyteidl/core/errors.pb.h"
#include "gpu.h"
#include "input_paths.h"
#include "output_pump.h"
#include "pod.h"
#include "process_attempt.h"
#include "python_env.h"
#include "reactor.h"
#include "sandbox.h"
#include "sandbox_helper.h"
#include "spawn.h"
#include "template.h"

namespace flytecpp::runtime::internal {

namespace fs = std::filesystem;

namespace {

std::string Sanitized(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "a" + out;
  return out;
}

// The template variables of an attempt (flyte-executor.md §6.1).
TemplateVars VarsFor(const AttemptSpec& spec, const std::string& raw) {
  const std::string data_dir = spec.data_dir.string();
  TemplateVars vars;
  vars.input = data_dir + "/inputs.pb";
  vars.input_prefix = data_dir;
  vars.output_prefix = spec.output_dir.string();
  vars.raw_output_prefix = raw;
  vars.checkpoint_output_prefix = raw + "/_flytecheckpoints";
  if (spec.id.attempt > 0) {
    vars.prev_checkpoint_prefix =
        data_dir + "/" + std::to_string(spec.id.attempt - 1) + "/raw/_flytecheckpoints";
  }
  vars.per_retry_unique_key = Sanitized(spec.id.execution_id + "-" + spec.id.node_path + "-" +
                                        std::to_string(spec.id.attempt));
  vars.task_template_path = data_dir + "/task.pb";
  vars.namespace_ = "flytecpp";
  vars.inputs = spec.inputs.get();
  return vars;
}

// A container's environment: clean, plus Flyte's variables, the runtime's
// (`shared`) and its own.
std::vector<std::pair<std::string, std::string>> TaskEnvironment(
    const AttemptSpec& spec, const std::vector<std::pair<std::string, std::string>>& shared,
    const std::vector<std::pair<std::string, std::string>>& own) {
  const core::TaskTemplate& task = *spec.task;
  std::vector<std::pair<std::string, std::string>> env = {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", "/tmp"},
      {"LANG", "C.UTF-8"},
      {"FLYTE_INTERNAL_EXECUTION_ID", spec.id.execution_id},
      {"FLYTE_INTERNAL_EXECUTION_PROJECT", spec.project},
      {"FLYTE_INTERNAL_EXECUTION_DOMAIN", spec.domain},
      {"FLYTE_INTERNAL_EXECUTION_WORKFLOW", spec.workflow},
      {"FLYTE_ATTEMPT_NUMBER", std::to_string(spec.id.attempt)},
      {"FLYTE_INTERNAL_TASK_PROJECT", task.id().project()},
      {"FLYTE_INTERNAL_TASK_DOMAIN", task.id().domain()},
      {"FLYTE_INTERNAL_TASK_NAME", task.id().name()},
      {"FLYTE_INTERNAL_TASK_VERSION", task.id().version()},
  };
  if (spec.array_index >= 0) {  // an array element picks its input by index, as in Flyte
    env.emplace_back("FLYTE_K8S_ARRAY_INDEX", std::to_string(spec.array_index));
    env.emplace_back("BATCH_JOB_ARRAY_INDEX_VAR_NAME", "FLYTE_K8S_ARRAY_INDEX");
  }
  env.insert(env.end(), shared.begin(), shared.end());
  env.insert(env.end(), own.begin(), own.end());
  return env;
}

// A container task as the one container of a pod.
PodContainer FromContainer(const core::TaskTemplate& task) {
  const core::Container& c = task.container();
  PodContainer out;
  out.name = "primary";
  out.image = c.image();
  out.command.assign(c.command().begin(), c.command().end());
  out.command.insert(out.command.end(), c.args().begin(), c.args().end());
  for (const auto& kv : c.env()) out.env.emplace_back(kv.key(), kv.value());
  for (const auto& l : c.resources().limits()) {
    if (l.name() == core::Resources::MEMORY) out.memory = QuantityBytes(l.value());
    if (l.name() == core::Resources::CPU) out.cpu = QuantityCores(l.value());
  }
  // GPUs cannot be overcommitted: a request is as good as a limit (the limit wins).
  for (const auto* list : {&c.resources().requests(), &c.resources().limits()}) {
    for (const auto& r : *list) {
      if (r.name() == core::Resources::GPU) {
        out.gpus = static_cast<int64_t>(QuantityCores(r.value()).value_or(0));
      }
    }
  }
  return out;
}

template <typename T>
std::optional<T> PodLimit(const PodPlan& pod, std::optional<T> PodContainer::*limit) {
  T sum{};
  for (const auto& c : pod.containers) {
    if (!(c.*limit)) return std::nullopt;
    sum += *(c.*limit);
  }
  for (const auto& c : pod.init_containers) {
    if (c.*limit && *(c.*limit) > sum) sum = *(c.*limit);
  }
  return sum;
}

// The device binds that give a sandbox `gpus` (as /dev/nvidia<N>) and the
// control devices a GPU process needs.
std::vector<std::pair<std::string, std::string>> GpuBinds(const std::vector<GpuDevice>& gpus) {
  std::vector<std::pair<std::string, std::string>> binds;
  if (gpus.empty()) return binds;
  for (const auto& d : gpus) {
    binds.emplace_back(d.path, "/dev/" + fs::path(d.path).filename().string());
  }
  for (const auto& d : GpuControlDevices()) binds.emplace_back(d, d);
  return binds;
}

// `s` as one word for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

}  // namespace

// What the containers of one attempt share while they are prepared.
struct PodContext {
  const AttemptSpec& spec;
  const TemplateVars& vars;
  const Launch& launch;
  const std::vector<internal::GpuDevice>& gpus;
  std::string data_dir, out_dir;
  std::string in_path, out_path, host_in;  // copilot: inside, and the inputs' host directory
  std::string secrets_dir;
  bool single = true;    // one container: no sandbox around the pod
  bool network = false;  // the task may reach the network
};

// One container, ready to start.
struct ContainerLaunch {
  std::vector<std::string> command;
  std::vector<std::string> sandbox;  // bwrap and its options, without "--"; empty unsandboxed
  std::optional<internal::SandboxSpec> sandbox_spec;  // what `sandbox` makes
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;
};

Result<PodPlan> PodOf(const core::TaskTemplate& task) {
  if (!task.has_k8s_pod()) {
    PodPlan pod;
    pod.containers.push_back(FromContainer(task));
    return pod;
  }
  std::string primary = task.k8s_pod().primary_container_name();
  if (auto it = task.config().find("primary_container_name");
      primary.empty() && it != task.config().end()) {
    primary = it->second;
  }
  return ParsePodSpec(task.k8s_pod().pod_spec(), primary);
}

int64_t GpusNeeded(const core::TaskTemplate& task, const PodPlan& pod) {
  int64_t n = 0;
  for (const auto& c : pod.containers) n += c.gpus;
  for (const auto& c : pod.init_containers) n = std::max(n, c.gpus);
  if (n == 0 && task.extended_resources().has_gpu_accelerator()) n = 1;
  return n;
}

// The pod's limits, as Kubernetes sizes a pod: the containers' sum (when
// each has one), or the largest init container's if that is more.

// The attempt's directories that hold secrets (their files, a pod's
// containers' environments) and its copies of its inputs: removed when the
// attempt ends, however it ends.
constexpr const char* kPrivateDirs[] = {"secrets", ".pod", kInputCopiesDir};

void RemovePrivateDirs(const std::string& out_dir) {
  std::error_code ec;
  for (const char* d : kPrivateDirs) fs::remove_all(out_dir + "/" + d, ec);
}

const ImageMapping* AttemptPreparer::ImageFor(const std::string& image) const {
  for (const auto& m : options.images) {
    if (fnmatch(m.pattern.c_str(), image.c_str(), 0) == 0) return &m;
  }
  return nullptr;
}

// Everything needed to start an attempt's process.
std::variant<Launch, TaskError> AttemptPreparer::Prepare(const AttemptSpec& spec,
                                                         const PodPlan& pod,
                                                         const std::vector<GpuDevice>& gpus) const {
  const core::TaskTemplate& task = *spec.task;
  Launch launch;
  const std::string data_dir = spec.data_dir.string();
  const std::string out_dir = spec.output_dir.string();
  launch.out_dir = out_dir;
  launch.raw = out_dir + "/raw";
  std::error_code ec;
  // The node's data directory is bound into the sandbox; an array element's
  // attempt directory is not inside it.
  fs::create_directories(data_dir, ec);
  fs::create_directories(out_dir + "/work", ec);
  for (const auto& v : pod.empty_dirs) fs::create_directories(out_dir + "/volumes/" + v, ec);
  if (ec)
    return Failure("RuntimeStartFailed", out_dir + ": " + ec.message(), true,
                   core::ExecutionError::SYSTEM);

  const bool single = pod.init_containers.empty() && pod.containers.size() == 1;
  if (!single && !options.sandbox) {
    return Failure("BadTaskSpecification",
                   "a pod with init containers or sidecars runs only in the sandbox (its "
                   "containers share a network namespace): run without --no-sandbox",
                   false);
  }

  // Copilot (the primary container's): inputs as files at input_path,
  // outputs read from output_path.
  const core::DataLoadingConfig& dc =
      task.has_k8s_pod() ? task.k8s_pod().data_config() : task.container().data_config();
  launch.copilot = dc.enabled();
  const std::string in_path = dc.input_path().empty() ? "/var/flyte/inputs" : dc.input_path();
  const std::string out_path = dc.output_path().empty() ? "/var/flyte/outputs" : dc.output_path();
  const std::string host_in = out_dir + "/copilot/inputs";
  launch.host_out = out_dir + "/copilot/outputs";
  if (launch.copilot) {
    fs::create_directories(launch.host_out, ec);
    Status st =
        MaterializeInputs(*spec.inputs, host_in, options.sandbox ? in_path : host_in, dc.format());
    if (!st.ok()) return Failure("InputDownloadFailed", st.message(), false);
  }

  // Secrets: into every container's environment, and as files where Flyte
  // mounts them.
  const std::string secrets_dir = out_dir + "/secrets";
  auto secrets = ResolveSecrets(task, options.secrets ? &*options.secrets : nullptr,
                                options.sandbox ? kSecretMountDir : secrets_dir);
  if (!secrets.ok()) {
    return Failure(
        secrets.status().code() == StatusCode::kNotFound ? "SecretNotFound" : "SecretInvalid",
        secrets.status().message(), false);
  }
  launch.secrets = std::move(secrets).value();

  const TemplateVars vars = VarsFor(spec, launch.raw);
  // An eager task drives its sub-tasks through the server's API: it needs
  // the network as much as a task that asks for it.
  auto net = task.config().find("flytecpp.network");
  const bool network =
      task.metadata().is_eager() || (net != task.config().end() && net->second == "true");
  const PodContext ctx{spec,    vars,     launch,  gpus,        data_dir, out_dir,
                       in_path, out_path, host_in, secrets_dir, single,   network};
  if (single) {
    auto prepared = PrepareContainer(ctx, pod.containers[0], /*primary=*/true);
    if (auto* error = std::get_if<TaskError>(&prepared)) return *error;
    ContainerLaunch& c = std::get<ContainerLaunch>(prepared);
    if (c.command.empty()) {
      return Failure("FailedToBuildResource", "the container has no command", false);
    }
    launch.argv = std::move(c.sandbox);
    if (!launch.argv.empty()) launch.argv.push_back("--");
    launch.argv.insert(launch.argv.end(), c.command.begin(), c.command.end());
    launch.sandbox = std::move(c.sandbox_spec);
    launch.command = std::move(c.command);
    launch.env = std::move(c.env);
    launch.cwd = std::move(c.cwd);
  } else {
    auto command = PodCommand(ctx, pod);
    if (auto* error = std::get_if<TaskError>(&command)) return *error;
    launch.argv = std::move(std::get<std::vector<std::string>>(command));
    launch.env = {{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}};
    launch.cwd = out_dir;
  }
  launch.memory = PodLimit(pod, &PodContainer::memory);
  launch.cpu = PodLimit(pod, &PodContainer::cpu);

  // What Flyte's protocol offers a task (the raw output and checkpoint
  // directories, the task template) is made only when its command names
  // it, as flytekit's does: every file and directory is a cost per attempt,
  // and on a slow file system the largest one.
  auto named = [&](const std::string& path) {
    for (const auto& arg : launch.argv) {
      if (arg.find(path) != std::string::npos) return true;
    }
    for (const auto& [name, value] : launch.env) {
      if (value.find(path) != std::string::npos) return true;
    }
    return false;
  };
  if (named(launch.raw)) fs::create_directories(vars.checkpoint_output_prefix, ec);
  if (ec) {
    return Failure("RuntimeStartFailed", launch.raw + ": " + ec.message(), true,
                   core::ExecutionError::SYSTEM);
  }
  if (named(vars.task_template_path) && !fs::exists(vars.task_template_path, ec)) {
    (void)idl::WriteMessage(vars.task_template_path, task, idl::Format::kBinary);
  }

  // Last: nothing after this may fail and leave the files behind.
  if (!launch.secrets.files.empty()) {
    Status st = WriteSecretFiles(launch.secrets, secrets_dir);
    if (!st.ok()) {
      RemovePrivateDirs(out_dir);
      return Failure("RuntimeStartFailed", st.message(), true, core::ExecutionError::SYSTEM);
    }
  }
  return launch;
}

std::variant<ContainerLaunch, TaskError> AttemptPreparer::PrepareContainer(const PodContext& ctx,
                                                                           const PodContainer& c,
                                                                           bool primary) const {
  const Launch& launch = ctx.launch;
  ContainerLaunch out;
  for (const std::string& part : c.command) {
    auto rendered = RenderTemplate(part, ctx.vars);
    if (!rendered.ok()) {
      return Failure("FailedToBuildResource",
                     (ctx.single ? "" : "container " + c.name + ": ") + rendered.status().message(),
                     false);
    }
    std::string arg = std::move(rendered).value();
    if (primary && launch.copilot && !options.sandbox) {
      // Unsandboxed, the declared paths do not exist: the command is
      // pointed at the host directories instead.
      ReplaceAll(&arg, ctx.in_path, ctx.host_in);
      ReplaceAll(&arg, ctx.out_path, launch.host_out);
    }
    out.command.push_back(std::move(arg));
  }
  out.env = TaskEnvironment(ctx.spec, shared_env.Get(), c.env);
  for (const auto& kv : launch.secrets.env) out.env.push_back(kv);
  const ImageMapping* image = ImageFor(c.image);
  // flytekit's entrypoints run in a Python environment: the image's, else
  // the runtime's; its bin/ first on PATH.
  const fs::path* python = nullptr;
  std::string code_dir;  // a fast-registered task's code, unpacked
  if (!out.command.empty() && IsFlytekitEntrypoint(out.command[0])) {
    python = image != nullptr && !image->python.empty() ? &image->python
             : this->python                             ? &*this->python
                                                        : nullptr;
    const std::string& program = out.command[0];
    if (python == nullptr) {
      return Failure("PythonEnvironmentNotFound",
                     "image \"" + c.image + "\" has no Python environment to run " + program +
                         ": map the image to one in config.yaml (images: - image: \"" + c.image +
                         "\" python: /path/to/venv) or put flytekit's " + program +
                         " on flytecpp's PATH",
                     false, core::ExecutionError::SYSTEM);
    }
    if (std::string bad = CheckPythonEnvironment(*python, program); !bad.empty()) {
      return Failure("PythonEnvironmentNotFound", "image \"" + c.image + "\": " + bad, false,
                     core::ExecutionError::SYSTEM);
    }
    for (auto& [k, v] : out.env) {
      if (k == "PATH") v = (*python / "bin").string() + ":" + v;
    }
    auto fast = PrepareFastExecute(out.command);
    if (!fast.ok()) {
      return Failure("CodeBundleNotFound", fast.status().message(),
                     fast.status().code() != StatusCode::kNotFound, core::ExecutionError::SYSTEM);
    }
    if (*fast) {  // its code unpacked: the task's own command, started at once
      out.command = std::move((*fast)->command);
      code_dir = std::move((*fast)->code_dir);
      auto path = std::find_if(out.env.begin(), out.env.end(),
                               [](const auto& kv) { return kv.first == "PYTHONPATH"; });
      if (path == out.env.end()) {
        out.env.emplace_back("PYTHONPATH", code_dir);
      } else {
        path->second += ":" + code_dir;
      }
      if (std::string bad = CheckPythonEnvironment(*python, out.command[0]); !bad.empty()) {
        return Failure("PythonEnvironmentNotFound", "image \"" + c.image + "\": " + bad, false,
                       core::ExecutionError::SYSTEM);
      }
    } else {
      RewriteFastExecuteDestDir(&out.command, ctx.out_dir + "/work");
    }
  }
  // The attempt's GPUs, to the containers that asked for them.
  const bool uses_gpus = !ctx.gpus.empty() && (c.gpus > 0 || ctx.single);
  if (uses_gpus) {
    std::string visible;
    for (const auto& d : ctx.gpus)
      visible += (visible.empty() ? "" : ",") + std::to_string(d.index);
    out.env.emplace_back("CUDA_VISIBLE_DEVICES", visible);
    out.env.emplace_back("NVIDIA_VISIBLE_DEVICES", visible);
  }
  std::string workdir = !c.working_dir.empty()                        ? c.working_dir
                        : image != nullptr && !image->workdir.empty() ? image->workdir
                                                                      : ctx.out_dir + "/work";
  if (!options.sandbox) {
    // Unsandboxed, a workdir that is a mount target is that host directory.
    if (image != nullptr) {
      for (const auto& [host, inside] : image->mounts) {
        if (inside == workdir) workdir = host.string();
      }
    }
    out.cwd = workdir;
    return out;
  }
  SandboxSpec sandbox;
  if (image != nullptr) sandbox.root = image->root;
  sandbox.data_dir = ctx.data_dir;
  sandbox.out_dir = ctx.out_dir;
  sandbox.workdir = workdir;
  // A pod's containers share the pod's network namespace (made by the
  // sandbox around them all).
  sandbox.network = ctx.single ? ctx.network : true;
  if (primary && launch.copilot) {
    sandbox.ro_binds.emplace_back(ctx.host_in, ctx.in_path);
    sandbox.rw_binds.emplace_back(launch.host_out, ctx.out_path);
  }
  if (image != nullptr) {
    for (const auto& [host, inside] : image->mounts) {
      sandbox.ro_binds.emplace_back(host.string(), inside);
    }
  }
  // An image root of its own does not hold the host's Python environment.
  if (python != nullptr && image != nullptr && image->root != "/") {
    sandbox.ro_binds.emplace_back(python->string(), python->string());
  }
  // What the task reads outside its node: its code bundle, and the files
  // its inputs name (an upstream task's outputs), each read-only.
  if (!code_dir.empty()) sandbox.ro_binds.emplace_back(code_dir, code_dir);
  if (python != nullptr) {  // a bundle pyflyte-fast-execute fetches itself
    if (std::string code = FastExecuteDistribution(out.command); !code.empty()) {
      std::error_code ec;
      if (fs::exists(code, ec)) sandbox.ro_binds.emplace_back(code, code);
    }
  }
  if (primary && ctx.spec.inputs != nullptr) {
    Status shown = ShowInputPaths(*ctx.spec.inputs, options.data_dir.string(),
                                  ctx.out_dir + "/" + kInputCopiesDir, &sandbox);
    if (!shown.ok()) {
      return Failure("InputDownloadFailed", shown.message(), true, core::ExecutionError::SYSTEM);
    }
  }
  for (const auto& m : c.mounts) {
    const std::string host = ctx.out_dir + "/volumes/" + m.volume;
    (m.read_only ? sandbox.ro_binds : sandbox.rw_binds).emplace_back(host, m.mount_path);
  }
  if (!launch.secrets.files.empty()) {
    sandbox.ro_binds.emplace_back(ctx.secrets_dir, kSecretMountDir);
  }
  if (uses_gpus) sandbox.dev_binds = GpuBinds(ctx.gpus);
  out.sandbox = SandboxArgv(options.bwrap, sandbox);
  out.sandbox.pop_back();  // "--"
  out.sandbox_spec = std::move(sandbox);
  out.cwd = ctx.out_dir;
  return out;
}

// A pod of several containers: a sandbox around them all (the pod's own
// network and pid namespaces, the host's root read-only) runs a script that
// starts each container in a sandbox of its own. A container's bwrap
// options — its environment, secrets included — are read from a private
// file (`bwrap --args`), never its command line.
std::variant<std::vector<std::string>, TaskError> AttemptPreparer::PodCommand(
    const PodContext& ctx, const PodPlan& pod) const {
  const std::string pod_dir = ctx.out_dir + "/.pod";
  std::error_code ec;
  fs::create_directories(pod_dir, ec);
  ::chmod(pod_dir.c_str(), 0700);
  auto system_error = [](const Status& st) {
    return Failure("RuntimeStartFailed", st.message(), true, core::ExecutionError::SYSTEM);
  };
  // The script's line that starts container `c`.
  auto start = [&](const PodContainer& c, bool primary) -> std::variant<std::string, TaskError> {
    auto prepared = PrepareContainer(ctx, c, primary);
    if (auto* error = std::get_if<TaskError>(&prepared)) return *error;
    const ContainerLaunch& cl = std::get<ContainerLaunch>(prepared);
    std::string args;
    for (size_t i = 1; i < cl.sandbox.size(); ++i) args += cl.sandbox[i] + '\0';
    args += std::string("--clearenv") + '\0';
    for (const auto& [k, v] : cl.env) args += "--setenv" + ('\0' + k) + '\0' + v + '\0';
    const std::string args_file = pod_dir + "/" + c.name + ".args";
    if (Status st = WritePrivateFile(args_file, args); !st.ok()) return system_error(st);
    std::string line = ShellQuote(cl.sandbox[0]) + " --args 3 --";
    for (const auto& part : cl.command) line += " " + ShellQuote(part);
    line += " 3<" + ShellQuote(args_file);
    if (!primary) {  // the primary's output is the attempt's
      line += " >" + ShellQuote(ctx.out_dir + "/" + c.name + ".stdout.log") + " 2>" +
              ShellQuote(ctx.out_dir + "/" + c.name + ".stderr.log");
    }
    return line;
  };
  std::string script = "# flytecpp: the pod of " + ctx.spec.task->id().name() + "\n";
  for (const auto& c : pod.init_containers) {
    auto line = start(c, false);
    if (auto* error = std::get_if<TaskError>(&line)) return *error;
    // Each must succeed before the next starts; the first to fail ends the pod.
    script += std::get<std::string>(line) + " || { echo \"$?\" > " +
              ShellQuote(ctx.out_dir + "/" + kInitFailedPrefix + c.name) + "; exit 1; }\n";
  }
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    if (i == pod.primary) continue;
    auto line = start(pod.containers[i], false);
    if (auto* error = std::get_if<TaskError>(&line)) return *error;
    script += std::get<std::string>(line) + " &\nsidecar" + std::to_string(i) + "=$!\n";
  }
  auto primary = start(pod.containers[pod.primary], true);
  if (auto* error = std::get_if<TaskError>(&primary)) return *error;
  script += std::get<std::string>(primary) + "\nstatus=$?\n";
  // The sidecars stop when the primary ends; its status is the pod's.
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    if (i != pod.primary) script += "kill $sidecar" + std::to_string(i) + " 2>/dev/null\n";
  }
  script += "exit $status\n";
  const std::string script_file = pod_dir + "/pod.sh";
  if (Status st = WritePrivateFile(script_file, script); !st.ok()) return system_error(st);

  std::vector<std::string> argv = {options.bwrap, "--die-with-parent", "--unshare-pid",
                                   "--unshare-ipc"};
  if (!ctx.network) argv.push_back("--unshare-net");
  argv.insert(argv.end(), {"--ro-bind", "/", "/", "--dev", "/dev"});
  // The containers' sandboxes bind the GPUs from here.
  for (const auto& [host, inside] : GpuBinds(ctx.gpus)) {
    argv.insert(argv.end(), {"--dev-bind", host, host});
  }
  argv.insert(argv.end(), {"--proc", "/proc", "--bind", ctx.out_dir, ctx.out_dir, "--", "/bin/sh",
                           script_file});
  return argv;
}

}  // namespace flytecpp::runtime::internal
