#include "cgroup.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace flytecpp::runtime::internal {

namespace fs = std::filesystem;

namespace {

bool Write(const std::string& file, const std::string& value) {
  std::ofstream out(file);
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

// The v1 hierarchy of `controller` at this process's own place in it.
std::string V1Base(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // "4:memory:/some/path" or "1:cpu,cpuacct:/"
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::stringstream controllers(line.substr(a + 1, b - a - 1));
    for (std::string c; std::getline(controllers, c, ',');) {
      if (c == controller) {
        std::string path = line.substr(b + 1);
        if (path == "/") path.clear();
        return "/sys/fs/cgroup/" + controller + path;
      }
    }
  }
  return "/sys/fs/cgroup/" + controller;
}

}  // namespace

AttemptCgroup::AttemptCgroup(const std::string& name, std::optional<double> cores,
                             std::optional<uint64_t> bytes) {
  const long period = 100000;
  const long quota = cores ? std::max(1000L, static_cast<long>(*cores * period)) : 0;
  std::error_code ec;
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers", ec)) {
    const std::string dir = Make("/sys/fs/cgroup/" + name);
    if (dir.empty()) return;
    cpu_ = cores && Write(dir + "/cpu.max", std::to_string(quota) + " " + std::to_string(period));
    memory_ = bytes && Write(dir + "/memory.max", std::to_string(*bytes));
    if (memory_) {
      Write(dir + "/memory.swap.max", "0");  // absent without swap accounting
      oom_file_ = dir + "/memory.events";
    }
    return;
  }
  // v1: the pids controller tracks the attempt's processes, limits or not.
  Make(V1Base("pids") + "/" + name);
  if (cores) {
    const std::string dir = Make(V1Base("cpu") + "/" + name);
    cpu_ = !dir.empty() && Write(dir + "/cpu.cfs_period_us", std::to_string(period)) &&
           Write(dir + "/cpu.cfs_quota_us", std::to_string(quota));
  }
  if (bytes) {
    const std::string dir = Make(V1Base("memory") + "/" + name);
    memory_ = !dir.empty() && Write(dir + "/memory.limit_in_bytes", std::to_string(*bytes));
    if (memory_) {
      Write(dir + "/memory.memsw.limit_in_bytes", std::to_string(*bytes));  // no swap either
      oom_file_ = dir + "/memory.oom_control";
    }
  }
}

void AttemptCgroup::Remove() {
  for (const auto& dir : dirs_) KillAndRemoveCgroup(dir);
  dirs_.clear();
}

bool AttemptCgroup::OomKilled() const {
  if (oom_file_.empty()) return false;
  std::ifstream in(oom_file_);
  std::string key;
  long count = 0;
  while (in >> key >> count) {
    if (key == "oom_kill" && count > 0) return true;
  }
  return false;
}

std::string AttemptCgroup::Make(const std::string& dir) {
  std::error_code ec;
  if (!fs::create_directory(dir, ec)) return "";
  dirs_.push_back(dir);
  return dir;
}

void KillAndRemoveCgroup(const std::string& dir) {
  // The kernel lets go of a cgroup a moment after its last process died:
  // wait for that from 50 us up, about one second in all.
  auto pause = std::chrono::microseconds(50);
  for (int i = 0; i < 40; ++i) {
    std::ifstream procs(dir + "/cgroup.procs");
    if (!procs) return;  // gone
    for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(50000));
  }
}

std::string AttemptCgroupName(const std::string& output_dir) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
  for (unsigned char c : output_dir) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char name[32];
  std::snprintf(name, sizeof name, "flytecpp-%016llx", static_cast<unsigned long long>(h));
  return name;
}

std::vector<std::string> CgroupDirsOf(const std::string& name) {
  std::error_code ec;
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers", ec)) return {"/sys/fs/cgroup/" + name};
  std::vector<std::string> out;
  for (const char* controller : {"pids", "cpu", "memory"}) {
    out.push_back(V1Base(controller) + "/" + name);
  }
  return out;
}

}  // namespace flytecpp::runtime::internal
