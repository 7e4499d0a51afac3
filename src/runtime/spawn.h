// Starting a task's process: cheaply (vfork, not fork: copying the page
// tables of a large engine process costs tens of milliseconds on some
// machines) and placed before it runs anything: in its own process group,
// in its cgroups (it joins them itself, between vfork and exec), with its
// limits and output files. A setup step that fails is reported as an error,
// as posix_spawn reports them, and nothing is left running.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp::runtime::internal {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is looked up on `search_path` unless it has a '/'
  std::string search_path;        // a PATH value
  std::optional<std::vector<std::string>> env;  // KEY=VALUE; nullopt: this process's own
  std::string cwd;
  int stdin_fd = -1;  // -1: /dev/null
  int stdout_fd = -1, stderr_fd = -1;
  std::vector<std::string> cgroup_dirs;   // joined by the child itself
  bool cgroups_required = false;          // a join that fails: the process does not start
  std::optional<uint64_t> address_space;  // RLIMIT_AS, bytes
};

// Returns the pid (also its process group). On error nothing runs; the
// message names the step that failed (the command not found, a cgroup
// refused, the directory missing).
Result<pid_t> Spawn(const SpawnRequest& request);

}  // namespace flytecpp::runtime::internal
