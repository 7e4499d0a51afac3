// One thread that waits on many descriptors at once, as ninja's
// SubprocessSet does: a runtime's attempts (their pidfds, output pipes,
// sandbox helper replies) are watched here instead of by a thread each, so
// the thread count stays flat however many attempts are in flight.
//
// Everything given to the reactor runs on its thread, one thing at a time:
// the state those functions share needs no lock of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace flytecpp::runtime::internal {

class Reactor {
 public:
  Reactor();  // starts the thread
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();  // Stop, then what was posted and has not run is dropped unrun

  // Runs `task` on the reactor's thread, soon, in the order posted. From any
  // thread (the reactor's too).
  void Post(std::function<void()> task);

  // Reactor thread only. Calls `ready` on the reactor's thread whenever
  // `fd` is readable (or hung up), until Unwatch. The caller owns `fd`.
  uint64_t Watch(int fd, std::function<void()> ready);
  void Unwatch(uint64_t id);
  // Reactor thread only. Runs `task` once, after `delay`.
  void After(std::chrono::milliseconds delay, std::function<void()> task);

  // Stops the thread and joins it (idempotent). From any thread but the
  // reactor's.
  void Stop();

 private:
  void Loop();
  void Wake();

  int wake_fd_ = -1;  // an eventfd: Post and Stop make poll return
  std::mutex mu_;
  std::deque<std::function<void()>> posted_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_

  // The reactor thread's own.
  struct Watched {
    int fd;
    std::function<void()> ready;
  };
  std::map<uint64_t, Watched> watched_;
  uint64_t next_id_ = 1;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_;

  std::thread thread_;  // last: starts once the rest is made
};

}  // namespace flytecpp::runtime::internal
