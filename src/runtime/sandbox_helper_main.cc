// flytecpp-sandbox-helper: started by the process runtime inside bubblewrap
// (sandbox_helper.h has the why and the protocol). Single-threaded, so the
// processes it forks may allocate freely before they exec.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "flytecpp/util/find_program.h"
#include "sandbox_helper_protocol.h"

namespace {

using namespace flytecpp::runtime::internal;
using flytecpp::FindProgram;

void Send(int fd, const std::string& message) {
  (void)!::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
}

[[noreturn]] void Fail(int reply, const std::string& what) {
  Send(reply, "error " + what + ": " + std::strerror(errno));
  ::_exit(127);
}

// Makes `path` (and its parents) where a mount over the root's paths hid it
// (a store under /tmp): a directory, or an empty file for a file's bind.
void MakeMountPoint(const std::string& path, bool directory) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return;
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    (void)::mkdir(path.substr(0, slash).c_str(), 0755);
  }
  if (directory) {
    (void)::mkdir(path.c_str(), 0755);
  } else {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
}

// `source`: the host path, opened before this attempt's own mounts could
// hide it.
void Bind(int reply, int source, const std::string& host, const std::string& inside,
          bool read_only) {
  struct stat st;
  MakeMountPoint(inside, ::fstat(source, &st) != 0 || S_ISDIR(st.st_mode));
  const std::string from = "/proc/self/fd/" + std::to_string(source);
  if (::mount(from.c_str(), inside.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    Fail(reply, "cannot bind " + host + " at " + inside);
  }
  ::close(source);
  // A bind keeps the flags of the (read-only) mount it came from: set its own.
  const unsigned long flags =
      MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (read_only ? MS_RDONLY : 0);
  if (::mount(nullptr, inside.c_str(), nullptr, flags, nullptr) != 0) {
    Fail(reply, "cannot remount " + inside);
  }
}

// The program on the task's PATH (bubblewrap's default when it has none).
std::string Lookup(const std::string& name, const std::vector<std::string>& env) {
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  return FindProgram(name, path);
}

// Pid 1 of the attempt's namespaces: makes its mounts, starts the command
// and reaps whatever is orphaned until the command ends. Exits as bubblewrap
// does: the command's exit code, or 128 + the signal that killed it.
[[noreturn]] void Init(const HelperRequest& r, int reply, int out, int err) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::setpgid(0, 0);  // its own group (the parent sets it too): the command joins it
  // The binds' sources first: a private /tmp may hide them (bwrap resolves
  // them from outside its new root for the same reason).
  std::vector<int> sources;
  for (const auto& m : r.mounts) {
    const int fd = ::open(m.host.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) Fail(reply, "cannot open " + m.host);
    sources.push_back(fd);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    Fail(reply, "cannot make the mounts private");
  }
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    Fail(reply, "cannot mount /proc");
  }
  if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    Fail(reply, "cannot mount /tmp");
  }
  // /dev and /sys are the helper's, shared by its attempts: read-only to
  // each (its device nodes are mounts of their own and stay usable), with a
  // private /dev/shm.
  for (const char* shared : {"/dev", "/sys"}) {
    if (::mount(nullptr, shared, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, nullptr) !=
        0) {
      Fail(reply, std::string("cannot make ") + shared + " read-only");
    }
  }
  if (::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    Fail(reply, "cannot mount /dev/shm");
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    Bind(reply, sources[i], r.mounts[i].host, r.mounts[i].inside, r.mounts[i].read_only);
  }
  if (::umount2(kHelperHostDev, MNT_DETACH) != 0) Fail(reply, "cannot hide the host's /dev");
  if (::chdir(r.workdir.c_str()) != 0) Fail(reply, "cannot change to " + r.workdir);
  if (r.address_space) {
    struct rlimit limit = {*r.address_space, *r.address_space};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) Fail(reply, "cannot set the memory limit");
  }
  const std::string program = Lookup(r.argv[0], r.env);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = r.argv, env = r.env;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t command = ::fork();
  if (command < 0) Fail(reply, "cannot fork");
  if (command == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
      ::_exit(127);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!program.empty()) ::execve(program.c_str(), argv.data(), envp.data());
    // As bubblewrap reports it, on the task's stderr.
    const std::string message = "flytecpp-sandbox: execvp " + r.argv[0] + ": " +
                                std::strerror(program.empty() ? ENOENT : errno) + "\n";
    (void)!::write(2, message.data(), message.size());
    ::_exit(1);
  }
  ::close(out);
  ::close(err);
  ::close(reply);
  for (;;) {
    int status = 0;
    const pid_t ended = ::wait(&status);
    if (ended < 0 && errno == EINTR) continue;
    if (ended < 0) ::_exit(1);
    if (ended != command) continue;  // an orphan, reaped
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

// Forked per attempt: joins the cgroups, enters new namespaces, starts the
// attempt's pid 1 and reports on it.
[[noreturn]] void Attempt(const HelperRequest& r, const std::vector<int>& fds) {
  const int reply = fds[0], out = fds[1], err = fds[2];
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the helper gone: so is the attempt
  ::signal(SIGCHLD, SIG_DFL);
  for (size_t i = 3; i < fds.size(); ++i) {
    if (::write(fds[i], "0", 1) != 1) Fail(reply, "cannot join the cgroup");
    ::close(fds[i]);
  }
  if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
    Fail(reply, "cannot make the attempt's namespaces");
  }
  const pid_t init = ::fork();
  if (init < 0) Fail(reply, "cannot fork");
  if (init == 0) Init(r, reply, out, err);
  ::close(out);
  ::close(err);
  ::setpgid(init, init);  // the engine kills the group: init, and with it the namespace
  Send(reply, "pid " + std::to_string(init));
  int status = 0;
  while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  Send(reply, "exit " + std::to_string(status));
  ::_exit(0);
}

// Whether this helper can make an attempt's namespaces and mounts here (an
// unprivileged bubblewrap may not allow it): tried once, before "ready".
bool CanStartAttempts() {
  const pid_t probe = ::fork();
  if (probe == 0) {
    if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) != 0) ::_exit(1);
    const pid_t init = ::fork();
    if (init == 0) {
      const bool ok = ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
                      ::mount("proc", "/proc", "proc", 0, nullptr) == 0 &&
                      ::mount("tmpfs", "/tmp", "tmpfs", 0, nullptr) == 0;
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ::_exit(init > 0 && ::waitpid(init, &status, 0) == init && WIFEXITED(status) &&
                    WEXITSTATUS(status) == 0
                ? 0
                : 1);
  }
  int status = 0;
  return probe > 0 && ::waitpid(probe, &status, 0) == probe && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);
  if (!CanStartAttempts()) {
    Send(0, "unable to make an attempt's namespaces here");
    return 1;
  }
  ::signal(SIGCHLD, SIG_IGN);  // attempts' processes are reaped by the kernel
  Send(0, "ready");
  std::string buffer(kMaxHelperRequestBytes, '\0');
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * (3 + kMaxHelperCgroups))];
  for (;;) {
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(0, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the engine is gone: so are its attempts (PDEATHSIG)
    std::vector<int> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const int* data = reinterpret_cast<const int*>(CMSG_DATA(c));
      fds.insert(fds.end(), data, data + count);
    }
    HelperRequest request;
    const bool whole = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0 && fds.size() >= 3 &&
                       DecodeHelperRequest(buffer.substr(0, static_cast<size_t>(n)), &request);
    if (!whole) {
      if (!fds.empty()) Send(fds[0], "error the sandbox helper got a malformed request");
    } else {
      const pid_t attempt = ::fork();
      if (attempt == 0) {
        ::close(0);
        Attempt(request, fds);
      }
      if (attempt < 0) Send(fds[0], std::string("error cannot fork: ") + std::strerror(errno));
    }
    for (int fd : fds) ::close(fd);
  }
}
