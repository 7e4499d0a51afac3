// Slurm as the process runtime's launcher: each attempt is one batch job
// whose script starts the prepared (sandboxed) command with exactly its
// environment; one thread follows every job in flight with one `squeue
// --json` per interval (never one query per job, never a human-readable
// table), and wakes the attempts whose jobs ended.
#include "flytecpp/runtime/slurm.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "spawn.h"

namespace flytecpp::runtime {

namespace {

constexpr char kHandlePrefix[] = "slurm:";

// `s` as one word for /bin/sh.
std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string FirstLine(std::string text) {
  text = text.substr(0, text.find('\n'));
  return text.empty() ? "(no message)" : text;
}

// Runs a Slurm command; its standard output. A command that fails is an
// error with the first line it printed on stderr.
Result<std::string> RunTool(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return IoError("cannot run " + argv[0] + ": no pipe");
  }
  internal::SpawnRequest request;
  request.argv = argv;
  const char* path = std::getenv("PATH");
  request.search_path = path != nullptr ? path : "/usr/bin:/bin";
  request.cwd = "/";
  request.stdout_fd = out[1];
  request.stderr_fd = err[1];
  auto pid = internal::Spawn(request);
  ::close(out[1]);
  ::close(err[1]);
  std::string text, errors;
  if (pid.ok()) {
    char buf[65536];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      errors.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  if (!pid.ok()) return pid.status().WithContext("cannot run " + argv[0]);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return FailedPrecondition(argv[0] + ": " + FirstLine(errors));
  }
  return text;
}

// What Slurm's end state `state` (with its wait status) means for the attempt.
std::optional<AttemptLauncher::End> EndOf(const std::string& state, int exit_code, int64_t job) {
  AttemptLauncher::End end;
  end.wait_status = exit_code;
  const std::string id = "job " + std::to_string(job);
  if (state == "COMPLETED") return end;
  if (state == "FAILED") {
    if (end.wait_status == 0) end.wait_status = 1 << 8;
    return end;
  }
  if (state == "OUT_OF_MEMORY") {
    end.oom_killed = true;
    if (end.wait_status == 0) end.wait_status = SIGKILL;
    return end;
  }
  if (state == "TIMEOUT") {
    end.failure = TaskError{core::ExecutionError::USER, "TimeoutExpired",
                            "Slurm ended " + id + " at its time limit", true};
    return end;
  }
  if (state == "CANCELLED") {
    end.failure = TaskError{core::ExecutionError::SYSTEM, "JobCancelled",
                            id + " was cancelled outside flytecpp (scancel)", true};
    return end;
  }
  if (state == "NODE_FAIL" || state == "PREEMPTED" || state == "BOOT_FAIL" || state == "DEADLINE" ||
      state == "REVOKED") {
    end.failure = TaskError{core::ExecutionError::SYSTEM, "Slurm" + state,
                            id + " ended " + state + " (its node, not the task)", true};
    return end;
  }
  return std::nullopt;  // PENDING, RUNNING, COMPLETING, SUSPENDED, …
}

class SlurmLauncher : public AttemptLauncher {
 public:
  explicit SlurmLauncher(SlurmOptions options) : options_(std::move(options)) {}
  ~SlurmLauncher() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (poller_.joinable()) poller_.join();
  }

  Result<std::string> Launch(const Request& r) override {
    // The job's script: the command with exactly its environment (secrets
    // included: owner-only, in the attempt's private directory).
    std::error_code ec;
    std::filesystem::create_directories(r.private_dir, ec);
    std::filesystem::permissions(r.private_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    const std::string script = r.private_dir + "/slurm-job.sh";
    {
      const int fd = ::open(script.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
      if (fd < 0) return IoError(script + ": cannot write the job script");
      std::string text = "#!/bin/sh\nexec /usr/bin/env -i";
      for (const auto& [k, v] : r.env) text += " " + Quoted(k + "=" + v);
      for (const auto& a : r.argv) text += " " + Quoted(a);
      text += "\n";
      const bool written =
          ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ::close(fd);
      if (!written) return IoError(script + ": cannot write the job script");
    }
    std::vector<std::string> argv = {options_.sbatch,
                                     "--parsable",
                                     "--job-name=flytecpp:" + r.name,
                                     "--output=" + r.stdout_path,
                                     "--error=" + r.stderr_path,
                                     "--chdir=" + r.cwd,
                                     "--export=NONE"};
    if (r.cpu) {
      argv.push_back("--cpus-per-task=" +
                     std::to_string(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(*r.cpu)))));
    }
    if (r.memory) {
      argv.push_back("--mem=" + std::to_string(std::max<uint64_t>(1, *r.memory >> 20)) + "M");
    }
    if (r.gpus > 0) argv.push_back("--gres=gpu:" + std::to_string(r.gpus));
    if (r.time_limit) {
      const auto s = r.time_limit->count();  // Slurm: minutes:seconds
      argv.push_back("--time=" + std::to_string(s / 60) + ":" + std::to_string(s % 60));
    }
    const bool preemptible = r.interruptible && (!options_.interruptible_partition.empty() ||
                                                 !options_.interruptible_qos.empty());
    const std::string& partition = preemptible && !options_.interruptible_partition.empty()
                                       ? options_.interruptible_partition
                                       : options_.partition;
    const std::string& qos = preemptible && !options_.interruptible_qos.empty()
                                 ? options_.interruptible_qos
                                 : options_.qos;
    if (!partition.empty()) argv.push_back("--partition=" + partition);
    if (!options_.account.empty()) argv.push_back("--account=" + options_.account);
    if (!qos.empty()) argv.push_back("--qos=" + qos);
    argv.push_back(script);
    FLYTECPP_ASSIGN_OR_RETURN(std::string out, RunTool(argv));
    // "<id>" or "<id>;<cluster>".
    int64_t job = 0;
    try {
      job = std::stoll(out.substr(0, out.find(';')));
    } catch (...) {
    }
    if (job <= 0) return Internal("sbatch --parsable printed no job id: " + FirstLine(out));
    std::lock_guard lock(mu_);
    jobs_[job];  // followed from now on
    if (!poller_.joinable()) poller_ = std::thread([this] { Poll(); });
    wake_.notify_all();
    return kHandlePrefix + std::to_string(job);
  }

  End Wait(const std::string& handle) override {
    const int64_t job = JobOf(handle);
    std::unique_lock lock(mu_);
    if (job <= 0) {
      End lost;
      lost.failure = TaskError{core::ExecutionError::SYSTEM, "JobLost",
                               "not a Slurm job handle: " + handle, true};
      return lost;
    }
    auto& state = jobs_[job];
    if (!poller_.joinable()) poller_ = std::thread([this] { Poll(); });
    wake_.notify_all();
    ended_.wait(lock, [&] { return jobs_[job].end.has_value() || stopping_; });
    if (!jobs_[job].end) {
      End stopped;
      stopped.failure =
          TaskError{core::ExecutionError::SYSTEM, "Interrupted",
                    "the engine stopped while job " + std::to_string(job) + " ran", true};
      return stopped;
    }
    End end = *state.end;
    jobs_.erase(job);
    return end;
  }

  void Cancel(const std::string& handle) override {
    const int64_t job = JobOf(handle);
    if (job > 0) (void)RunTool({options_.scancel, std::to_string(job)});
  }

 private:
  struct Job {
    std::optional<End> end;
    int missing = 0;  // polls that did not list it
  };

  static int64_t JobOf(const std::string& handle) {
    if (handle.rfind(kHandlePrefix, 0) != 0) return 0;
    try {
      return std::stoll(handle.substr(std::strlen(kHandlePrefix)));
    } catch (...) {
      return 0;
    }
  }

  // Every interval: one squeue for all the jobs in flight.
  void Poll() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      bool waiting = false;
      for (const auto& [id, job] : jobs_) waiting = waiting || !job.end;
      if (!waiting) {
        wake_.wait(lock);
        continue;
      }
      lock.unlock();
      auto text = RunTool({options_.squeue, "--json", "--states=all", "--me"});
      google::protobuf::Struct listing;
      const bool parsed =
          text.ok() && google::protobuf::util::JsonStringToMessage(*text, &listing).ok();
      lock.lock();
      if (parsed) Update(listing);
      wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
    }
  }

  // REQUIRES: mu_.
  void Update(const google::protobuf::Struct& listing) {
    std::map<int64_t, std::pair<std::string, int>> seen;  // id -> (state, wait status)
    auto jobs = listing.fields().find("jobs");
    if (jobs != listing.fields().end()) {
      for (const auto& j : jobs->second.list_value().values()) {
        const auto& f = j.struct_value().fields();
        auto id = f.find("job_id"), state = f.find("job_state"), code = f.find("exit_code");
        if (id == f.end() || state == f.end()) continue;
        seen[static_cast<int64_t>(id->second.number_value())] = {
            state->second.string_value(),
            code == f.end() ? 0 : static_cast<int>(code->second.number_value())};
      }
    }
    bool any = false;
    for (auto& [id, job] : jobs_) {
      if (job.end) continue;
      auto it = seen.find(id);
      if (it == seen.end()) {
        // Gone from the controller (purged after MinJobAge, or never known).
        if (++job.missing >= 3) {
          End lost;
          lost.failure =
              TaskError{core::ExecutionError::SYSTEM, "JobLost",
                        "job " + std::to_string(id) + " is no longer known to Slurm", true};
          job.end = lost;
          any = true;
        }
        continue;
      }
      job.missing = 0;
      if (auto end = EndOf(it->second.first, it->second.second, id)) {
        job.end = std::move(end);
        any = true;
      }
    }
    if (any) ended_.notify_all();
  }

  SlurmOptions options_;
  std::mutex mu_;
  std::condition_variable wake_, ended_;
  std::map<int64_t, Job> jobs_;  // guarded by mu_: followed until their Wait returns
  bool stopping_ = false;        // guarded by mu_
  std::thread poller_;
};

}  // namespace

Result<SlurmOptions> LoadSlurmConfig(const std::filesystem::path& path, bool* configured) {
  SlurmOptions out;
  if (configured != nullptr) *configured = false;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  try {
    const YAML::Node slurm = YAML::LoadFile(path.string())["slurm"];
    if (!slurm) return out;
    if (!slurm.IsMap()) return InvalidArgument(path.string() + ": slurm: expected a map");
    if (configured != nullptr) *configured = true;
    const std::map<std::string, std::string*> text = {
        {"partition", &out.partition},
        {"account", &out.account},
        {"qos", &out.qos},
        {"interruptible_partition", &out.interruptible_partition},
        {"interruptible_qos", &out.interruptible_qos}};
    const std::map<std::string, std::vector<std::string>*> lists = {{"task_types", &out.task_types},
                                                                    {"images", &out.images}};
    for (const auto& field : slurm) {
      const std::string key = field.first.as<std::string>();
      if (auto t = text.find(key); t != text.end()) {
        *t->second = field.second.as<std::string>();
      } else if (auto l = lists.find(key); l != lists.end()) {
        if (!field.second.IsSequence()) {
          return InvalidArgument(path.string() + ": slurm." + key + ": expected a list");
        }
        *l->second = field.second.as<std::vector<std::string>>();
      } else {
        return InvalidArgument(path.string() + ": slurm." + key +
                               ": unknown field (partition, account, qos, "
                               "interruptible_partition, interruptible_qos, task_types, images)");
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path.string() + ": " + e.what());
  }
  return out;
}

std::shared_ptr<AttemptLauncher> MakeSlurmLauncher(SlurmOptions options) {
  return std::make_shared<SlurmLauncher>(std::move(options));
}

bool SelectedForSlurm(const SlurmOptions& options, const core::TaskTemplate& task) {
  auto config = task.config().find("flytecpp.runtime");
  if (config != task.config().end()) return config->second == "slurm";
  for (const auto& type : options.task_types) {
    if (type == task.type()) return true;
  }
  const std::string& image = task.has_container() ? task.container().image() : std::string();
  for (const auto& glob : options.images) {
    if (!image.empty() && fnmatch(glob.c_str(), image.c_str(), 0) == 0) return true;
  }
  return false;
}

std::unique_ptr<ProcessRuntime> MakeSlurmRuntime(ProcessRuntimeOptions base, SlurmOptions slurm,
                                                 bool all) {
  base.name = "slurm";
  if (!all) {
    base.selects = [slurm](const core::TaskTemplate& task) {
      return SelectedForSlurm(slurm, task);
    };
  }
  base.launcher = MakeSlurmLauncher(std::move(slurm));
  return std::make_unique<ProcessRuntime>(std::move(base));
}

Status CheckSlurm(const SlurmOptions& options) {
  // Slurm's commands retry a missing config for a minute: say it at once.
  if (const char* conf = std::getenv("SLURM_CONF"); conf != nullptr && *conf != '\0') {
    std::error_code ec;
    if (!std::filesystem::exists(conf, ec)) {
      return FailedPrecondition(std::string("SLURM_CONF=") + conf + ": no such file");
    }
  }
  auto out = RunTool({options.squeue, "--json", "--me"});
  if (!out.ok()) {
    return FailedPrecondition("the Slurm controller does not answer (" + out.status().message() +
                              "); is SLURM_CONF right?");
  }
  return Status::Ok();
}

}  // namespace flytecpp::runtime
