// An attempt of the process runtime, in three concerns: preparing it
// (process_prepare.cc: directories, inputs, templating, environment, the
// sandbox), running it (process.cc: started and waited on by the runtime's
// reactor, or through a launcher), and classifying its end
// (process_classify.cc: exit status, error document and outputs to an
// outcome).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "flytecpp/runtime/process.h"
#include "flytecpp/runtime/secrets.h"
#include "gpu.h"
#include "pod.h"
#include "sandbox.h"

namespace flytecpp::runtime::internal {

constexpr const char* kHandleFile = "attempt.handle";
// Where Flyte's secret injector mounts secret files.
constexpr const char* kSecretMountDir = "/etc/flyte/secrets";
// A pod's init container that failed leaves "<out_dir>/init-failed.<name>"
// holding its exit status.
constexpr const char* kInitFailedPrefix = "init-failed.";

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

// Where an attempt's copies of its input files and directories are made.
constexpr const char* kInputCopiesDir = ".inputs";

// Removes the attempt's directories that hold secrets (their files, a pod's
// containers' environments) and its copies of its inputs: when the attempt
// ends, however it ends.
void RemovePrivateDirs(const std::string& out_dir);

inline TaskError Failure(std::string code, std::string message, bool retryable,
                         core::ExecutionError::ErrorKind kind = core::ExecutionError::USER) {
  return TaskError{kind, std::move(code), std::move(message), retryable};
}

// The last `max` bytes of `file`, trailing blanks dropped; "" if unreadable.
std::string Tail(const std::filesystem::path& file, size_t max);

// What an attempt runs: a pod task's PodSpec, or a container task as a pod
// of one. The primary is K8sPod's primary_container_name, else the task
// config's (as flytekit writes it).
Result<PodPlan> PodOf(const core::TaskTemplate& task);
// How many GPUs an attempt holds: its containers' (a pod's init containers
// run alone, so the most any of them needs counts too). An accelerator
// without a count asks for one.
int64_t GpusNeeded(const core::TaskTemplate& task, const PodPlan& pod);

struct PodContext;
struct ContainerLaunch;

// Prepares attempts: directories, copilot inputs, templating, environment,
// secrets, the sandbox. Reads files and writes the attempt's own; thread-
// compatible (the runtime uses it from its reactor).
// Variables every task gets (ProcessRuntime::SetTaskEnvironment), set
// while attempts may be preparing.
class SharedTaskEnvironment {
 public:
  using Vars = std::vector<std::pair<std::string, std::string>>;
  void Set(Vars vars) {
    std::lock_guard lock(mu_);
    vars_ = std::move(vars);
  }
  Vars Get() const {
    std::lock_guard lock(mu_);
    return vars_;
  }

 private:
  mutable std::mutex mu_;
  Vars vars_;  // guarded by mu_
};

class AttemptPreparer {
 public:
  // `options` and `shared_env` must outlive it. `python`: flytekit tasks'
  // environment where no image names one.
  AttemptPreparer(const ProcessRuntimeOptions& options, const SharedTaskEnvironment& shared_env,
                  std::optional<std::filesystem::path> python)
      : options(options), shared_env(shared_env), python(std::move(python)) {}

  // `pod`: what the attempt runs; `gpus`: the devices it holds.
  std::variant<Launch, TaskError> Prepare(const AttemptSpec& spec, const PodPlan& pod,
                                          const std::vector<GpuDevice>& gpus) const;

 private:
  const ImageMapping* ImageFor(const std::string& image) const;
  std::variant<ContainerLaunch, TaskError> PrepareContainer(const PodContext& ctx,
                                                            const PodContainer& c,
                                                            bool primary) const;
  // Writes the pod's script and its containers' option files; returns the
  // command that runs the pod.
  std::variant<std::vector<std::string>, TaskError> PodCommand(const PodContext& ctx,
                                                               const PodPlan& pod) const;

  const ProcessRuntimeOptions& options;
  const SharedTaskEnvironment& shared_env;
  const std::optional<std::filesystem::path> python;
};

// What an attempt that ended with wait status `status` came to: its error
// document, its copilot `_ERROR`, a failed init container, OOM, a signal,
// its exit code, or its outputs (or a dynamic task's futures).
TaskOutcome Classify(const AttemptSpec& spec, const Launch& launch, int status, bool oom_killed,
                     bool address_space_limited);

}  // namespace flytecpp::runtime::internal
