#include "reactor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace flytecpp::runtime::internal {

Reactor::Reactor() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Loop(); });
}

Reactor::~Reactor() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Reactor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Reactor::Wake() {
  const uint64_t one = 1;
  // A full counter still wakes the poll: the write can only fail then.
  (void)!::write(wake_fd_, &one, sizeof one);
}

void Reactor::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    posted_.push_back(std::move(task));
  }
  Wake();
}

uint64_t Reactor::Watch(int fd, std::function<void()> ready) {
  const uint64_t id = next_id_++;
  watched_.emplace(id, Watched{fd, std::move(ready)});
  return id;
}

void Reactor::Unwatch(uint64_t id) { watched_.erase(id); }

void Reactor::After(std::chrono::milliseconds delay, std::function<void()> task) {
  timers_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
}

void Reactor::Loop() {
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;
  for (;;) {
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
    // Timers that are due.
    const auto now = std::chrono::steady_clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      auto task = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      task();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!posted_.empty()) continue;  // posted by what just ran: no waiting
    }
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    ids.assign(1, 0);
    for (const auto& [id, w] : watched_) {
      fds.push_back({w.fd, POLLIN, 0});
      ids.push_back(id);
    }
    int timeout = -1;
    if (!timers_.empty()) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          timers_.begin()->first - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, wait.count() + 1));
    }
    const int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) continue;
    if (fds[0].revents != 0) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof count);
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      // Looked up again: what ran before may have unwatched it.
      auto it = watched_.find(ids[i]);
      if (it == watched_.end()) continue;
      auto ready_fn = it->second.ready;  // a copy: it may unwatch itself
      ready_fn();
    }
  }
}

}  // namespace flytecpp::runtime::internal
