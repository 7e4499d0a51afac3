// Naming a process so that the name outlives pid reuse: a pid with its
// start time names one process only.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace flytecpp {

// When process `pid` started, in clock ticks since boot (/proc/<pid>/stat
// field 22); 0 if there is no such process.
uint64_t ProcessStartTime(pid_t pid);

// Whether the process `pid` that started at `start_time` still runs.
inline bool ProcessAlive(pid_t pid, uint64_t start_time) {
  return pid > 0 && start_time != 0 && ProcessStartTime(pid) == start_time;
}

}  // namespace flytecpp
