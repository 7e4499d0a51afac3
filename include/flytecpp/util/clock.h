// Clock: where the engine reads the time and waits for it. Every deadline
// the engine keeps (attempt timeouts, active deadlines, leases) is an
// absolute time on this clock, so tests replace it with a FakeClock and
// move time forward instead of sleeping.
//
// Times are nanoseconds since the Unix epoch: they are stored, and a resumed
// engine compares them with its own clock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace flytecpp {

class Clock {
 public:
  virtual ~Clock() = default;

  // Nanoseconds since the Unix epoch. Thread-safe.
  virtual int64_t Now() const = 0;

  // Blocks on `cv` (whose mutex `lock` holds) until it is notified or Now()
  // reaches `due_ns`. Spurious wake-ups are allowed: callers re-check.
  virtual void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         int64_t due_ns) const = 0;
};

// The real time (std::chrono::system_clock).
class SystemClock : public Clock {
 public:
  int64_t Now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 int64_t due_ns) const override {
    cv.wait_until(lock, std::chrono::system_clock::time_point(
                            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                std::chrono::nanoseconds(due_ns))));
  }

  // The process-wide instance.
  static const Clock* Default() {
    static const SystemClock clock;
    return &clock;
  }
};

// Time that moves only when told to. Waiters poll it every millisecond of
// real time, so Advance() needs no hook into whoever waits.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ns = 1'700'000'000'000'000'000) : now_(start_ns) {}

  int64_t Now() const override { return now_.load(); }
  void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 int64_t due_ns) const override {
    if (Now() >= due_ns) return;
    cv.wait_for(lock, std::chrono::milliseconds(1));
  }

  void Advance(std::chrono::nanoseconds d) { now_ += d.count(); }
  void Set(int64_t ns) { now_ = ns; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace flytecpp
