// Processes: naming one so that the name outlives pid reuse (a pid with
// its start time names one process only), and running a short-lived tool
// for its output.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp {

// When process `pid` started, in clock ticks since boot (/proc/<pid>/stat
// field 22); 0 if there is no such process.
uint64_t ProcessStartTime(pid_t pid);

// Whether the process `pid` that started at `start_time` still runs.
inline bool ProcessAlive(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && ProcessStartTime(pid) == start_time;
}

// Runs `argv` (argv[0] looked up on this process's PATH unless it has a
// '/'), with /dev/null as its input and / as its directory, and waits for
// it; its standard output. A program that cannot start, or that exits
// other than with 0, is an error: FailedPrecondition "<argv[0]>: <the first
// line it printed on stderr>".
Result<std::string> RunProgram(const std::vector<std::string>& argv);

}  // namespace flytecpp
