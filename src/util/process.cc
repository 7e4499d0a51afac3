#include "flytecpp/util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "flytecpp/util/find_program.h"

extern char** environ;

namespace flytecpp {

uint64_t ProcessStartTime(pid_t pid) {
  // Plain reads: a process that ends meanwhile fails the read with ESRCH,
  // which a std::ifstream turns into an exception.
  const int fd = ::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::string stat(1024, '\0');
  const ssize_t n = ::read(fd, stat.data(), stat.size());
  ::close(fd);
  stat.resize(n > 0 ? static_cast<size_t>(n) : 0);
  const size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::istringstream fields(stat.substr(close + 2));  // from field 3 on
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

Result<std::string> RunProgram(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("no program to run");
  const std::string program = FindProgram(argv[0], OwnSearchPath());
  if (program.empty()) return FailedPrecondition(argv[0] + ": not found on PATH");
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return IoError("cannot run " + argv[0] + ": no pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return IoError("cannot run " + argv[0] + ": no pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, "/");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  // Both pipes at once: a program that fills one while we wait on the
  // other would never end.
  std::string text, errors;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&text, &errors};
  int open_pipes = 2;
  char buf[65536];
  while (rc == 0 && open_pipes > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_pipes;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(n));
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  if (rc != 0) {
    return FailedPrecondition(argv[0] + ": cannot start: " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string first = errors.substr(0, errors.find('\n'));
    return FailedPrecondition(argv[0] + ": " + (first.empty() ? "(no message)" : first));
  }
  return text;
}

}  // namespace flytecpp
