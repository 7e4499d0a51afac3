// The process runtime: a container task's command as a local process, in a
// bubblewrap sandbox (see include/flytecpp/runtime/process.h, docs/runtime.md).
// An attempt goes through Prepare (directories, copilot inputs, templating,
// environment, sandbox), Spawn (fork into the attempt's cgroup, handle
// recorded before the task runs anything) and Classify (exit status, error
// document and outputs to an outcome).
#include "flytecpp/runtime/process.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

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
#include "python_env.h"
#include "reactor.h"
#include "sandbox.h"
#include "sandbox_helper.h"
#include "spawn.h"
#include "template.h"

namespace flytecpp::runtime {

namespace fs = std::filesystem;
using internal::AttemptCgroup;
using internal::PodContainer;
using internal::PodPlan;
using internal::TemplateVars;

namespace {

constexpr const char* kHandleFile = "attempt.handle";
// Where Flyte's secret injector mounts secret files.
constexpr const char* kSecretMountDir = "/etc/flyte/secrets";
// A pod's init container that failed leaves "<out_dir>/init-failed.<name>"
// holding its exit status.
constexpr const char* kInitFailedPrefix = "init-failed.";

std::string Sanitized(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "a" + out;
  return out;
}

std::string Tail(const fs::path& file, size_t max) {
  auto text = idl::ReadFileBytes(file);
  if (!text.ok()) return "";
  std::string t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t.size() > max ? "…" + t.substr(t.size() - max) : t;
}

TaskError Failure(std::string code, std::string message, bool retryable,
                  core::ExecutionError::ErrorKind kind = core::ExecutionError::USER) {
  return TaskError{kind, std::move(code), std::move(message), retryable};
}

// An attempt's external handle: "pid=<pid> start=<ticks> cgroups=<dir>,<dir>".
struct Handle {
  pid_t pid = 0;  // also the process group
  uint64_t start = 0;
  std::vector<std::string> cgroups;

  std::string ToString() const {
    std::string out =
        "pid=" + std::to_string(pid) + " start=" + std::to_string(start) + " cgroups=";
    for (size_t i = 0; i < cgroups.size(); ++i) out += (i ? "," : "") + cgroups[i];
    return out;
  }
  static Handle Parse(const std::string& text) {
    Handle h;
    std::istringstream in(text);
    for (std::string word; in >> word;) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
      if (key == "pid") h.pid = static_cast<pid_t>(std::atol(value.c_str()));
      if (key == "start") h.start = std::strtoull(value.c_str(), nullptr, 10);
      if (key == "cgroups") {
        std::stringstream dirs(value);
        for (std::string d; std::getline(dirs, d, ',');) {
          if (!d.empty()) h.cgroups.push_back(d);
        }
      }
    }
    return h;
  }
};

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

// A container's environment: clean, plus Flyte's variables and its own.
std::vector<std::pair<std::string, std::string>> TaskEnvironment(
    const AttemptSpec& spec, const std::vector<std::pair<std::string, std::string>>& own) {
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
    if (l.name() == core::Resources::MEMORY) out.memory = internal::QuantityBytes(l.value());
    if (l.name() == core::Resources::CPU) out.cpu = internal::QuantityCores(l.value());
  }
  // GPUs cannot be overcommitted: a request is as good as a limit (the limit wins).
  for (const auto* list : {&c.resources().requests(), &c.resources().limits()}) {
    for (const auto& r : *list) {
      if (r.name() == core::Resources::GPU) {
        out.gpus = static_cast<int64_t>(internal::QuantityCores(r.value()).value_or(0));
      }
    }
  }
  return out;
}

// What an attempt runs: a pod task's PodSpec, or a container task as a pod
// of one. The primary is K8sPod's primary_container_name, else the task
// config's (as flytekit writes it).
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
  return internal::ParsePodSpec(task.k8s_pod().pod_spec(), primary);
}

// How many GPUs an attempt holds: its containers' (a pod's init containers
// run alone, so the most any of them needs counts too). An accelerator
// without a count asks for one.
int64_t GpusNeeded(const core::TaskTemplate& task, const PodPlan& pod) {
  int64_t n = 0;
  for (const auto& c : pod.containers) n += c.gpus;
  for (const auto& c : pod.init_containers) n = std::max(n, c.gpus);
  if (n == 0 && task.extended_resources().has_gpu_accelerator()) n = 1;
  return n;
}

// The pod's limits, as Kubernetes sizes a pod: the containers' sum (when
// each has one), or the largest init container's if that is more.
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
std::vector<std::pair<std::string, std::string>> GpuBinds(
    const std::vector<internal::GpuDevice>& gpus) {
  std::vector<std::pair<std::string, std::string>> binds;
  if (gpus.empty()) return binds;
  for (const auto& d : gpus) {
    binds.emplace_back(d.path, "/dev/" + fs::path(d.path).filename().string());
  }
  for (const auto& d : internal::GpuControlDevices()) binds.emplace_back(d, d);
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

// Everything needed to start an attempt's process.
struct Launch {
  std::vector<std::string> argv;  // bwrap ... -- command, or the command alone
  // A single sandboxed container: its sandbox and command, for a start
  // through the sandbox helper instead of `argv`.
  std::optional<internal::SandboxSpec> sandbox;
  std::vector<std::string> command;
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // where the (outer) process starts
  std::optional<uint64_t> memory;
  std::optional<double> cpu;
  bool copilot = false;
  std::string host_out, raw, out_dir;
  ResolvedSecrets secrets;
};

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

// Where an attempt's copies of its input files and directories are made.
constexpr const char* kInputCopiesDir = ".inputs";

// The attempt's directories that hold secrets (their files, a pod's
// containers' environments) and its copies of its inputs: removed when the
// attempt ends, however it ends.
constexpr const char* kPrivateDirs[] = {"secrets", ".pod", kInputCopiesDir};

void RemovePrivateDirs(const std::string& out_dir) {
  std::error_code ec;
  for (const char* d : kPrivateDirs) fs::remove_all(out_dir + "/" + d, ec);
}

}  // namespace

struct ProcessRuntime::Impl {
  ProcessRuntimeOptions options;
  std::mutex mu;
  std::set<uint64_t> live;                   // guarded by mu: tokens from Start to their end
  std::map<uint64_t, pid_t> running;         // guarded by mu: token -> process group, once spawned
  std::map<uint64_t, std::string> launched;  // guarded by mu: token -> launcher handle
  std::set<uint64_t> aborted;                // guarded by mu: live tokens aborted
  std::unique_ptr<internal::GpuSlots> gpus;
  std::unique_ptr<internal::SandboxHelpers> helpers;  // sandboxed runtimes only
  std::optional<fs::path> python;  // flytekit tasks' environment where no image names one

  // An attempt running as a process of this machine, followed by the reactor.
  struct Running {
    AttemptSpec spec;
    AttemptCallbacks callbacks;
    Launch launch;
    std::vector<internal::GpuDevice> gpus;
    std::unique_ptr<AttemptCgroup> cgroup;
    std::unique_ptr<internal::OutputPump> logs;
    std::optional<internal::HelperAttempt> in_helper;
    pid_t pid = -1;
    int pidfd = -1;  // a child's; -1 in the helper or without pidfd_open (polled)
    bool address_space_limited = false;
    std::vector<uint64_t> watches;
  };
  // An attempt handed to options.launcher, followed through its callbacks.
  struct Submitted {
    AttemptSpec spec;
    AttemptCallbacks callbacks;
    Launch launch;
    bool reattached = false;  // a restarted engine's: submitted by another
  };
  // Reactor thread only: what runs here, what waits for GPUs to start, and
  // what was handed to the launcher.
  std::map<uint64_t, std::unique_ptr<Running>> runs;
  std::deque<std::pair<AttemptSpec, AttemptCallbacks>> gpu_waiting;
  std::map<uint64_t, std::unique_ptr<Submitted>> submitted;
  // Shared with the launcher's callbacks, which may outlive this (what they
  // post after Stop is dropped). Stopped by ProcessRuntime's destructor
  // before the rest goes.
  std::shared_ptr<internal::Reactor> reactor = std::make_shared<internal::Reactor>();

  const ImageMapping* ImageFor(const std::string& image) const {
    for (const auto& m : options.images) {
      if (fnmatch(m.pattern.c_str(), image.c_str(), 0) == 0) return &m;
    }
    return nullptr;
  }

  // On the reactor: prepares and starts an attempt (or parks it until the
  // GPUs it needs are free).
  void Begin(AttemptSpec spec, AttemptCallbacks callbacks);
  // On the reactor: what a running attempt's end descriptor says.
  void OnEndReadable(uint64_t token);
  // On the reactor, without pidfds: whether the attempt's process exited.
  void PollExit(uint64_t token);
  // On the reactor: reaps, classifies and reports attempt `token`, which ended
  // with `status` (or `ended`: its sandbox failed).
  void End(uint64_t token, int status, Status ended);
  // On the reactor: the parked attempts try again (GPUs were freed, or one
  // of them was aborted).
  void RetryGpuWaiting();
  // The attempt is no longer live (it ended, or was dropped unstarted).
  void Forget(uint64_t token);
  bool Aborted(uint64_t token);
  // On the reactor: prepares an attempt and hands it to options.launcher.
  void BeginLaunched(AttemptSpec spec, AttemptCallbacks callbacks);
  // On the reactor: the launcher submitted attempt `token` (or could not).
  void OnLaunched(uint64_t token, Result<std::string> handle);
  // On the reactor: the launcher says attempt `token`'s job ended.
  void OnJobEnded(uint64_t token, AttemptLauncher::End end);
  // `pod`: what the attempt runs; `gpus`: the devices it holds.
  std::variant<Launch, TaskError> Prepare(const AttemptSpec& spec, const PodPlan& pod,
                                          const std::vector<internal::GpuDevice>& gpus) const;
  std::variant<ContainerLaunch, TaskError> PrepareContainer(const PodContext& ctx,
                                                            const PodContainer& c,
                                                            bool primary) const;
  // Writes the pod's script and its containers' option files; returns the
  // command that runs the pod.
  std::variant<std::vector<std::string>, TaskError> PodCommand(const PodContext& ctx,
                                                               const PodPlan& pod) const;
  TaskOutcome Classify(const AttemptSpec& spec, const Launch& launch, int status, bool oom_killed,
                       bool address_space_limited) const;
};

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.python) {
    if (!impl_->options.python->empty()) impl_->python = impl_->options.python;
  } else {
    const char* path = std::getenv("PATH");
    impl_->python = internal::FindPythonEnvironment(path != nullptr ? path : "");
  }
  impl_->gpus = std::make_unique<internal::GpuSlots>(
      impl_->options.gpus ? internal::GpusFrom(*impl_->options.gpus) : internal::DetectGpus());
  if (impl_->options.sandbox && !impl_->options.launcher) {
    impl_->helpers = std::make_unique<internal::SandboxHelpers>(
        impl_->options.bwrap,
        impl_->options.sandbox_helper.value_or(internal::DefaultSandboxHelper()));
  }
}

ProcessRuntime::~ProcessRuntime() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [token, pid] : impl_->running) {
      impl_->aborted.insert(token);
      ::kill(-pid, SIGKILL);
    }
    // Attempts about to spawn or submit see this and do not.
    impl_->aborted.insert(impl_->live.begin(), impl_->live.end());
    // Jobs do not outlive an engine that stops (a killed one's are followed
    // by the next: Reattach).
    for (auto& [token, handle] : impl_->launched) {
      impl_->aborted.insert(token);
      impl_->options.launcher->Cancel(handle);
    }
  }
  impl_->reactor->Stop();
  // What was running is killed: reaped here, its cgroups and secrets gone.
  for (auto& [token, run] : impl_->runs) {
    if (run->pidfd >= 0) {
      int status;
      while (::waitpid(run->pid, &status, 0) < 0 && errno == EINTR) {
      }
      ::close(run->pidfd);
    } else if (!run->in_helper && run->pid > 0) {
      int status;
      while (::waitpid(run->pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    run->cgroup->Remove();
    impl_->gpus->Release(run->gpus);
    RemovePrivateDirs(run->launch.out_dir);
  }
  for (auto& [token, job] : impl_->submitted) RemovePrivateDirs(job->launch.out_dir);
}

std::string_view ProcessRuntime::name() const { return impl_->options.name; }

bool ProcessRuntime::CanRun(const core::TaskTemplate& task) const {
  return (task.has_container() || task.has_k8s_pod()) &&
         (!impl_->options.selects || impl_->options.selects(task));
}

bool ProcessRuntime::ReadsInputFiles(const core::TaskTemplate& task) const {
  if (!task.has_container()) return true;  // a pod's commands are inside its spec: assume so
  const core::Container& c = task.container();
  auto names = [](const auto& args) {
    return std::any_of(args.begin(), args.end(),
                       [](const std::string& a) { return internal::NamesInputFile(a); });
  };
  return names(c.command()) || names(c.args());
}

bool ProcessRuntime::runs_arrays() const {
  return impl_->options.launcher && impl_->options.launcher->runs_arrays();
}

int ProcessRuntime::max_in_flight() const {
  if (impl_->options.jobs > 0) return impl_->options.jobs;
  if (impl_->options.launcher) return 0;  // the batch system queues
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Status ProcessRuntime::CheckSandbox() const {
  if (!impl_->options.sandbox) return Status::Ok();
  std::string cmd = impl_->options.bwrap +
                    " --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-net true "
                    ">/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    return FailedPrecondition(
        "the task sandbox needs bubblewrap, which is missing or cannot run here: install it "
        "(apt-get install bubblewrap) or pass --no-sandbox to run tasks unsandboxed");
  }
  return Status::Ok();
}

Status ProcessRuntime::Start(AttemptSpec spec, AttemptCallbacks callbacks) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->live.insert(spec.id.token);
  }
  impl_->reactor->Post(
      [impl = impl_.get(), spec = std::move(spec), callbacks = std::move(callbacks)]() mutable {
        if (impl->options.launcher) {
          return impl->BeginLaunched(std::move(spec), std::move(callbacks));
        }
        impl->Begin(std::move(spec), std::move(callbacks));
      });
  return Status::Ok();
}

void ProcessRuntime::Impl::Forget(uint64_t token) {
  std::lock_guard<std::mutex> lock(mu);
  live.erase(token);
  aborted.erase(token);
  running.erase(token);
}

bool ProcessRuntime::Impl::Aborted(uint64_t token) {
  std::lock_guard<std::mutex> lock(mu);
  return aborted.count(token) > 0;
}

void ProcessRuntime::Abort(const AttemptId& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->live.count(id.token)) return;  // ended already
  impl_->aborted.insert(id.token);           // remembered until its thread ends
  auto it = impl_->running.find(id.token);
  if (it != impl_->running.end()) ::kill(-it->second, SIGKILL);  // the whole process tree
  auto job = impl_->launched.find(id.token);
  if (job != impl_->launched.end()) impl_->options.launcher->Cancel(job->second);
  // One parked for GPUs goes now.
  impl_->reactor->Post([impl = impl_.get()] { impl->RetryGpuWaiting(); });
}

Result<bool> ProcessRuntime::Reattach(AttemptSpec spec, const std::string& handle,
                                      AttemptCallbacks callbacks) {
  if (impl_->options.launcher) {
    // The job outlived its engine: follow it to its end. Without a handle
    // it was never submitted (or not recorded as submitted): gone.
    if (handle.empty()) {
      RemovePrivateDirs(spec.output_dir.string());
      return false;
    }
    // What Classify reads, without preparing anything again: the job still
    // reads what its first engine prepared.
    auto job = std::make_shared<Impl::Submitted>();
    const core::TaskTemplate& task = *spec.task;
    Launch& launch = job->launch;
    launch.out_dir = spec.output_dir.string();
    launch.raw = launch.out_dir + "/raw";
    const core::DataLoadingConfig& dc =
        task.has_k8s_pod() ? task.k8s_pod().data_config() : task.container().data_config();
    launch.copilot = dc.enabled();
    launch.host_out = launch.out_dir + "/copilot/outputs";
    const auto& options = impl_->options;
    auto secrets = ResolveSecrets(task, options.secrets ? &*options.secrets : nullptr,
                                  options.sandbox ? kSecretMountDir : launch.out_dir + "/secrets");
    if (secrets.ok()) launch.secrets = std::move(secrets).value();  // for redaction only
    job->spec = std::move(spec);
    job->callbacks = std::move(callbacks);
    job->reattached = true;
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->live.insert(job->spec.id.token);
    }
    impl_->reactor->Post([impl = impl_.get(), job, handle] {
      const uint64_t token = job->spec.id.token;
      impl->submitted[token] = std::make_unique<Impl::Submitted>(std::move(*job));
      impl->OnLaunched(token, handle);
    });
    return true;
  }
  // The handle the engine recorded, else the one the attempt wrote itself
  // (the engine may have died before recording it).
  std::string text = handle;
  if (text.empty()) {
    auto file = idl::ReadFileBytes(spec.output_dir / kHandleFile);
    if (file.ok()) text = *file;
  }
  const Handle h = Handle::Parse(text);
  for (const auto& dir : h.cgroups) internal::KillAndRemoveCgroup(dir);
  // Its cgroups by name too: the handle may never have been written.
  for (const auto& dir :
       internal::CgroupDirsOf(internal::AttemptCgroupName(spec.output_dir.string()))) {
    internal::KillAndRemoveCgroup(dir);
  }
  // Without cgroups: the process group, if its leader is still the same process.
  if (ProcessAlive(h.pid, h.start)) ::kill(-h.pid, SIGKILL);
  RemovePrivateDirs(spec.output_dir.string());  // its engine died before it could
  return false;  // processes do not outlive their engine: the attempt is gone
}

std::variant<Launch, TaskError> ProcessRuntime::Impl::Prepare(
    const AttemptSpec& spec, const PodPlan& pod,
    const std::vector<internal::GpuDevice>& gpus) const {
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
    Status st = internal::MaterializeInputs(*spec.inputs, host_in,
                                            options.sandbox ? in_path : host_in, dc.format());
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
  auto net = task.config().find("flytecpp.network");
  const PodContext ctx{spec,        vars,     launch,
                       gpus,        data_dir, out_dir,
                       in_path,     out_path, host_in,
                       secrets_dir, single,   net != task.config().end() && net->second == "true"};
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

std::variant<ContainerLaunch, TaskError> ProcessRuntime::Impl::PrepareContainer(
    const PodContext& ctx, const PodContainer& c, bool primary) const {
  const Launch& launch = ctx.launch;
  ContainerLaunch out;
  for (const std::string& part : c.command) {
    auto rendered = internal::RenderTemplate(part, ctx.vars);
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
  out.env = TaskEnvironment(ctx.spec, c.env);
  for (const auto& kv : launch.secrets.env) out.env.push_back(kv);
  const ImageMapping* image = ImageFor(c.image);
  // flytekit's entrypoints run in a Python environment: the image's, else
  // the runtime's; its bin/ first on PATH.
  const fs::path* python = nullptr;
  std::string code_dir;  // a fast-registered task's code, unpacked
  if (!out.command.empty() && internal::IsFlytekitEntrypoint(out.command[0])) {
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
    if (std::string bad = internal::CheckPythonEnvironment(*python, program); !bad.empty()) {
      return Failure("PythonEnvironmentNotFound", "image \"" + c.image + "\": " + bad, false,
                     core::ExecutionError::SYSTEM);
    }
    for (auto& [k, v] : out.env) {
      if (k == "PATH") v = (*python / "bin").string() + ":" + v;
    }
    auto fast = internal::PrepareFastExecute(out.command);
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
      if (std::string bad = internal::CheckPythonEnvironment(*python, out.command[0]);
          !bad.empty()) {
        return Failure("PythonEnvironmentNotFound", "image \"" + c.image + "\": " + bad, false,
                       core::ExecutionError::SYSTEM);
      }
    } else {
      internal::RewriteFastExecuteDestDir(&out.command, ctx.out_dir + "/work");
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
  internal::SandboxSpec sandbox;
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
    if (std::string code = internal::FastExecuteDistribution(out.command); !code.empty()) {
      std::error_code ec;
      if (fs::exists(code, ec)) sandbox.ro_binds.emplace_back(code, code);
    }
  }
  if (primary && ctx.spec.inputs != nullptr) {
    Status shown = internal::ShowInputPaths(*ctx.spec.inputs, options.data_dir.string(),
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
  out.sandbox = internal::SandboxArgv(options.bwrap, sandbox);
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
std::variant<std::vector<std::string>, TaskError> ProcessRuntime::Impl::PodCommand(
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

namespace {

// A descriptor that becomes readable when `pid` exits; -1 on kernels
// without pidfd_open (before 5.3), where the exit is polled for instead.
int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Whether child `pid` has exited (not reaped: WNOWAIT).
bool Exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

constexpr auto kExitPollInterval = std::chrono::milliseconds(50);

}  // namespace

void ProcessRuntime::Impl::Begin(AttemptSpec spec, AttemptCallbacks callbacks) {
  const uint64_t token = spec.id.token;
  if (Aborted(token)) return Forget(token);  // aborted before it started
  const auto fail = [&](TaskError error) {
    Forget(token);
    callbacks.done(spec.id, std::move(error));
  };
  auto pod = PodOf(*spec.task);
  if (!pod.ok()) return fail(Failure("BadTaskSpecification", pod.status().message(), false));
  // GPUs first: a task that needs more than the machine has fails at once
  // (never a silent CPU run); one that needs some waits for them.
  const int64_t need = GpusNeeded(*spec.task, *pod);
  if (need > static_cast<int64_t>(gpus->total())) {
    return fail(
        Failure("InsufficientGpus",
                "the task needs " + std::to_string(need) + " GPU(s) and this machine " +
                    (gpus->total() == 0 ? std::string("has none (no /dev/nvidia<N> devices)")
                                        : "has " + std::to_string(gpus->total())),
                false));
  }
  std::vector<internal::GpuDevice> held;
  if (need > 0) {
    auto acquired = gpus->TryAcquire(static_cast<int>(need));
    if (!acquired) {
      gpu_waiting.emplace_back(std::move(spec), std::move(callbacks));
      return;
    }
    held = std::move(*acquired);
  }
  auto prepared = Prepare(spec, *pod, held);
  if (auto* error = std::get_if<TaskError>(&prepared)) {
    RemovePrivateDirs(spec.output_dir.string());  // a pod may have written some
    gpus->Release(held);
    return fail(*error);
  }
  auto run = std::make_unique<Running>();
  run->spec = std::move(spec);
  run->callbacks = std::move(callbacks);
  run->launch = std::move(std::get<Launch>(prepared));
  run->gpus = std::move(held);
  Running& r = *run;
  const Launch& launch = r.launch;
  // Ends an attempt that did not start: its secrets and GPUs released; the
  // error reported, unless it was aborted (the engine no longer waits).
  const auto not_started = [&](std::optional<TaskError> error) {
    RemovePrivateDirs(launch.out_dir);
    gpus->Release(r.gpus);
    r.cgroup.reset();
    if (!error) return Forget(token);
    fail(std::move(*error));
  };

  // Limits and tracking: a per-attempt cgroup the process joins before it
  // runs anything; memory falls back to RLIMIT_AS where no memory cgroup
  // can be made. See docs/runtime.md.
  r.cgroup = std::make_unique<AttemptCgroup>(internal::AttemptCgroupName(launch.out_dir),
                                             launch.cpu, launch.memory);
  internal::SpawnRequest request;
  request.argv = launch.argv;
  // The task's environment goes through exec, never the command line (bwrap
  // passes its own on); bwrap itself is found on the engine's PATH.
  std::vector<std::string> env;
  for (const auto& [k, v] : launch.env) {
    env.push_back(k + "=" + v);
    if (k == "PATH" && !options.sandbox) request.search_path = v;
  }
  request.env = std::move(env);
  if (options.sandbox) request.search_path = OwnSearchPath();
  request.cwd = launch.cwd;
  request.cgroup_dirs = r.cgroup->dirs();
  request.cgroups_required = r.cgroup->limits_cpu() || r.cgroup->limits_memory();
  if (!r.cgroup->limits_memory()) request.address_space = launch.memory;
  r.address_space_limited = request.address_space.has_value();
  r.logs = std::make_unique<internal::OutputPump>(launch.out_dir + "/stdout.log",
                                                  launch.out_dir + "/stderr.log");
  if (!r.logs->status().ok()) {
    return not_started(Failure("RuntimeStartFailed", r.logs->status().message(), true,
                               core::ExecutionError::SYSTEM));
  }
  request.stdout_fd = r.logs->stdout_fd();
  request.stderr_fd = r.logs->stderr_fd();

  // Sandboxed, through the long-lived helper where it can take the attempt;
  // else a process of its own (a bubblewrap, or the command unsandboxed).
  Result<pid_t> spawned = Internal("not spawned");
  if (launch.sandbox && helpers && helpers->Fits(*launch.sandbox)) {
    if (Aborted(token)) return not_started(std::nullopt);
    auto started =
        helpers->Start(*launch.sandbox, launch.command, *request.env, request.address_space,
                       r.logs->stdout_fd(), r.logs->stderr_fd(), r.cgroup->dirs());
    if (started && !started->ok()) {
      return not_started(Failure("RuntimeStartFailed", started->status().message(), true,
                                 core::ExecutionError::SYSTEM));
    }
    if (started) {
      r.in_helper.emplace(std::move(**started));
      std::lock_guard<std::mutex> lock(mu);
      if (aborted.count(token)) ::kill(-r.in_helper->pid(), SIGKILL);  // aborted meanwhile
      running[token] = r.in_helper->pid();
      spawned = r.in_helper->pid();
    }
  }
  if (!r.in_helper) {
    std::unique_lock<std::mutex> lock(mu);
    if (aborted.count(token)) {
      lock.unlock();
      return not_started(std::nullopt);
    }
    spawned = internal::Spawn(request);
    if (spawned.ok()) running[token] = *spawned;
  }
  if (!spawned.ok()) {
    const Status& st = spawned.status();
    if (st.code() == StatusCode::kFailedPrecondition) {  // its cgroup refused it
      return not_started(
          Failure("ResourceLimitsNotApplied",
                  st.message() + " (" + r.cgroup->dirs().front() + "), so the task was not started",
                  true, core::ExecutionError::SYSTEM));
    }
    if (st.code() == StatusCode::kNotFound) {
      return not_started(Failure("ContainerFailed", st.message(), true));
    }
    return not_started(
        Failure("RuntimeStartFailed", st.message(), true, core::ExecutionError::SYSTEM));
  }
  r.pid = *spawned;
  // The handle, for an engine that has to find this attempt after this one
  // died before recording it. An attempt in cgroups is found by their name;
  // only one without needs the file (a file is a cost per attempt).
  const Handle handle{r.pid, ProcessStartTime(r.pid), r.cgroup->dirs()};
  if (r.cgroup->empty()) {
    (void)idl::WriteFileAtomic(launch.out_dir + "/" + kHandleFile, handle.ToString());
  }
  if (r.callbacks.started) r.callbacks.started(r.spec.id, handle.ToString());

  // Followed from here by the reactor: its output as it comes, its end.
  r.logs->CloseChildEnds();
  internal::OutputPump* logs = r.logs.get();
  r.watches.push_back(reactor->Watch(logs->stdout_read_fd(), [this, token, logs] {
    if (!logs->DrainStdout()) reactor->Unwatch(runs[token]->watches[0]);
  }));
  r.watches.push_back(reactor->Watch(logs->stderr_read_fd(), [this, token, logs] {
    if (!logs->DrainStderr()) reactor->Unwatch(runs[token]->watches[1]);
  }));
  int end_fd = -1;
  if (r.in_helper) {
    end_fd = r.in_helper->reply_fd();
  } else {
    r.pidfd = OpenPidFd(r.pid);
    end_fd = r.pidfd;
  }
  runs.emplace(token, std::move(run));
  if (end_fd >= 0) {
    runs[token]->watches.push_back(reactor->Watch(end_fd, [this, token] { OnEndReadable(token); }));
  } else {
    reactor->After(kExitPollInterval, [this, token] { PollExit(token); });  // no pidfd
  }
}

void ProcessRuntime::Impl::PollExit(uint64_t token) {
  auto it = runs.find(token);
  if (it == runs.end()) return;
  if (Exited(it->second->pid)) return OnEndReadable(token);
  reactor->After(kExitPollInterval, [this, token] { PollExit(token); });
}

void ProcessRuntime::Impl::OnEndReadable(uint64_t token) {
  auto it = runs.find(token);
  if (it == runs.end()) return;
  Running& r = *it->second;
  if (r.in_helper) {
    auto report = r.in_helper->Next();
    if (!report) return;  // it runs on
    return report->ok() ? End(token, **report, Status::Ok()) : End(token, 0, report->status());
  }
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(r.pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (reaped == 0) return;  // not yet
  End(token, status, Status::Ok());
}

void ProcessRuntime::Impl::End(uint64_t token, int status, Status ended) {
  std::unique_ptr<Running> run = std::move(runs[token]);
  runs.erase(token);
  Running& r = *run;
  // What it wrote just before exiting.
  r.logs->DrainStdout();
  r.logs->DrainStderr();
  for (uint64_t w : r.watches) reactor->Unwatch(w);
  if (r.pidfd >= 0) ::close(r.pidfd);
  ::kill(-r.pid, SIGKILL);  // nothing of the attempt outlives it
  const bool oom_killed = r.cgroup->OomKilled();
  r.cgroup->Remove();
  gpus->Release(r.gpus);
  if (!r.gpus.empty()) RetryGpuWaiting();
  const bool dropped = Aborted(token);  // the engine no longer waits for it
  Forget(token);
  const Launch& launch = r.launch;
  if (dropped) return RemovePrivateDirs(launch.out_dir);
  TaskOutcome outcome = ended.ok()
                            ? Classify(r.spec, launch, status, oom_killed, r.address_space_limited)
                            : TaskOutcome(Failure("RuntimeStartFailed", ended.message(), true,
                                                  core::ExecutionError::SYSTEM));
  // Error messages quote what the task printed; its secrets stay out.
  if (auto* error = std::get_if<TaskError>(&outcome)) {
    error->message = Redacted(std::move(error->message), launch.secrets);
  }
  // Files holding secrets live as long as the attempt: gone before the
  // engine hears it ended.
  RemovePrivateDirs(launch.out_dir);
  r.callbacks.done(r.spec.id, std::move(outcome));
}

void ProcessRuntime::Impl::RetryGpuWaiting() {
  std::deque<std::pair<AttemptSpec, AttemptCallbacks>> waiting;
  waiting.swap(gpu_waiting);
  for (auto& [spec, callbacks] : waiting) Begin(std::move(spec), std::move(callbacks));
}

void ProcessRuntime::Impl::BeginLaunched(AttemptSpec spec, AttemptCallbacks callbacks) {
  const uint64_t token = spec.id.token;
  if (Aborted(token)) return Forget(token);  // aborted before it started
  auto pod = PodOf(*spec.task);
  if (!pod.ok()) {
    Forget(token);
    return callbacks.done(spec.id, Failure("BadTaskSpecification", pod.status().message(), false));
  }
  // The batch system holds the GPUs: none of this machine's.
  const int64_t gpus_needed = GpusNeeded(*spec.task, *pod);
  auto prepared = Prepare(spec, *pod, {});
  if (auto* error = std::get_if<TaskError>(&prepared)) {
    RemovePrivateDirs(spec.output_dir.string());  // a pod may have written some
    Forget(token);
    return callbacks.done(spec.id, *error);
  }
  auto job = std::make_unique<Submitted>();
  job->spec = std::move(spec);
  job->callbacks = std::move(callbacks);
  job->launch = std::move(std::get<Launch>(prepared));
  const AttemptSpec& s = job->spec;
  const Launch& launch = job->launch;
  AttemptLauncher::Request request;
  request.name = s.task->id().name();
  request.argv = launch.argv;
  request.env = launch.env;
  request.cwd = launch.cwd;
  request.stdout_path = launch.out_dir + "/stdout.log";
  request.stderr_path = launch.out_dir + "/stderr.log";
  request.private_dir = launch.out_dir + "/.pod";
  request.cpu = launch.cpu;
  request.memory = launch.memory;
  request.gpus = gpus_needed;
  if (s.task->metadata().has_timeout()) {
    const auto seconds =
        s.task->metadata().timeout().seconds() + (s.task->metadata().timeout().nanos() > 0 ? 1 : 0);
    if (seconds > 0) request.time_limit = std::chrono::seconds(seconds);
  }
  request.interruptible = s.interruptible;
  request.array_index = s.array_index;
  request.array_batch = s.array_batch;
  request.array_batch_size = s.array_batch_size;
  request.array_parallelism = s.array_parallelism;
  submitted[token] = std::move(job);
  // Submitting (sbatch) takes its time: the launcher does it on its own
  // thread and says when it is done.
  options.launcher->Launch(std::move(request),
                           [reactor = reactor, this, token](Result<std::string> handle) {
                             reactor->Post([this, token, handle = std::move(handle)]() mutable {
                               OnLaunched(token, std::move(handle));
                             });
                           });
}

void ProcessRuntime::Impl::OnLaunched(uint64_t token, Result<std::string> handle) {
  auto it = submitted.find(token);
  if (it == submitted.end()) return;
  Submitted& job = *it->second;
  if (!handle.ok()) {
    AttemptLauncher::End refused;
    refused.failure = Failure("RuntimeStartFailed", handle.status().message(), true,
                              core::ExecutionError::SYSTEM);
    return OnJobEnded(token, std::move(refused));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    launched[token] = *handle;
    // Aborted while it was submitted: its watcher hears the cancel.
    if (aborted.count(token)) options.launcher->Cancel(*handle);
  }
  if (!job.reattached && job.callbacks.started) job.callbacks.started(job.spec.id, *handle);
  options.launcher->Watch(*handle, [reactor = reactor, this, token](AttemptLauncher::End end) {
    reactor->Post(
        [this, token, end = std::move(end)]() mutable { OnJobEnded(token, std::move(end)); });
  });
}

void ProcessRuntime::Impl::OnJobEnded(uint64_t token, AttemptLauncher::End end) {
  auto it = submitted.find(token);
  if (it == submitted.end()) return;
  std::unique_ptr<Submitted> job = std::move(it->second);
  submitted.erase(it);
  {
    std::lock_guard<std::mutex> lock(mu);
    launched.erase(token);
  }
  const bool dropped = Aborted(token);  // the engine no longer waits for it
  Forget(token);
  const Launch& launch = job->launch;
  if (dropped) return RemovePrivateDirs(launch.out_dir);
  TaskOutcome outcome = end.failure
                            ? TaskOutcome(*end.failure)
                            : Classify(job->spec, launch, end.wait_status, end.oom_killed, false);
  if (auto* error = std::get_if<TaskError>(&outcome)) {
    error->message = Redacted(std::move(error->message), launch.secrets);
  }
  // Files holding secrets live as long as the attempt: gone before the
  // engine hears it ended.
  RemovePrivateDirs(launch.out_dir);
  job->callbacks.done(job->spec.id, std::move(outcome));
}

TaskOutcome ProcessRuntime::Impl::Classify(const AttemptSpec& spec, const Launch& launch,
                                           int status, bool oom_killed,
                                           bool address_space_limited) const {
  const std::string err_log = launch.out_dir + "/stderr.log";
  // An error document beats everything (the flytekit protocol).
  core::ErrorDocument doc;
  // flytekit's messages are a traceback and the exception: the exception is
  // the error; the traceback stays in the task's stderr log.
  const bool python = !launch.command.empty() && internal::IsFlytekitEntrypoint(launch.command[0]);
  if (idl::ReadMessage(launch.out_dir + "/error.pb", &doc, idl::Format::kBinary).ok()) {
    return TaskError{
        doc.error().origin() == core::ExecutionError::SYSTEM ? core::ExecutionError::SYSTEM
                                                             : core::ExecutionError::USER,
        doc.error().code(),
        python ? internal::FlytekitErrorSummary(doc.error().message()) : doc.error().message(),
        doc.error().kind() == core::ContainerError::RECOVERABLE};
  }
  // A copilot task's `_ERROR` is its error, whatever its exit status.
  if (launch.copilot && std::filesystem::exists(launch.host_out + "/_ERROR")) {
    return internal::CollectOutputs(spec.task->interface(), launch.host_out, launch.raw);
  }
  // A pod's init container that failed ended the pod before the rest ran.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(launch.out_dir, ec)) {
    const std::string file = e.path().filename().string();
    if (file.rfind(kInitFailedPrefix, 0) != 0) continue;
    const std::string name = file.substr(std::strlen(kInitFailedPrefix));
    return Failure("InitContainerFailed",
                   "init container " + name + " failed with exit code " + Tail(e.path(), 20) +
                       ": " + Tail(launch.out_dir + "/" + name + ".stderr.log", 400),
                   true);
  }
  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean_exit && oom_killed) {
    return Failure("OOMKilled",
                   "the task was killed for exceeding its memory limit: " + Tail(err_log, 400),
                   true);
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGKILL) {
      return Failure("Interrupted", "the task was killed (SIGKILL)", true,
                     core::ExecutionError::SYSTEM);
    }
    return Failure(
        "ContainerSignaled",
        std::string("the task died of signal ") + strsignal(sig) + ": " + Tail(err_log, 400), true);
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0) {
    std::string tail = Tail(err_log, 400);
    if (python) {  // a traceback without an error document: its exception
      auto text = idl::ReadFileBytes(err_log);
      if (std::string line = text.ok() ? LastMessageLine(*text) : ""; !line.empty()) {
        tail = line.size() > 400 ? line.substr(0, 400) + "…" : line;
      }
    }
    // Under RLIMIT_AS allocations fail inside the task instead; recognise
    // the usual ways programs report that.
    if (address_space_limited && (tail.find("MemoryError") != std::string::npos ||
                                  tail.find("Cannot allocate memory") != std::string::npos ||
                                  tail.find("bad_alloc") != std::string::npos ||
                                  tail.find("cannot allocate") != std::string::npos ||
                                  tail.find("out of memory") != std::string::npos)) {
      return Failure("OOMKilled", "the task ran out of its memory limit: " + tail, true);
    }
    return Failure("ContainerFailed", "exit code " + std::to_string(code) + ": " + tail, true);
  }
  const core::TaskTemplate& task = *spec.task;
  // A dynamic task leaves the workflow it generated instead of outputs.
  if (std::filesystem::exists(launch.out_dir + "/futures.pb")) {
    core::DynamicJobSpec futures;
    Status read = idl::ReadMessage(launch.out_dir + "/futures.pb", &futures, idl::Format::kBinary);
    if (!read.ok()) return Failure("DynamicJobSpecUnreadable", read.message(), false);
    return futures;
  }
  if (launch.copilot)
    return internal::CollectOutputs(task.interface(), launch.host_out, launch.raw);
  core::LiteralMap outputs;
  Status st = idl::ReadMessage(launch.out_dir + "/outputs.pb", &outputs, idl::Format::kBinary);
  if (!st.ok() && task.interface().outputs().variables_size() > 0) {
    return Failure("OutputsNotFound",
                   "outputs not generated by the task (no " + launch.out_dir + "/outputs.pb)",
                   true);
  }
  return outputs;
}

}  // namespace flytecpp::runtime
