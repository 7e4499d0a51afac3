#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flytecpp/util/find_program.h"

namespace flytecpp::runtime::internal {

namespace {

// What the child reports before it dies, when a setup step fails.
struct ChildError {
  int step;  // index into kSteps
  int err;   // errno
};
constexpr const char* kSteps[] = {"join the cgroup", "set the memory limit", "redirect output",
                                  "change to the working directory", "execute the command"};

}  // namespace

Result<pid_t> Spawn(const SpawnRequest& r) {
  if (r.argv.empty()) return InvalidArgument("no command");
  // Everything the child needs is made here: between vfork and exec the
  // child shares this process's memory and may only make system calls.
  const std::string program = FindProgram(r.argv[0], r.search_path);
  if (program.empty()) {
    return NotFound("cannot execute the task command: \"" + r.argv[0] + "\" is not on its PATH (" +
                    r.search_path + ")");
  }
  std::vector<char*> argv;
  std::vector<std::string> args = r.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (r.env) {
    env_strings = *r.env;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  char** const env = r.env ? envp.data() : environ;
  std::vector<std::string> procs;
  for (const auto& dir : r.cgroup_dirs) procs.push_back(dir + "/cgroup.procs");
  std::vector<const char*> procs_c;
  for (const auto& p : procs) procs_c.push_back(p.c_str());
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];
  if (devnull < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    if (devnull >= 0) ::close(devnull);
    return IoError(std::string("cannot start the task: ") + std::strerror(errno));
  }
  struct rlimit limit = {};
  if (r.address_space) limit.rlim_cur = limit.rlim_max = *r.address_space;
  const bool limit_address_space = r.address_space.has_value();

  // No signal handler may run in the child while it shares our memory.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::vfork();
  if (pid == 0) {
    auto fail = [&](int step) {
      ChildError e{step, errno};
      (void)!::write(report[1], &e, sizeof e);
      ::_exit(127);
    };
    ::setpgid(0, 0);
    for (const char* file : procs_c) {
      const int fd = ::open(file, O_WRONLY | O_CLOEXEC);
      const bool joined = fd >= 0 && ::write(fd, "0", 1) == 1;  // 0: the writer itself
      if (fd >= 0) ::close(fd);
      if (!joined && r.cgroups_required) fail(0);
    }
    if (limit_address_space && ::setrlimit(RLIMIT_AS, &limit) != 0) fail(1);
    if (::dup2(r.stdin_fd >= 0 ? r.stdin_fd : devnull, 0) < 0 || ::dup2(r.stdout_fd, 1) < 0 ||
        ::dup2(r.stderr_fd, 2) < 0) {
      fail(2);
    }
    if (::chdir(r.cwd.c_str()) != 0) fail(3);
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::execve(program.c_str(), argv.data(), env);
    fail(4);
  }
  const int spawn_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(report[1]);
  ::close(devnull);
  if (pid < 0) {
    ::close(report[0]);
    return IoError(std::string("cannot start the task: ") + std::strerror(spawn_errno));
  }
  // The child has exec'd (the pipe closed with it) or reported and exited.
  ChildError e{};
  ssize_t n;
  while ((n = ::read(report[0], &e, sizeof e)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string what = std::string("cannot ") + kSteps[e.step] + ": " + std::strerror(e.err);
    if (e.step == 0) return FailedPrecondition(what);
    return IoError(what);
  }
  return pid;
}

}  // namespace flytecpp::runtime::internal
