// The process runtime: a container task's command as a local process, in a
// bubblewrap sandbox (see include/flytecpp/runtime/process.h, docs/runtime.md).
// An attempt is prepared (process_prepare.cc), started here — spawned into
// its cgroup, its handle recorded before the task runs anything — and
// waited on by the runtime's one reactor with every other attempt, or run
// through a launcher; its end is classified (process_classify.cc).
#include "flytecpp/runtime/process.h"

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

namespace flytecpp::runtime {

using internal::Failure;
using internal::GpusNeeded;
using internal::kHandleFile;
using internal::kSecretMountDir;
using internal::Launch;
using internal::PodOf;
using internal::RemovePrivateDirs;

namespace fs = std::filesystem;
using internal::AttemptCgroup;
using internal::PodContainer;
using internal::PodPlan;
using internal::TemplateVars;

namespace {

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
  internal::SharedTaskEnvironment shared_env;         // before preparer, which reads it
  std::optional<internal::AttemptPreparer> preparer;

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
};

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  std::optional<fs::path> python;  // flytekit tasks' environment where no image names one
  if (impl_->options.python) {
    if (!impl_->options.python->empty()) python = impl_->options.python;
  } else {
    python = internal::FindPythonEnvironment(OwnSearchPath());
  }
  impl_->preparer.emplace(impl_->options, impl_->shared_env, std::move(python));
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

void ProcessRuntime::SetTaskEnvironment(std::vector<std::pair<std::string, std::string>> vars) {
  impl_->shared_env.Set(std::move(vars));
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
  auto prepared = preparer->Prepare(spec, *pod, held);
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
    Forget(token);
    if (error) r.callbacks.done(r.spec.id, std::move(*error));  // `spec`, `callbacks`: moved into r
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
  auto prepared = preparer->Prepare(spec, *pod, {});
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

}  // namespace flytecpp::runtime
