// Container tasks as local processes, sandboxed with bubblewrap so that a
// task sees what its container would: a read-only root (the image's, when
// one is configured), its own attempt directories writable, copilot-style
// `input_path` / `output_path` bound where the task declares them, a private
// /tmp, no network unless allowed, its own pid namespace, a clean
// environment. See docs/runtime.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/runtime/runtime.h"
#include "flytecpp/runtime/secrets.h"

namespace flytecpp::runtime {

// An image name (glob) mapped to a local root filesystem and working directory.
struct ImageMapping {
  std::string pattern;               // e.g. "ghcr.io/flyteorg/rawcontainers-*"
  std::filesystem::path root = "/";  // mounted read-only as the sandbox's /
  std::string workdir;               // cwd inside the sandbox ("" = per-attempt dir)
  std::vector<std::pair<std::filesystem::path, std::string>> mounts;  // host -> sandbox, read-only
  // The Python environment (a venv or interpreter prefix) that runs the
  // image's flytekit tasks: its bin/ goes first on their PATH; "" = the
  // runtime's default (ProcessRuntimeOptions::python).
  std::filesystem::path python;
};

// Where an attempt's prepared command runs, when not as a process of this
// machine: a batch system (slurm.h). The process runtime prepares the
// attempt (directories, inputs, sandbox command) and reads its outcome
// (outputs, error document, exit status) the same way wherever it ran.
class AttemptLauncher {
 public:
  struct Request {
    std::string name;  // the task's, for the job's name
    std::vector<std::string> argv;
    std::vector<std::pair<std::string, std::string>> env;  // the whole environment
    std::string cwd, stdout_path, stderr_path;
    std::string private_dir;  // owner-only, removed when the attempt ends: for a job script
    std::optional<double> cpu;
    std::optional<uint64_t> memory;  // bytes
    int64_t gpus = 0;
    std::optional<std::chrono::seconds> time_limit;  // the task's timeout
    bool interruptible = false;                      // may run on preemptible capacity
    // An array element handed over with others (AttemptSpec::array_batch):
    // its index, its batch and the batch's size and parallelism.
    int64_t array_index = -1;
    std::string array_batch;
    int64_t array_batch_size = 0, array_parallelism = 0;
  };
  struct End {
    int wait_status = 0;               // as waitpid's
    bool oom_killed = false;           // ended for exceeding its memory
    std::optional<TaskError> failure;  // ended by the system (time limit, node failure, …)
  };
  virtual ~AttemptLauncher() = default;
  // Whether requests of one array batch are submitted together (once the
  // batch is whole, or has waited long enough).
  virtual bool runs_arrays() const { return false; }
  // Submits, without waiting: `launched` hears the attempt's handle (e.g.
  // "slurm:1234") or why it was not submitted, once, from the launcher's
  // own thread.
  virtual void Launch(Request request, std::function<void(Result<std::string>)> launched) = 0;
  // `ended` hears, once, when the attempt `handle` ended (from the
  // launcher's own thread; at once if it has already).
  virtual void Watch(const std::string& handle, std::function<void(End)> ended) = 0;
  // Stops it (its watcher then hears).
  virtual void Cancel(const std::string& handle) = 0;
};

struct ProcessRuntimeOptions {
  std::string name = "process";  // as runtimes are told apart (records, config)
  // Null: attempts are processes of this machine. Else they run through it
  // (and are not limited by `jobs` or this machine's GPUs).
  std::shared_ptr<AttemptLauncher> launcher;
  // Which container tasks this runtime takes; null: all of them.
  std::function<bool(const core::TaskTemplate&)> selects;
  bool sandbox = true;  // false: run plainly on the host (flytecpp --no-sandbox)
  std::string bwrap = "bwrap";
  // The sandbox helper executable (docs/runtime.md): nullopt: the one built
  // with flytecpp, or $FLYTECPP_SANDBOX_HELPER; "": none, a bubblewrap per
  // attempt.
  std::optional<std::string> sandbox_helper;
  std::vector<ImageMapping> images;
  int jobs = 0;  // attempts running at once (flytecpp run -j); 0: one per core
  // Where tasks' secrets come from; without one, the environment only.
  std::optional<SecretStore> secrets;
  // The GPUs tasks may hold (device nodes); nullopt: this machine's
  // /dev/nvidia<N>.
  std::optional<std::vector<std::string>> gpus;
  // The store's data directory: a task's input files and directories under
  // it are shown as copies in a stand-in for their folder (the task may
  // write beside them); elsewhere as copies of themselves only. Empty: none
  // is under it.
  std::filesystem::path data_dir;
  // The Python environment of flytekit tasks (pyflyte-execute and its
  // siblings) whose image maps to none: nullopt: the environment of the
  // pyflyte-execute on this process's PATH, if any; "": none.
  std::optional<std::filesystem::path> python;
};

// Runs tasks that have a container. One thread (a reactor) starts the
// attempts and waits on all of them at once; an abort or timeout kills the
// attempt's whole process tree. Each attempt's
// handle (pid, its start time, its cgroups) is reported once it is spawned;
// an attempt without cgroups also writes it to `<output_dir>/attempt.handle`
// (one in cgroups is found by their names). Processes do not outlive their
// engine, so Reattach kills whatever is left and reports the attempt gone.
class ProcessRuntime : public Runtime {
 public:
  explicit ProcessRuntime(ProcessRuntimeOptions options);
  ~ProcessRuntime() override;

  std::string_view name() const override;
  bool CanRun(const core::TaskTemplate& task) const override;
  int max_in_flight() const override;
  bool runs_arrays() const override;
  // Only a command that names the file (`{{.input}}`, `{{.inputPrefix}}`):
  // Flyte's container protocol passes paths no other way.
  bool ReadsInputFiles(const core::TaskTemplate& task) const override;
  Status Start(AttemptSpec spec, AttemptCallbacks callbacks) override;
  void Abort(const AttemptId& id) override;
  Result<bool> Reattach(AttemptSpec spec, const std::string& handle,
                        AttemptCallbacks callbacks) override;

  // Whether the sandbox can run here (bubblewrap installed and working);
  // the error says how to fix it.
  Status CheckSandbox() const;

  // Variables every task started from now on gets, after Flyte's own and
  // before the task's: `flytecpp serve` says where its API is
  // (FLYTE_PLATFORM_URL), which eager tasks call through FlyteRemote. Its
  // address is known only once it listens, after the runtime is made.
  // Thread-safe.
  void SetTaskEnvironment(std::vector<std::pair<std::string, std::string>> vars);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::runtime
