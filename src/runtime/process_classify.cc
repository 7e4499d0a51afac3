// Classifying a process attempt's end (process_attempt.h).
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

std::string Tail(const fs::path& file, size_t max) {
  auto text = idl::ReadFileBytes(file);
  if (!text.ok()) return "";
  std::string t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t.size() > max ? "…" + t.substr(t.size() - max) : t;
}

TaskOutcome Classify(const AttemptSpec& spec, const Launch& launch, int status, bool oom_killed,
                     bool address_space_limited) {
  const std::string err_log = launch.out_dir + "/stderr.log";
  // An error document beats everything (the flytekit protocol).
  core::ErrorDocument doc;
  // flytekit's messages are a traceback and the exception: the exception is
  // the error; the traceback stays in the task's stderr log.
  const bool python = !launch.command.empty() && IsFlytekitEntrypoint(launch.command[0]);
  if (idl::ReadMessage(launch.out_dir + "/error.pb", &doc, idl::Format::kBinary).ok()) {
    return TaskError{doc.error().origin() == core::ExecutionError::SYSTEM
                         ? core::ExecutionError::SYSTEM
                         : core::ExecutionError::USER,
                     doc.error().code(),
                     python ? FlytekitErrorSummary(doc.error().message()) : doc.error().message(),
                     doc.error().kind() == core::ContainerError::RECOVERABLE};
  }
  // A copilot task's `_ERROR` is its error, whatever its exit status.
  if (launch.copilot && std::filesystem::exists(launch.host_out + "/_ERROR")) {
    return CollectOutputs(spec.task->interface(), launch.host_out, launch.raw);
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
  if (launch.copilot) return CollectOutputs(task.interface(), launch.host_out, launch.raw);
  core::LiteralMap outputs;
  Status st = idl::ReadMessage(launch.out_dir + "/outputs.pb", &outputs, idl::Format::kBinary);
  if (!st.ok() && task.interface().outputs().variables_size() > 0) {
    return Failure("OutputsNotFound",
                   "outputs not generated by the task (no " + launch.out_dir + "/outputs.pb)",
                   true);
  }
  return outputs;
}

}  // namespace flytecpp::runtime::internal
