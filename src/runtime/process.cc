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
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cgroup.h"
#include "copilot.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/util/process.h"
#include "flyteidl/core/errors.pb.h"
#include "sandbox.h"
#include "spawn.h"
#include "template.h"

namespace flytecpp::runtime {

namespace fs = std::filesystem;
using internal::AttemptCgroup;
using internal::TemplateVars;

namespace {

constexpr const char* kHandleFile = "attempt.handle";
// Where Flyte's secret injector mounts secret files.
constexpr const char* kSecretMountDir = "/etc/flyte/secrets";

// Kubernetes quantity to bytes: 512Mi, 1Gi, 100M, 1e9, 2048.
std::optional<uint64_t> Bytes(const std::string& q) {
  static const std::regex kQ("^([0-9]+(\\.[0-9]*)?)([KMGTPE]i?|[eE][0-9]+)?$");
  std::smatch m;
  if (!std::regex_match(q, m, kQ)) return std::nullopt;
  double v = std::stod(m[1].str());
  std::string s = m[3].str();
  static const std::map<std::string, double> kScale = {
      {"", 1},           {"K", 1e3},           {"M", 1e6},
      {"G", 1e9},        {"T", 1e12},          {"Ki", 1024.0},
      {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}};
  if (!s.empty() && (s[0] == 'e' || s[0] == 'E'))
    return static_cast<uint64_t>(v * std::pow(10, std::stoi(s.substr(1))));
  auto it = kScale.find(s);
  if (it == kScale.end()) return std::nullopt;
  return static_cast<uint64_t>(v * it->second);
}

// CPU cores from a quantity: "500m" = 0.5, "2" = 2.
std::optional<double> Cores(const std::string& q) {
  try {
    if (!q.empty() && q.back() == 'm') return std::stod(q.substr(0, q.size() - 1)) / 1000.0;
    return std::stod(q);
  } catch (...) {
    return std::nullopt;
  }
}

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

// A task's environment: clean, plus the container's and Flyte's own variables.
std::vector<std::pair<std::string, std::string>> TaskEnvironment(const AttemptSpec& spec) {
  const core::TaskTemplate& task = *spec.task;
  std::vector<std::pair<std::string, std::string>> env = {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", "/tmp"},
      {"LANG", "C.UTF-8"},
      {"FLYTE_INTERNAL_EXECUTION_ID", spec.id.execution_id},
      {"FLYTE_INTERNAL_EXECUTION_PROJECT", ""},
      {"FLYTE_INTERNAL_EXECUTION_DOMAIN", ""},
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
  for (const auto& kv : task.container().env()) env.emplace_back(kv.key(), kv.value());
  return env;
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

// Everything needed to start an attempt's process.
struct Launch {
  std::vector<std::string> argv;  // bwrap ... -- command, or the command alone
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // where the (outer) process starts
  std::optional<uint64_t> memory;
  std::optional<double> cpu;
  bool copilot = false;
  std::string host_out, raw, out_dir;
  ResolvedSecrets secrets;  // their files live in secrets_dir until the attempt ends
  std::string secrets_dir;
};

}  // namespace

Result<std::vector<ImageMapping>> LoadImageConfig(const fs::path& path) {
  std::vector<ImageMapping> out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  // Host paths in the file are relative to the file, wherever flytecpp runs.
  const fs::path base = fs::absolute(path, ec).parent_path();
  auto host_path = [&](const std::string& p) { return (base / p).lexically_normal(); };
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    for (const auto& e : root["images"]) {
      ImageMapping m;
      m.pattern = e["image"].as<std::string>();
      if (e["root"]) m.root = host_path(e["root"].as<std::string>());
      if (e["workdir"]) m.workdir = e["workdir"].as<std::string>();
      for (const auto& mount : e["mounts"]) {
        std::string s = mount.as<std::string>();
        size_t colon = s.find(':');
        if (colon == std::string::npos) {
          return InvalidArgument(path.string() + ": mount \"" + s + "\": expected host:sandbox");
        }
        m.mounts.emplace_back(host_path(s.substr(0, colon)), s.substr(colon + 1));
      }
      out.push_back(std::move(m));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path.string() + ": " + e.what());
  }
  return out;
}

struct ProcessRuntime::Impl {
  ProcessRuntimeOptions options;
  std::mutex mu;
  std::set<uint64_t> live;            // guarded by mu: tokens from Start to the end of Run
  std::map<uint64_t, pid_t> running;  // guarded by mu: token -> process group, once spawned
  std::set<uint64_t> aborted;         // guarded by mu: live tokens aborted
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::vector<Worker> workers;  // guarded by mu; finished ones are joined on the next Start

  const ImageMapping* ImageFor(const std::string& image) const {
    for (const auto& m : options.images) {
      if (fnmatch(m.pattern.c_str(), image.c_str(), 0) == 0) return &m;
    }
    return nullptr;
  }

  void Run(const AttemptSpec& spec, const AttemptCallbacks& callbacks);
  std::variant<Launch, TaskError> Prepare(const AttemptSpec& spec) const;
  TaskOutcome Classify(const AttemptSpec& spec, const Launch& launch, int status, bool oom_killed,
                       bool address_space_limited) const;
};

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

ProcessRuntime::~ProcessRuntime() {
  std::vector<Impl::Worker> workers;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [token, pid] : impl_->running) {
      impl_->aborted.insert(token);
      ::kill(-pid, SIGKILL);
    }
    workers.swap(impl_->workers);
  }
  for (auto& w : workers) w.thread.join();
}

bool ProcessRuntime::CanRun(const core::TaskTemplate& task) const { return task.has_container(); }

int ProcessRuntime::max_in_flight() const {
  if (impl_->options.jobs > 0) return impl_->options.jobs;
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
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Join the attempts that ended, so long workflows do not pile up threads.
  auto& workers = impl_->workers;
  for (auto it = workers.begin(); it != workers.end();) {
    if (it->finished->load()) {
      it->thread.join();
      it = workers.erase(it);
    } else {
      ++it;
    }
  }
  auto finished = std::make_shared<std::atomic<bool>>(false);
  impl_->live.insert(spec.id.token);
  std::thread t([this, finished, spec = std::move(spec), callbacks = std::move(callbacks)] {
    impl_->Run(spec, callbacks);
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->live.erase(spec.id.token);
      impl_->aborted.erase(spec.id.token);
    }
    finished->store(true);
  });
  workers.push_back({std::move(t), finished});
  return Status::Ok();
}

void ProcessRuntime::Abort(const AttemptId& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->live.count(id.token)) return;  // ended already
  impl_->aborted.insert(id.token);           // remembered until its thread ends
  auto it = impl_->running.find(id.token);
  if (it != impl_->running.end()) ::kill(-it->second, SIGKILL);  // the whole process tree
}

Result<bool> ProcessRuntime::Reattach(AttemptSpec spec, const std::string& handle,
                                      AttemptCallbacks callbacks) {
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
  return false;  // processes do not outlive their engine: the attempt is gone
}

std::variant<Launch, TaskError> ProcessRuntime::Impl::Prepare(const AttemptSpec& spec) const {
  const core::TaskTemplate& task = *spec.task;
  const core::Container& c = task.container();
  Launch launch;
  const std::string data_dir = spec.data_dir.string();
  const std::string out_dir = spec.output_dir.string();
  launch.out_dir = out_dir;
  launch.raw = out_dir + "/raw";
  std::error_code ec;
  fs::create_directories(launch.raw + "/_flytecheckpoints", ec);
  fs::create_directories(out_dir + "/work", ec);
  if (ec)
    return Failure("RuntimeStartFailed", out_dir + ": " + ec.message(), true,
                   core::ExecutionError::SYSTEM);
  (void)idl::WriteMessage(data_dir + "/task.pb", task, idl::Format::kBinary);

  // Copilot: inputs as files at input_path, outputs read from output_path.
  const auto& dc = c.data_config();
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

  // The command, templated.
  const TemplateVars vars = VarsFor(spec, launch.raw);
  std::vector<std::string> command;
  for (const auto* list : {&c.command(), &c.args()}) {
    for (const std::string& part : *list) {
      auto rendered = internal::RenderTemplate(part, vars);
      if (!rendered.ok()) {
        return Failure("FailedToBuildResource", rendered.status().message(), false);
      }
      std::string arg = std::move(rendered).value();
      if (launch.copilot && !options.sandbox) {
        // Unsandboxed, the declared paths do not exist: the command is
        // pointed at the host directories instead.
        ReplaceAll(&arg, in_path, host_in);
        ReplaceAll(&arg, out_path, launch.host_out);
      }
      command.push_back(std::move(arg));
    }
  }
  if (command.empty()) {
    return Failure("FailedToBuildResource", "the container has no command", false);
  }
  launch.env = TaskEnvironment(spec);

  // Secrets: into the environment, and as files where Flyte mounts them.
  const std::string secrets_dir = out_dir + "/secrets";
  auto secrets = ResolveSecrets(task, options.secrets ? &*options.secrets : nullptr,
                                options.sandbox ? kSecretMountDir : secrets_dir);
  if (!secrets.ok()) {
    return Failure(secrets.status().code() == StatusCode::kNotFound ? "SecretNotFound"
                                                                    : "SecretInvalid",
                   secrets.status().message(), false);
  }
  launch.secrets = std::move(secrets).value();
  for (const auto& kv : launch.secrets.env) launch.env.push_back(kv);

  // Where it runs.
  const ImageMapping* image = ImageFor(c.image());
  std::string workdir =
      image != nullptr && !image->workdir.empty() ? image->workdir : out_dir + "/work";
  if (options.sandbox) {
    internal::SandboxSpec sandbox;
    if (image != nullptr) sandbox.root = image->root;
    sandbox.data_dir = data_dir;
    sandbox.out_dir = out_dir;
    sandbox.workdir = workdir;
    auto net = task.config().find("flytecpp.network");
    sandbox.network = net != task.config().end() && net->second == "true";
    if (launch.copilot) {
      sandbox.ro_binds.emplace_back(host_in, in_path);
      sandbox.rw_binds.emplace_back(launch.host_out, out_path);
    }
    if (image != nullptr) {
      for (const auto& [host, inside] : image->mounts) {
        sandbox.ro_binds.emplace_back(host.string(), inside);
      }
    }
    if (!launch.secrets.files.empty()) sandbox.ro_binds.emplace_back(secrets_dir, kSecretMountDir);
    launch.argv = internal::SandboxArgv(options.bwrap, sandbox);
    launch.cwd = out_dir;
  } else {
    // Unsandboxed, a workdir that is a mount target is that host directory.
    if (image != nullptr && !image->workdir.empty()) {
      for (const auto& [host, inside] : image->mounts) {
        if (inside == image->workdir) workdir = host.string();
      }
    }
    launch.cwd = workdir;
  }
  launch.argv.insert(launch.argv.end(), command.begin(), command.end());

  for (const auto& l : c.resources().limits()) {
    if (l.name() == core::Resources::MEMORY) launch.memory = Bytes(l.value());
    if (l.name() == core::Resources::CPU) launch.cpu = Cores(l.value());
  }
  // Last: nothing after this may fail and leave the files behind.
  if (!launch.secrets.files.empty()) {
    launch.secrets_dir = secrets_dir;
    Status st = WriteSecretFiles(launch.secrets, secrets_dir);
    if (!st.ok()) {
      fs::remove_all(secrets_dir, ec);
      return Failure("RuntimeStartFailed", st.message(), true, core::ExecutionError::SYSTEM);
    }
  }
  return launch;
}

void ProcessRuntime::Impl::Run(const AttemptSpec& spec, const AttemptCallbacks& callbacks) {
  auto prepared = Prepare(spec);
  if (auto* error = std::get_if<TaskError>(&prepared)) return callbacks.done(spec.id, *error);
  const Launch& launch = std::get<Launch>(prepared);
  // Secret files live as long as the attempt.
  struct RemoveSecrets {
    const std::string& dir;
    ~RemoveSecrets() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } remove_secrets{launch.secrets_dir};

  // Limits and tracking: a per-attempt cgroup the process joins before it
  // runs anything; memory falls back to RLIMIT_AS where no memory cgroup
  // can be made. See docs/runtime.md.
  AttemptCgroup cgroup(internal::AttemptCgroupName(launch.out_dir), launch.cpu, launch.memory);
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
  if (options.sandbox) {
    const char* path = std::getenv("PATH");
    request.search_path = path != nullptr ? path : "/usr/bin:/bin";
  }
  request.cwd = launch.cwd;
  request.cgroup_dirs = cgroup.dirs();
  request.cgroups_required = cgroup.limits_cpu() || cgroup.limits_memory();
  if (!cgroup.limits_memory()) request.address_space = launch.memory;
  const std::string out_log = launch.out_dir + "/stdout.log",
                    err_log = launch.out_dir + "/stderr.log";
  request.stdout_fd = ::open(out_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  request.stderr_fd = ::open(err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto close_logs = [&] {
    ::close(request.stdout_fd);
    ::close(request.stderr_fd);
  };

  Result<pid_t> spawned = Internal("not spawned");
  {
    std::lock_guard<std::mutex> lock(mu);
    if (aborted.count(spec.id.token)) {  // aborted before it started
      close_logs();
      return;
    }
    spawned = internal::Spawn(request);
    if (spawned.ok()) running[spec.id.token] = *spawned;
  }
  close_logs();
  if (!spawned.ok()) {
    const Status& st = spawned.status();
    if (st.code() == StatusCode::kFailedPrecondition) {  // its cgroup refused it
      return callbacks.done(spec.id, Failure("ResourceLimitsNotApplied",
                                             st.message() + " (" + cgroup.dirs().front() +
                                                 "), so the task was not started",
                                             true, core::ExecutionError::SYSTEM));
    }
    if (st.code() == StatusCode::kNotFound) {
      return callbacks.done(spec.id, Failure("ContainerFailed", st.message(), true));
    }
    return callbacks.done(
        spec.id, Failure("RuntimeStartFailed", st.message(), true, core::ExecutionError::SYSTEM));
  }
  const pid_t pid = *spawned;
  // The handle, for an engine that has to find this attempt after this one
  // died (its cgroup it can also find by name).
  const Handle handle{pid, ProcessStartTime(pid), cgroup.dirs()};
  (void)idl::WriteFileAtomic(launch.out_dir + "/" + kHandleFile, handle.ToString());
  if (callbacks.started) callbacks.started(spec.id, handle.ToString());

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // nothing of the attempt outlives it
  const bool oom_killed = cgroup.OomKilled();
  cgroup.Remove();
  {
    std::lock_guard<std::mutex> lock(mu);
    running.erase(spec.id.token);
    if (aborted.count(spec.id.token)) return;  // the engine no longer waits for it
  }
  TaskOutcome outcome =
      Classify(spec, launch, status, oom_killed, request.address_space.has_value());
  // Error messages quote what the task printed; its secrets stay out.
  if (auto* error = std::get_if<TaskError>(&outcome)) {
    error->message = Redacted(std::move(error->message), launch.secrets);
  }
  callbacks.done(spec.id, std::move(outcome));
}

TaskOutcome ProcessRuntime::Impl::Classify(const AttemptSpec& spec, const Launch& launch,
                                           int status, bool oom_killed,
                                           bool address_space_limited) const {
  const std::string err_log = launch.out_dir + "/stderr.log";
  // An error document beats everything (the flytekit protocol).
  core::ErrorDocument doc;
  if (idl::ReadMessage(launch.out_dir + "/error.pb", &doc, idl::Format::kBinary).ok()) {
    return TaskError{doc.error().origin() == core::ExecutionError::SYSTEM
                         ? core::ExecutionError::SYSTEM
                         : core::ExecutionError::USER,
                     doc.error().code(), doc.error().message(),
                     doc.error().kind() == core::ContainerError::RECOVERABLE};
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
