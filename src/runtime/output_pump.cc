#include "output_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flytecpp::runtime::internal {

namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A descriptor that becomes readable when `pid` exits; -1 on kernels
// without pidfd_open (before 5.3), which then poll with a timeout.
int OpenPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

bool Exited(pid_t pid) {
  siginfo_t info{};
  // WNOWAIT: the caller reaps it.
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

}  // namespace

OutputPump::OutputPump(std::string stdout_path, std::string stderr_path) {
  out_sink_.path = std::move(stdout_path);
  err_sink_.path = std::move(stderr_path);
  // Both ends close-on-exec: a child gets its ends through dup2 only, so
  // attempts started side by side never hold each other's pipes.
  if (::pipe2(out_, O_CLOEXEC) != 0 || ::pipe2(err_, O_CLOEXEC) != 0) {
    status_ = IoError(std::string("cannot make the pipes for the task's output: ") +
                      std::strerror(errno));
    return;
  }
  ::fcntl(out_[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err_[0], F_SETFL, O_NONBLOCK);
}

OutputPump::~OutputPump() {
  for (int* fd : {&out_[0], &out_[1], &err_[0], &err_[1], &out_sink_.fd, &err_sink_.fd}) {
    CloseFd(*fd);
  }
}

bool OutputPump::Drain(int from, Sink& sink) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n == 0) return false;
    if (n < 0) return errno == EINTR || errno == EAGAIN;  // EAGAIN: nothing more for now
    if (sink.fd < 0) {
      sink.fd = ::open(sink.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    // A log that cannot be written loses the text, not the attempt.
    for (ssize_t done = 0; sink.fd >= 0 && done < n;) {
      const ssize_t w = ::write(sink.fd, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += w;
    }
  }
}

void OutputPump::CopyUntilExit(pid_t pid) {
  CloseFd(out_[1]);
  CloseFd(err_[1]);
  if (!status_.ok()) return;
  int pidfd = OpenPidFd(pid);
  bool out_open = true, err_open = true, exited = false;
  while (!exited && (out_open || err_open)) {  // both closed: nothing more to copy
    pollfd fds[3];
    nfds_t count = 0;
    if (out_open) fds[count++] = {out_[0], POLLIN, 0};
    if (err_open) fds[count++] = {err_[0], POLLIN, 0};
    const nfds_t pid_slot = count;
    if (pidfd >= 0) fds[count++] = {pidfd, POLLIN, 0};
    const int ready = ::poll(fds, count, pidfd >= 0 ? -1 : 50);
    if (ready < 0 && errno != EINTR) break;
    if (out_open) out_open = Drain(out_[0], out_sink_);
    if (err_open) err_open = Drain(err_[0], err_sink_);
    exited = pidfd >= 0 ? (ready > 0 && (fds[pid_slot].revents & POLLIN) != 0) : Exited(pid);
  }
  // What it wrote just before exiting.
  if (out_open) Drain(out_[0], out_sink_);
  if (err_open) Drain(err_[0], err_sink_);
  CloseFd(pidfd);
}

}  // namespace flytecpp::runtime::internal
