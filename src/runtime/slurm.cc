// Slurm as the process runtime's launcher: each attempt is one batch job
// (array elements: one job array) whose script starts the prepared
// (sandboxed) command with exactly its environment. One thread does all of
// it: submits what was asked for (an array batch once whole), cancels, and
// follows every job in flight with one `squeue` per interval (never one
// query per job, in fields and a separator of our choosing, never a
// human-readable table), telling each attempt's watcher when its job ended.
// Nothing waits on a thread of its own.
#include "flytecpp/runtime/slurm.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "flytecpp/util/find_program.h"
#include "flytecpp/util/process.h"

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

// Runs a Slurm command; its standard output (util/process.h).
Result<std::string> RunTool(const std::vector<std::string>& argv) { return RunProgram(argv); }

// What Slurm's end state `state` (with its wait status) means for the attempt.
std::optional<AttemptLauncher::End> EndOf(const std::string& state, int exit_code,
                                          const std::string& job) {
  AttemptLauncher::End end;
  end.wait_status = exit_code;
  const std::string id = "job " + job;
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
                            id + " was cancelled outside flytecpp (scancel; Slurm's accounting "
                                 "does not say by whom)",
                            true};
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

// A job, or one task of a job array: (job id, task id or -1).
using JobKey = std::pair<int64_t, int64_t>;

std::string HandleOf(const JobKey& key) {
  return kHandlePrefix + std::to_string(key.first) +
         (key.second >= 0 ? "_" + std::to_string(key.second) : "");
}

// "slurm:<job>" or "slurm:<job>_<task>"; job 0 if it is neither.
JobKey KeyOf(const std::string& handle) {
  if (handle.rfind(kHandlePrefix, 0) != 0) return {0, -1};
  const std::string id = handle.substr(std::strlen(kHandlePrefix));
  try {
    const size_t underscore = id.find('_');
    size_t used = 0;
    const int64_t job = std::stoll(id.substr(0, underscore), &used);
    if (used != id.substr(0, underscore).size()) return {0, -1};
    if (underscore == std::string::npos) return {job, -1};
    const int64_t task = std::stoll(id.substr(underscore + 1), &used);
    if (used != id.size() - underscore - 1 || task < 0) return {0, -1};
    return {job, task};
  } catch (...) {
    return {0, -1};
  }
}

// Sorted task ids as Slurm's --array list: "0-9,12,15-20".
std::string ArrayList(const std::vector<int64_t>& ids) {
  std::string out;
  for (size_t k = 0; k < ids.size();) {
    size_t last = k;
    while (last + 1 < ids.size() && ids[last + 1] == ids[last] + 1) ++last;
    out += (out.empty() ? "" : ",") + std::to_string(ids[k]) +
           (last > k ? "-" + std::to_string(ids[last]) : "");
    k = last + 1;
  }
  return out;
}

// Writes an owner-only script.
Status WriteScript(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  if (fd < 0) return IoError(path + ": cannot write the job script");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return written ? Status::Ok() : IoError(path + ": cannot write the job script");
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
    CancelNow(std::move(cancels_));  // asked for, not yet done
    // Whoever still waits hears why.
    for (auto& submission : singles_) {
      submission.launched(Aborted("the engine stopped before the job was submitted"));
    }
    for (auto& [name, g] : gathering_) {
      for (auto& submission : g.parts) {
        submission.launched(Aborted("the engine stopped before the job was submitted"));
      }
    }
    for (auto& [key, job] : jobs_) {
      if (!job.watcher) continue;
      End stopped;
      stopped.failure = TaskError{core::ExecutionError::SYSTEM, "Interrupted",
                                  "the engine stopped while job " + Id(key) + " ran", true};
      job.watcher(std::move(stopped));
    }
  }

  bool runs_arrays() const override { return true; }

  void Launch(Request r, std::function<void(Result<std::string>)> launched) override {
    {
      std::lock_guard lock(mu_);
      if (r.array_batch.empty() || r.array_index < 0) {
        singles_.push_back({std::move(r), std::move(launched)});
      } else {
        Gathering& g = gathering_[r.array_batch];
        g.size = r.array_batch_size;
        g.last = std::chrono::steady_clock::now();
        g.parts.push_back({std::move(r), std::move(launched)});
      }
      StartPolling();
    }
    wake_.notify_all();
  }

  void Watch(const std::string& handle, std::function<void(End)> ended) override {
    const JobKey key = KeyOf(handle);
    if (key.first <= 0) {
      End lost;
      lost.failure = TaskError{core::ExecutionError::SYSTEM, "JobLost",
                               "not a Slurm job handle: " + handle, true};
      return ended(std::move(lost));
    }
    std::optional<End> now;
    {
      std::lock_guard lock(mu_);
      Job& job = jobs_[key];
      if (job.end) {
        now = std::move(job.end);
        jobs_.erase(key);
        cancelled_.erase(key);
      } else {
        job.watcher = std::move(ended);
        StartPolling();
      }
    }
    if (now) ended(std::move(*now));  // ended before anyone watched
    wake_.notify_all();
  }

  // Batched: the poller cancels everything asked for since its last turn
  // with one scancel, so aborting a large array does not hold the engine.
  void Cancel(const std::string& handle) override {
    const JobKey key = KeyOf(handle);
    if (key.first <= 0) return;
    {
      std::lock_guard lock(mu_);
      cancels_.push_back(key);
      cancelled_.insert(key);
      StartPolling();
    }
    wake_.notify_all();
  }

 private:
  struct Job {
    std::optional<End> end;
    std::function<void(End)> watcher;  // told once it ended
    int missing = 0;                   // polls that did not list it
    int who_asked = 0;                 // cancelled outside: times accounting was asked who did it
  };
  // A request, and who hears its handle.
  struct Submission {
    Request request;
    std::function<void(Result<std::string>)> launched;
  };
  // Requests of one array batch, gathered until the batch is whole.
  struct Gathering {
    std::vector<Submission> parts;
    int64_t size = 0;                            // how many the batch has
    std::chrono::steady_clock::time_point last;  // the latest arrival
    bool Due(std::chrono::steady_clock::time_point now) const {
      return static_cast<int64_t>(parts.size()) >= size || now - last >= kGatherWait;
    }
  };
  // How long a batch waits for its stragglers (elements the engine held
  // back, e.g. for the execution's max parallelism) before it is submitted
  // without them; they follow in a batch of their own.
  static constexpr std::chrono::milliseconds kGatherWait{300};

  static std::string Id(const JobKey& key) {
    return std::to_string(key.first) + (key.second >= 0 ? "_" + std::to_string(key.second) : "");
  }

  // The attempt's command with exactly its environment (secrets included:
  // owner-only, in its private directory). An array element's script also
  // sends its output to the attempt's logs and enters its directory, which
  // sbatch does for a single job.
  Result<std::string> WriteElementScript(const Request& r, bool array_element) {
    std::error_code ec;
    std::filesystem::create_directories(r.private_dir, ec);
    std::filesystem::permissions(r.private_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    const std::string script = r.private_dir + "/slurm-job.sh";
    std::string text = "#!/bin/sh\n";
    if (array_element) {
      text += "exec >" + Quoted(r.stdout_path) + " 2>" + Quoted(r.stderr_path) + "\n";
      text += "cd " + Quoted(r.cwd) + " || exit 1\n";
    }
    text += "exec /usr/bin/env -i";
    for (const auto& [k, v] : r.env) text += " " + Quoted(k + "=" + v);
    for (const auto& a : r.argv) text += " " + Quoted(a);
    text += "\n";
    FLYTECPP_RETURN_IF_ERROR(WriteScript(script, text));
    return script;
  }

  // sbatch and the options every job of `r`'s task gets.
  std::vector<std::string> SbatchOptions(const Request& r) const {
    std::vector<std::string> argv = {options_.sbatch, "--parsable", "--job-name=flytecpp:" + r.name,
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
    return argv;
  }

  // Runs sbatch; the job id it printed ("<id>" or "<id>;<cluster>").
  static Result<int64_t> Submit(const std::vector<std::string>& argv) {
    FLYTECPP_ASSIGN_OR_RETURN(std::string out, RunTool(argv));
    int64_t job = 0;
    try {
      job = std::stoll(out.substr(0, out.find(';')));
    } catch (...) {
    }
    if (job <= 0) return Internal("sbatch --parsable printed no job id: " + FirstLine(out));
    return job;
  }

  // Followed from now on; its handle.
  std::string Follow(const JobKey& key) {
    std::lock_guard lock(mu_);
    jobs_[key];
    return HandleOf(key);
  }

  // A job on its own; its handle.
  Result<std::string> SubmitSingle(const Request& r) {
    FLYTECPP_ASSIGN_OR_RETURN(std::string script, WriteElementScript(r, false));
    std::vector<std::string> argv = SbatchOptions(r);
    argv.insert(argv.end(), {"--output=" + r.stdout_path, "--error=" + r.stderr_path,
                             "--chdir=" + r.cwd, script});
    FLYTECPP_ASSIGN_OR_RETURN(int64_t job, Submit(argv));
    return Follow({job, -1});
  }

  // REQUIRES: mu_.
  void StartPolling() {
    if (!poller_.joinable() && !stopping_) poller_ = std::thread([this] { Poll(); });
  }

  // Submits gathered elements as job arrays, `--array=<ids>%<parallelism>`:
  // one, unless the elements are more (or spread wider) than the cluster's
  // MaxArraySize allows, in which case the parallelism is shared among the
  // parts. Task ids are the element indices where they fit, else offsets
  // from the part's first element. A handle (or the error) per request.
  std::vector<Result<std::string>> SubmitArray(const std::vector<const Request*>& requests) {
    std::vector<size_t> order(requests.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return requests[a]->array_index < requests[b]->array_index;
    });
    const int64_t max_size = MaxArraySize();
    std::vector<std::vector<size_t>> parts;
    for (size_t k : order) {
      if (parts.empty() || static_cast<int64_t>(parts.back().size()) >= max_size ||
          requests[k]->array_index - requests[parts.back().front()]->array_index >= max_size) {
        parts.emplace_back();
      }
      parts.back().push_back(k);
    }
    std::vector<Result<std::string>> handles(requests.size(), Internal("not submitted"));
    const int64_t parallelism = requests.front()->array_parallelism;
    for (const auto& part : parts) {
      const int64_t last = requests[part.back()]->array_index;
      const int64_t base = last < max_size ? 0 : requests[part.front()]->array_index;
      std::vector<int64_t> ids;
      std::string cases;
      Status failed = Status::Ok();
      for (size_t k : part) {
        auto script = WriteElementScript(*requests[k], true);
        if (!script.ok()) {
          failed = script.status();
          break;
        }
        ids.push_back(requests[k]->array_index - base);
        cases += "  " + std::to_string(ids.back()) + ") exec /bin/sh " + Quoted(*script) + " ;;\n";
      }
      Result<int64_t> job = Internal("not submitted");
      if (!failed.ok()) {
        job = failed;
      } else {
        // The array's own script picks the element's by task id; Slurm
        // keeps a copy, so it may live with the first element.
        const std::string script = requests[part.front()]->private_dir + "/slurm-array.sh";
        Status written =
            WriteScript(script, "#!/bin/sh\ncase \"$SLURM_ARRAY_TASK_ID\" in\n" + cases +
                                    "esac\necho \"flytecpp: array task $SLURM_ARRAY_TASK_ID has no "
                                    "element\" >&2\nexit 1\n");
        std::string list = ArrayList(ids);
        if (parallelism > 0) {
          list += "%" + std::to_string(
                            std::max<int64_t>(1, parallelism / static_cast<int64_t>(parts.size())));
        }
        std::vector<std::string> argv = SbatchOptions(*requests[part.front()]);
        argv.insert(argv.end(), {"--array=" + list, "--output=/dev/null", "--error=/dev/null",
                                 "--chdir=/", script});
        job = written.ok() ? Submit(argv) : Result<int64_t>(written);
      }
      for (size_t n = 0; n < part.size(); ++n) {
        handles[part[n]] = job.ok() ? Result<std::string>(Follow({*job, ids[n]}))
                                    : Result<std::string>(job.status());
      }
    }
    return handles;
  }

  // The cluster's MaxArraySize (task ids are below it): the configured
  // value, else the controller's, else Slurm's default.
  int64_t MaxArraySize() {
    if (options_.max_array_size > 0) return options_.max_array_size;
    {
      std::lock_guard lock(mu_);
      if (max_array_size_ > 0) return max_array_size_;
    }
    int64_t size = 1001;
    // `scontrol show config` prints "Key = value" lines. Asked without the
    // lock: the poller goes on meanwhile.
    auto text = RunTool({options_.scontrol, "show", "config"});
    if (text.ok()) {
      std::istringstream lines(*text);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("MaxArraySize", 0) != 0) continue;
        const size_t eq = line.find('=');
        try {
          if (eq != std::string::npos) size = std::max<int64_t>(1, std::stoll(line.substr(eq + 1)));
        } catch (...) {
        }
      }
    }
    std::lock_guard lock(mu_);
    max_array_size_ = size;
    return size;
  }

  // One scancel for all of `keys`.
  void CancelNow(std::vector<JobKey> keys) {
    if (keys.empty()) return;
    std::vector<std::string> argv = {options_.scancel};
    for (const auto& key : keys) argv.push_back(Id(key));
    (void)RunTool(argv);
  }

  // Every turn: what was asked to be submitted (array batches once whole,
  // or once their stragglers are late), the cancels asked for, then one
  // squeue for all the jobs in flight, whose ends go to their watchers.
  void Poll() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const auto now = std::chrono::steady_clock::now();
      std::deque<Submission> singles;
      singles.swap(singles_);
      std::vector<std::vector<Submission>> batches;
      std::optional<std::chrono::steady_clock::time_point> next_due;
      for (auto it = gathering_.begin(); it != gathering_.end();) {
        if (it->second.Due(now)) {
          batches.push_back(std::move(it->second.parts));
          it = gathering_.erase(it);  // later arrivals gather anew
        } else {
          const auto due = it->second.last + kGatherWait;
          if (!next_due || due < *next_due) next_due = due;
          ++it;
        }
      }
      std::vector<JobKey> cancels;
      cancels.swap(cancels_);
      std::set<int64_t> ids;  // an array's id stands for all its tasks
      for (const auto& [key, job] : jobs_) {
        if (!job.end) ids.insert(key.first);
      }
      if (singles.empty() && batches.empty() && cancels.empty() && ids.empty()) {
        if (next_due) {
          wake_.wait_until(lock, *next_due);
        } else {
          wake_.wait(lock);
        }
        continue;
      }
      lock.unlock();
      // Submitting (sbatch) takes its time: not under the lock.
      for (auto& single : singles) single.launched(SubmitSingle(single.request));
      for (auto& batch : batches) {
        std::vector<const Request*> requests;
        for (const auto& part : batch) requests.push_back(&part.request);
        std::vector<Result<std::string>> handles = SubmitArray(requests);
        for (size_t k = 0; k < batch.size(); ++k) batch[k].launched(std::move(handles[k]));
      }
      CancelNow(std::move(cancels));
      auto listing = ListJobs(ids);
      lock.lock();
      if (listing.ok()) {
        std::vector<JobKey> cancelled = Update(*listing);
        if (!cancelled.empty()) {
          lock.unlock();
          auto who = WhoCancelled(cancelled);
          lock.lock();
          SayWhoCancelled(cancelled, who);
        }
      }
      Deliver(lock);
      auto until = std::chrono::steady_clock::now() + options_.poll_interval;
      if (next_due && *next_due < until) until = *next_due;
      wake_.wait_until(lock, until, [&] {
        bool due = false;
        const auto t = std::chrono::steady_clock::now();
        for (const auto& [name, g] : gathering_) due = due || g.Due(t);
        return stopping_ || !cancels_.empty() || !singles_.empty() || due;
      });
    }
  }

  // Tells the watchers of the jobs that ended, without the lock.
  void Deliver(std::unique_lock<std::mutex>& lock) {
    std::vector<std::pair<std::function<void(End)>, End>> told;
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (it->second.end && it->second.watcher) {
        told.emplace_back(std::move(it->second.watcher), std::move(*it->second.end));
        cancelled_.erase(it->first);
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
    if (told.empty()) return;
    lock.unlock();
    for (auto& [watcher, end] : told) watcher(std::move(end));
    lock.lock();
  }

  // Who cancelled each of `keys`, from Slurm's accounting (`sacct
  // --json`): a user name per job it knows that of. Empty without
  // accounting.
  Result<std::map<JobKey, std::string>> WhoCancelled(const std::vector<JobKey>& keys) {
    std::string ids;
    for (const auto& key : keys) ids += (ids.empty() ? "" : ",") + Id(key);
    FLYTECPP_ASSIGN_OR_RETURN(std::string text, RunTool({options_.sacct, "--json", "-j", ids}));
    google::protobuf::Struct listing;
    if (!google::protobuf::util::JsonStringToMessage(text, &listing).ok()) {
      return Internal("sacct --json printed no JSON");
    }
    std::map<JobKey, std::string> out;
    auto jobs = listing.fields().find("jobs");
    if (jobs == listing.fields().end()) return out;
    for (const auto& j : jobs->second.list_value().values()) {
      const auto& f = j.struct_value().fields();
      auto user = f.find("kill_request_user"), id = f.find("job_id"), array = f.find("array");
      if (user == f.end() || user->second.string_value().empty() || id == f.end()) continue;
      JobKey key{static_cast<int64_t>(id->second.number_value()), -1};
      if (array != f.end()) {
        const auto& a = array->second.struct_value().fields();
        auto array_id = a.find("job_id"), task = a.find("task_id");
        if (array_id != a.end() && array_id->second.number_value() > 0 && task != a.end() &&
            task->second.kind_case() == google::protobuf::Value::kNumberValue) {
          key = {static_cast<int64_t>(array_id->second.number_value()),
                 static_cast<int64_t>(task->second.number_value())};
        }
      }
      out[key] = user->second.string_value();
    }
    return out;
  }

  // Ends the jobs `keys`, cancelled outside flytecpp, saying by whom where
  // accounting knows. It may record that a moment after the job ended: it
  // is asked again at the next polls, a few times.
  // REQUIRES: mu_.
  void SayWhoCancelled(const std::vector<JobKey>& keys,
                       const Result<std::map<JobKey, std::string>>& who) {
    for (const auto& key : keys) {
      auto job = jobs_.find(key);
      if (job == jobs_.end() || job->second.end) continue;
      std::optional<std::string> user;
      if (who.ok()) {
        if (auto it = who->find(key); it != who->end()) user = it->second;
      }
      if (user) {
        End end;
        end.failure = TaskError{
            core::ExecutionError::SYSTEM, "JobCancelled",
            "job " + Id(key) + " was cancelled by " + *user + " outside flytecpp (scancel)", true};
        job->second.end = std::move(end);
      } else if (!who.ok() || ++job->second.who_asked >= 10) {
        job->second.end = EndOf("CANCELLED", 0, Id(key));
      }
    }
  }

  // What Slurm says of the jobs (and job arrays) `ids`.
  struct Listing {
    std::map<JobKey, std::pair<std::string, int>> jobs;  // -> (state, wait status)
    std::set<int64_t> pending_arrays;  // arrays with tasks not started (listed as one)
  };

  // One squeue for all `ids`, in fields and a separator of our choosing
  // (`--Format`, no header). Not `squeue --json`: Slurm 22.05 ignores its
  // filters there and prints every job the controller knows, megabytes per
  // poll on a busy cluster. Its `exit_code` is a wait status.
  Result<Listing> ListJobs(const std::set<int64_t>& ids) const {
    Listing out;
    if (ids.empty()) return out;
    std::string list;
    for (int64_t id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    auto text = RunTool({options_.squeue, "--noheader", "--states=all", "--jobs=" + list,
                         "--Format=JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|"});
    if (!text.ok()) {
      // Every one of them purged: squeue refuses the list.
      if (text.status().message().find("Invalid job id") != std::string::npos) return out;
      return text.status();
    }
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> f;
      for (size_t start = 0, bar; (bar = line.find('|', start)) != std::string::npos;
           start = bar + 1) {
        f.push_back(line.substr(start, bar - start));
      }
      if (f.size() < 5) continue;
      try {
        const int64_t job = std::stoll(f[0]), array = std::stoll(f[1]);
        const std::string& task = f[2];
        if (task == "N/A") {
          out.jobs[{job, -1}] = {f[3], std::stoi(f[4])};
        } else if (!task.empty() && task.find_first_not_of("0123456789") == std::string::npos) {
          out.jobs[{array, std::stoll(task)}] = {f[3], std::stoi(f[4])};
        } else {
          out.pending_arrays.insert(array);  // "5-99%10": tasks not started
        }
      } catch (...) {
      }
    }
    return out;
  }

  // Reads the listing into the jobs followed; returns those cancelled
  // outside flytecpp, which end once accounting was asked who did it.
  // REQUIRES: mu_.
  std::vector<JobKey> Update(const Listing& listing) {
    const auto& seen = listing.jobs;
    const auto& pending_arrays = listing.pending_arrays;
    std::vector<JobKey> cancelled;
    for (auto& [key, job] : jobs_) {
      if (job.end) continue;
      auto it = seen.find(key);
      if (it == seen.end()) {
        if (key.second >= 0 && pending_arrays.count(key.first)) {
          job.missing = 0;  // not started yet
          continue;
        }
        // Gone from the controller (purged after MinJobAge, or never known).
        if (++job.missing >= 3) {
          End lost;
          lost.failure = TaskError{core::ExecutionError::SYSTEM, "JobLost",
                                   "job " + Id(key) + " is no longer known to Slurm", true};
          job.end = lost;
        }
        continue;
      }
      job.missing = 0;
      if (it->second.first == "CANCELLED" && !cancelled_.count(key)) {
        cancelled.push_back(key);
        continue;
      }
      if (auto end = EndOf(it->second.first, it->second.second, Id(key))) {
        job.end = std::move(end);
      }
    }
    return cancelled;
  }

  SlurmOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<JobKey, Job> jobs_;      // guarded by mu_: followed until their watchers are told
  std::deque<Submission> singles_;  // guarded by mu_: to submit
  std::map<std::string, Gathering> gathering_;  // guarded by mu_: open batches
  std::vector<JobKey> cancels_;                 // guarded by mu_: to do
  std::set<JobKey> cancelled_;  // guarded by mu_: cancelled by flytecpp, followed still
  int64_t max_array_size_ = 0;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread poller_;
};

}  // namespace

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

namespace {

// A file system of this machine's own disks or memory (statfs magic), which
// another machine cannot see.
std::optional<std::string> LocalFileSystem(const std::filesystem::path& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) return std::nullopt;
  static const std::map<int64_t, std::string> kLocal = {
      {0xEF53, "ext4"},        {0x58465342, "xfs"},  {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
      {0x794c7630, "overlay"}, {0xF2F52010, "f2fs"}, {0x2FC12FC1, "zfs"},   {0x858458f6, "ramfs"}};
  auto it = kLocal.find(static_cast<int64_t>(fs.f_type));
  if (it == kLocal.end()) return std::nullopt;
  return it->second;
}

// The cluster's nodes that are not this machine, from `sinfo --json`.
Result<std::vector<std::string>> OtherNodes(const SlurmOptions& options) {
  FLYTECPP_ASSIGN_OR_RETURN(std::string text, RunTool({options.sinfo, "--json"}));
  google::protobuf::Struct listing;
  if (!google::protobuf::util::JsonStringToMessage(text, &listing).ok()) {
    return Internal("sinfo --json printed no JSON: " + FirstLine(text));
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string here = host, short_here = here.substr(0, here.find('.'));
  std::vector<std::string> others;
  auto nodes = listing.fields().find("nodes");
  if (nodes == listing.fields().end()) return others;
  for (const auto& n : nodes->second.list_value().values()) {
    const auto& f = n.struct_value().fields();
    auto text_of = [&](const char* name) {
      auto it = f.find(name);
      return it == f.end() ? std::string() : it->second.string_value();
    };
    const std::string name = text_of("name"), hostname = text_of("hostname"),
                      address = text_of("address");
    const bool local = hostname == here || hostname == short_here ||
                       address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
    if (!local) others.push_back(name.empty() ? hostname : name);
  }
  return others;
}

}  // namespace

Status CheckSlurm(const SlurmOptions& options, const std::filesystem::path& shared_dir) {
  // Slurm's commands retry a missing config for a minute: say it at once.
  if (const char* conf = std::getenv("SLURM_CONF"); conf != nullptr && *conf != '\0') {
    std::error_code ec;
    if (!std::filesystem::exists(conf, ec)) {
      return FailedPrecondition(std::string("SLURM_CONF=") + conf + ": no such file");
    }
  }
  auto out = RunTool({options.squeue, "--noheader", "--me", "--Format=JobID"});
  if (!out.ok()) {
    return FailedPrecondition("the Slurm controller does not answer (" + out.status().message() +
                              "); is SLURM_CONF right?");
  }
  if (shared_dir.empty()) return Status::Ok();
  // Jobs read and write their attempts' directories where they run: a
  // directory on this machine's own disks only works if every node is this
  // machine.
  auto local = LocalFileSystem(shared_dir);
  if (!local) return Status::Ok();
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<std::string> others, OtherNodes(options));
  if (others.empty()) return Status::Ok();
  return FailedPrecondition(shared_dir.string() + " is on this machine's own file system (" +
                            *local + "), which the cluster's node " + others.front() +
                            (others.size() > 1
                                 ? " (and " + std::to_string(others.size() - 1) + " more)"
                                 : std::string()) +
                            " cannot see: put the flytecpp home (--home, FLYTECPP_HOME) on a "
                            "file system the compute nodes share (NFS, Lustre, GPFS, ...)");
}

}  // namespace flytecpp::runtime
