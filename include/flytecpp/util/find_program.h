// Where a command's program is: as execvp looks it up, without executing.
// Shared by the process runtime's spawn, the sandbox helper (a program of
// its own) and the CLI, so all find the same file.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace flytecpp {

// Where this process finds the programs it starts itself (bwrap, sbatch,
// the sandbox helper): its PATH, else /usr/bin:/bin.
inline std::string OwnSearchPath() {
  const char* path = std::getenv("PATH");
  return path != nullptr ? path : "/usr/bin:/bin";
}

// `name` itself if it has a '/'; else the first executable `dir/name` on
// `search_path` (a PATH value; an empty entry is the working directory);
// "" if none, or if `search_path` is empty.
inline std::string FindProgram(const std::string& name, const std::string& search_path) {
  if (name.find('/') != std::string::npos) return name;
  if (search_path.empty()) return "";
  size_t start = 0;
  for (;;) {
    const size_t end = search_path.find(':', start);
    const std::string dir = search_path.substr(start, end == std::string::npos ? end : end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) return "";
    start = end + 1;
  }
}

}  // namespace flytecpp
