#include "output_pump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flytecpp::runtime::internal {

namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
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

bool OutputPump::Drain(int& from, Sink& sink) {
  if (from < 0) return false;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      CloseFd(from);
      return false;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return true;  // EAGAIN: nothing more for now
    }
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

void OutputPump::CloseChildEnds() {
  CloseFd(out_[1]);
  CloseFd(err_[1]);
}

}  // namespace flytecpp::runtime::internal
