// The cgroups one process attempt runs in: one directory on cgroup v2, one
// per controller on v1 (each nested under this process's own cgroup, so
// limits set on the runner still hold). Every attempt gets one where cgroups
// are writable, limits or not: it is how everything the attempt started is
// found again and killed, even after the engine that started it died. The
// name comes from the attempt (its directory), so another engine can find
// it without being told.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flytecpp::runtime::internal {

class AttemptCgroup {
 public:
  // Creates the directories and sets the limits it can. A limit that could
  // not be set reads back unset: the caller falls back (memory) or says it
  // is not enforced (CPU).
  AttemptCgroup(const std::string& name, std::optional<double> cores,
                std::optional<uint64_t> bytes);
  AttemptCgroup(const AttemptCgroup&) = delete;
  AttemptCgroup& operator=(const AttemptCgroup&) = delete;
  ~AttemptCgroup() { Remove(); }

  // Kills what is left in the directories, then removes them.
  void Remove();

  bool empty() const { return dirs_.empty(); }
  const std::vector<std::string>& dirs() const { return dirs_; }
  bool limits_cpu() const { return cpu_; }
  bool limits_memory() const { return memory_; }

  // True if the kernel's OOM killer killed a process of this attempt.
  bool OomKilled() const;

 private:
  std::string Make(const std::string& dir);

  std::vector<std::string> dirs_;
  std::string oom_file_;
  bool cpu_ = false, memory_ = false;
};

// Kills every process in the cgroup directory `dir` and removes it, waiting
// a little for the kernel to let go of the dead. Missing directories are fine.
void KillAndRemoveCgroup(const std::string& dir);

// The cgroup name of the attempt whose directory is `output_dir`.
std::string AttemptCgroupName(const std::string& output_dir);

// Every directory an attempt's cgroup `name` may have (existing or not).
std::vector<std::string> CgroupDirsOf(const std::string& name);

}  // namespace flytecpp::runtime::internal
