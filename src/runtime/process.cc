// The process runtime: a container task's command as a local process, in a
// bubblewrap sandbox (see include/flytecpp/runtime/process.h, docs/runtime.md).
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

#include "copilot.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/core/errors.pb.h"
#include "template.h"

namespace flytecpp::runtime {

namespace fs = std::filesystem;
using internal::TemplateVars;

namespace {

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

// CPU cores from a quantity: "500m" = 0.5, "2" = 2.
std::optional<double> Cores(const std::string& q) {
  try {
    if (!q.empty() && q.back() == 'm') return std::stod(q.substr(0, q.size() - 1)) / 1000.0;
    return std::stod(q);
  } catch (...) {
    return std::nullopt;
  }
}

// The cgroups one attempt runs in: one directory on cgroup v2, one per
// controller on v1 (each nested under this process's own cgroup, so limits
// set on the runner still hold). A limit that could not be set is reported
// unset, and the caller falls back (memory) or says it is not enforced (CPU).
class AttemptCgroup {
 public:
  AttemptCgroup(const std::string& name, std::optional<double> cores,
                std::optional<uint64_t> bytes) {
    const long period = 100000;
    const long quota = cores ? std::max(1000L, static_cast<long>(*cores * period)) : 0;
    std::error_code ec;
    if (fs::exists("/sys/fs/cgroup/cgroup.controllers", ec)) {
      if (!cores && !bytes) return;
      const std::string dir = Make("/sys/fs/cgroup/" + name);
      if (dir.empty()) return;
      cpu_ = cores && Write(dir + "/cpu.max", std::to_string(quota) + " " + std::to_string(period));
      memory_ = bytes && Write(dir + "/memory.max", std::to_string(*bytes));
      if (memory_) {
        Write(dir + "/memory.swap.max", "0");  // absent without swap accounting
        oom_file_ = dir + "/memory.events";
      }
      return;
    }
    if (cores) {
      const std::string dir = Make(V1Base("cpu") + "/" + name);
      cpu_ = !dir.empty() && Write(dir + "/cpu.cfs_period_us", std::to_string(period)) &&
             Write(dir + "/cpu.cfs_quota_us", std::to_string(quota));
    }
    if (bytes) {
      const std::string dir = Make(V1Base("memory") + "/" + name);
      memory_ = !dir.empty() && Write(dir + "/memory.limit_in_bytes", std::to_string(*bytes));
      if (memory_) {
        Write(dir + "/memory.memsw.limit_in_bytes", std::to_string(*bytes));  // no swap either
        oom_file_ = dir + "/memory.oom_control";
      }
    }
  }
  AttemptCgroup(const AttemptCgroup&) = delete;
  AttemptCgroup& operator=(const AttemptCgroup&) = delete;

  ~AttemptCgroup() { Remove(); }

  // Kills whatever of the attempt is still in the cgroup (a process that
  // left the attempt's process group too) and removes the directories once
  // the kernel has let go of the dead processes.
  void Remove() {
    for (const auto& dir : dirs_) {
      std::ifstream procs(dir + "/cgroup.procs");
      for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
      for (int i = 0; i < 50 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    dirs_.clear();
  }

  bool empty() const { return dirs_.empty(); }
  bool limits_cpu() const { return cpu_; }
  bool limits_memory() const { return memory_; }

  // Moves `pid` into every directory; names the first that refused, if any.
  std::optional<std::string> Join(pid_t pid) const {
    for (const auto& dir : dirs_) {
      if (!Write(dir + "/cgroup.procs", std::to_string(pid))) return dir;
    }
    return std::nullopt;
  }

  // True if the kernel's OOM killer killed a process of this attempt.
  bool OomKilled() const {
    if (oom_file_.empty()) return false;
    std::ifstream in(oom_file_);
    std::string key;
    long count = 0;
    while (in >> key >> count) {
      if (key == "oom_kill" && count > 0) return true;
    }
    return false;
  }

 private:
  static bool Write(const std::string& file, const std::string& value) {
    std::ofstream out(file);
    out << value;
    out.flush();
    return static_cast<bool>(out);
  }

  // The v1 hierarchy of `controller` at this process's own place in it.
  static std::string V1Base(const std::string& controller) {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
      // "4:memory:/some/path" or "1:cpu,cpuacct:/"
      const auto a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::stringstream controllers(line.substr(a + 1, b - a - 1));
      for (std::string c; std::getline(controllers, c, ',');) {
        if (c == controller) {
          std::string path = line.substr(b + 1);
          if (path == "/") path.clear();
          return "/sys/fs/cgroup/" + controller + path;
        }
      }
    }
    return "/sys/fs/cgroup/" + controller;
  }

  std::string Make(const std::string& dir) {
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) return "";
    dirs_.push_back(dir);
    return dir;
  }

  std::vector<std::string> dirs_;
  std::string oom_file_;
  bool cpu_ = false, memory_ = false;
};

// True if `path` is `dir` or lies below it.
bool Under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Adds bwrap arguments that mirror `root`/`dir` read-only at `dir`, leaving
// room (tmpfs) for each of `targets`. /dev, /proc, /tmp and /sys are not
// taken from the root.
void BuildRoot(const fs::path& root, const std::string& dir,
               const std::vector<std::string>& targets, std::vector<std::string>* argv) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / dir.substr(dir.empty() ? 0 : 1), ec)) {
    const std::string inside = dir + "/" + e.path().filename().string();
    if (dir.empty() &&
        (inside == "/dev" || inside == "/proc" || inside == "/tmp" || inside == "/sys")) {
      continue;
    }
    bool exact = false, below = false;
    for (const auto& t : targets) {
      if (t == inside)
        exact = true;
      else if (Under(t, inside))
        below = true;
    }
    if (exact) continue;  // mounted over later
    if (e.is_symlink(ec)) {
      argv->insert(argv->end(), {"--symlink", fs::read_symlink(e.path(), ec).string(), inside});
    } else if (below && e.is_directory(ec)) {
      argv->insert(argv->end(), {"--tmpfs", inside});
      BuildRoot(root, inside, targets, argv);
    } else {
      argv->insert(argv->end(), {"--ro-bind", e.path().string(), inside});
    }
  }
}

}  // namespace

Result<std::vector<ImageMapping>> LoadImageConfig(const fs::path& path) {
  std::vector<ImageMapping> out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    for (const auto& e : root["images"]) {
      ImageMapping m;
      m.pattern = e["image"].as<std::string>();
      if (e["root"]) m.root = e["root"].as<std::string>();
      if (e["workdir"]) m.workdir = e["workdir"].as<std::string>();
      for (const auto& mount : e["mounts"]) {
        std::string s = mount.as<std::string>();
        size_t colon = s.find(':');
        if (colon == std::string::npos) {
          return InvalidArgument(path.string() + ": mount \"" + s + "\": expected host:sandbox");
        }
        m.mounts.emplace_back(s.substr(0, colon), s.substr(colon + 1));
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
  std::map<uint64_t, pid_t> running;  // guarded by mu: token -> process group
  std::map<uint64_t, bool> aborted;   // guarded by mu
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

  void Run(AttemptSpec spec, Completion done);
};

ProcessRuntime::ProcessRuntime(ProcessRuntimeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

ProcessRuntime::~ProcessRuntime() {
  std::vector<Impl::Worker> workers;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [token, pid] : impl_->running) {
      impl_->aborted[token] = true;
      ::kill(-pid, SIGKILL);
    }
    workers.swap(impl_->workers);
  }
  for (auto& w : workers) w.thread.join();
}

bool ProcessRuntime::CanRun(const core::TaskTemplate& task) const { return task.has_container(); }

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

Status ProcessRuntime::Start(AttemptSpec spec, Completion done) {
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
  std::thread t([this, finished, spec = std::move(spec), done = std::move(done)]() mutable {
    impl_->Run(std::move(spec), std::move(done));
    finished->store(true);
  });
  workers.push_back({std::move(t), finished});
  return Status::Ok();
}

void ProcessRuntime::Abort(const AttemptId& id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->aborted[id.token] = true;
  auto it = impl_->running.find(id.token);
  if (it != impl_->running.end()) ::kill(-it->second, SIGKILL);  // the whole process tree
}

void ProcessRuntime::Impl::Run(AttemptSpec spec, Completion done) {
  const core::TaskTemplate& task = *spec.task;
  const core::Container& c = task.container();
  auto fail = [&](std::string code, std::string message, bool retryable,
                  core::ExecutionError::ErrorKind kind = core::ExecutionError::USER) {
    done(spec.id, TaskError{kind, std::move(code), std::move(message), retryable});
  };
  const std::string data_dir = spec.data_dir.string();
  const std::string out_dir = spec.output_dir.string();
  const std::string raw = out_dir + "/raw";
  std::error_code ec;
  fs::create_directories(raw + "/_flytecheckpoints", ec);
  fs::create_directories(out_dir + "/work", ec);
  (void)idl::WriteMessage(data_dir + "/task.pb", task, idl::Format::kBinary);

  // Copilot: inputs as files at input_path, outputs read from output_path.
  const auto& dc = c.data_config();
  const bool copilot = dc.enabled();
  const std::string in_path = dc.input_path().empty() ? "/var/flyte/inputs" : dc.input_path();
  const std::string out_path = dc.output_path().empty() ? "/var/flyte/outputs" : dc.output_path();
  const std::string host_in = out_dir + "/copilot/inputs", host_out = out_dir + "/copilot/outputs";
  if (copilot) {
    fs::create_directories(host_out, ec);
    Status st = internal::MaterializeInputs(*spec.inputs, host_in,
                                            options.sandbox ? in_path : host_in, dc.format());
    if (!st.ok()) return fail("InputDownloadFailed", st.message(), false);
  }

  TemplateVars vars;
  vars.input = data_dir + "/inputs.pb";
  vars.input_prefix = data_dir;
  vars.output_prefix = out_dir;
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
  std::vector<std::string> command;
  for (const auto* list : {&c.command(), &c.args()}) {
    for (const std::string& part : *list) {
      auto rendered = internal::RenderTemplate(part, vars);
      if (!rendered.ok()) return fail("FailedToBuildResource", rendered.status().message(), false);
      std::string arg = std::move(rendered).value();
      if (copilot && !options.sandbox) {
        // Unsandboxed, the declared paths do not exist: point the command at
        // the host directories instead (wherever the paths appear in it).
        for (const auto& [from, to] :
             {std::pair{in_path, host_in}, std::pair{out_path, host_out}}) {
          for (size_t pos = arg.find(from); pos != std::string::npos;
               pos = arg.find(from, pos + to.size())) {
            arg.replace(pos, from.size(), to);
          }
        }
      }
      command.push_back(std::move(arg));
    }
  }
  if (command.empty()) return fail("FailedToBuildResource", "the container has no command", false);

  // The environment: clean, plus the container's and Flyte's own variables.
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
  for (const auto& kv : c.env()) env.emplace_back(kv.key(), kv.value());

  const ImageMapping* image = ImageFor(c.image());
  std::string workdir =
      image != nullptr && !image->workdir.empty() ? image->workdir : out_dir + "/work";
  std::vector<std::string> argv;
  if (options.sandbox) {
    const fs::path root = image != nullptr ? image->root : fs::path("/");
    argv = {options.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"};
    auto cfg = task.config().find("flytecpp.network");
    if (cfg == task.config().end() || cfg->second != "true") argv.push_back("--unshare-net");
    // A read-only root built entry by entry: directories on the way to a
    // path the attempt needs are tmpfs (so mount points can be made) with
    // their other entries bound back read-only.
    std::vector<std::string> targets = {data_dir, out_dir, workdir};
    if (copilot) targets.insert(targets.end(), {in_path, out_path});
    if (image != nullptr) {
      for (const auto& [host, inside] : image->mounts) targets.push_back(inside);
    }
    BuildRoot(root, "", targets, &argv);
    argv.insert(argv.end(), {"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"});
    argv.insert(argv.end(), {"--ro-bind", data_dir, data_dir, "--bind", out_dir, out_dir});
    if (copilot)
      argv.insert(argv.end(), {"--ro-bind", host_in, in_path, "--bind", host_out, out_path});
    if (image != nullptr) {
      for (const auto& [host, inside] : image->mounts)
        argv.insert(argv.end(), {"--ro-bind", host.string(), inside});
    }
    argv.insert(argv.end(), {"--chdir", workdir, "--clearenv"});
    for (const auto& [k, v] : env) argv.insert(argv.end(), {"--setenv", k, v});
    argv.push_back("--");
  } else if (image != nullptr && !image->workdir.empty()) {
    // Unsandboxed, a workdir that is a mount target is that host directory.
    for (const auto& [host, inside] : image->mounts) {
      if (inside == image->workdir) workdir = host.string();
    }
  }
  argv.insert(argv.end(), command.begin(), command.end());

  // Limits: a per-attempt cgroup the process joins before it runs anything
  // (see the gate below); memory falls back to RLIMIT_AS where no memory
  // cgroup can be made. See docs/runtime.md.
  std::optional<uint64_t> memory;
  std::optional<double> cpu;
  for (const auto& l : c.resources().limits()) {
    if (l.name() == core::Resources::MEMORY) memory = Bytes(l.value());
    if (l.name() == core::Resources::CPU) cpu = Cores(l.value());
  }
  static std::atomic<uint64_t> cgroups_made{0};
  AttemptCgroup cgroup(
      "flytecpp-" + std::to_string(::getpid()) + "-" + std::to_string(++cgroups_made), cpu, memory);
  const std::optional<uint64_t> address_space = cgroup.limits_memory() ? std::nullopt : memory;
  int gate[2] = {-1, -1};
  if (!cgroup.empty() && ::pipe2(gate, O_CLOEXEC) != 0) gate[0] = gate[1] = -1;

  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> envs;
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> cenv;
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const std::string out_log = out_dir + "/stdout.log", err_log = out_dir + "/stderr.log";
  int out_fd = ::open(out_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const std::string cwd = options.sandbox ? out_dir : workdir;

  pid_t pid;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (aborted[spec.id.token]) {
      ::close(out_fd);
      ::close(err_fd);
      return;
    }
    pid = ::fork();
    if (pid == 0) {
      // Child: only async-signal-safe calls from here on.
      ::setpgid(0, 0);
      if (gate[0] >= 0) {  // wait until the parent has put us in the cgroup
        char c;
        ssize_t n;
        ::close(gate[1]);
        while ((n = ::read(gate[0], &c, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) ::_exit(125);  // not placed: the limits would not hold
      }
      if (address_space) {
        struct rlimit rl = {*address_space, *address_space};
        ::setrlimit(RLIMIT_AS, &rl);
      }
      ::dup2(out_fd, 1);
      ::dup2(err_fd, 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      if (options.sandbox) {
        ::execvp(cargv[0], cargv.data());
      } else {
        ::execvpe(cargv[0], cargv.data(), cenv.data());
      }
      const char msg[] = "flytecpp: cannot execute the task command\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    if (pid > 0) running[spec.id.token] = pid;
  }
  ::close(out_fd);
  ::close(err_fd);
  std::optional<std::string> unjoined;  // the cgroup the task could not be moved into
  if (gate[0] >= 0) {
    if (pid > 0) {
      unjoined = cgroup.Join(pid);
      if (!unjoined) (void)!::write(gate[1], "x", 1);
    }
    ::close(gate[0]);
    ::close(gate[1]);
  }
  if (pid < 0)
    return fail("RuntimeStartFailed", std::strerror(errno), true, core::ExecutionError::SYSTEM);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // nothing of the attempt outlives it
  const bool oom_killed = cgroup.OomKilled();
  cgroup.Remove();
  {
    std::lock_guard<std::mutex> lock(mu);
    running.erase(spec.id.token);
    if (aborted[spec.id.token]) return;  // the engine no longer waits for it
  }
  if (unjoined) {
    return fail("ResourceLimitsNotApplied",
                "cannot move the task into its cgroup " + *unjoined + ", so it was not started",
                true, core::ExecutionError::SYSTEM);
  }

  // An error document beats everything (the flytekit protocol).
  core::ErrorDocument doc;
  if (idl::ReadMessage(out_dir + "/error.pb", &doc, idl::Format::kBinary).ok()) {
    return done(spec.id, TaskError{doc.error().origin() == core::ExecutionError::SYSTEM
                                       ? core::ExecutionError::SYSTEM
                                       : core::ExecutionError::USER,
                                   doc.error().code(), doc.error().message(),
                                   doc.error().kind() == core::ContainerError::RECOVERABLE});
  }
  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean_exit && oom_killed) {
    return fail("OOMKilled",
                "the task was killed for exceeding its memory limit: " + Tail(err_log, 400), true);
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGKILL) {
      return fail("Interrupted", "the task was killed (SIGKILL)", true,
                  core::ExecutionError::SYSTEM);
    }
    return fail(
        "ContainerSignaled",
        std::string("the task died of signal ") + strsignal(sig) + ": " + Tail(err_log, 400), true);
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0) {
    std::string tail = Tail(err_log, 400);
    // Under RLIMIT_AS allocations fail inside the task instead; recognise
    // the usual ways programs report that.
    if (address_space && (tail.find("MemoryError") != std::string::npos ||
                          tail.find("Cannot allocate memory") != std::string::npos ||
                          tail.find("bad_alloc") != std::string::npos ||
                          tail.find("cannot allocate") != std::string::npos ||
                          tail.find("out of memory") != std::string::npos)) {
      return fail("OOMKilled", "the task ran out of its memory limit: " + tail, true);
    }
    return fail("ContainerFailed", "exit code " + std::to_string(code) + ": " + tail, true);
  }
  if (copilot) return done(spec.id, internal::CollectOutputs(task.interface(), host_out, raw));
  core::LiteralMap outputs;
  Status st = idl::ReadMessage(out_dir + "/outputs.pb", &outputs, idl::Format::kBinary);
  if (!st.ok() && task.interface().outputs().variables_size() > 0) {
    return fail("OutputsNotFound",
                "outputs not generated by the task (no " + out_dir + "/outputs.pb)", true);
  }
  done(spec.id, std::move(outputs));
}

}  // namespace flytecpp::runtime
