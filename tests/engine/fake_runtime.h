// A runtime the test drives: attempts start and wait until the test (or an
// auto-completing worker) ends them; it counts what ran and how much ran at
// once, and can be told whether attempts survive their engine (Reattach).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "flytecpp/runtime/runtime.h"

namespace flytecpp::engine::testing {

class FakeRuntime : public runtime::Runtime {
 public:
  struct Started {
    runtime::AttemptSpec spec;
    runtime::AttemptCallbacks callbacks;
  };
  using Outcome = std::function<runtime::TaskOutcome(const runtime::AttemptSpec&)>;

  // `slots`: max_in_flight (0: no limit). With `auto_complete`, a worker
  // ends every attempt with `outcome` as soon as it starts.
  explicit FakeRuntime(int slots = 0, Outcome auto_complete = nullptr)
      : slots_(slots), auto_(std::move(auto_complete)) {
    if (auto_) worker_ = std::thread([this] { Work(); });
  }
  ~FakeRuntime() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  std::string_view name() const override { return "fake"; }
  bool CanRun(const core::TaskTemplate&) const override { return true; }
  int max_in_flight() const override { return slots_; }
  bool runs_arrays() const override { return runs_arrays_; }
  // Whether it takes array elements in batches (as Slurm's job arrays).
  void set_runs_arrays(bool v) { runs_arrays_ = v; }

  Status Start(runtime::AttemptSpec spec, runtime::AttemptCallbacks callbacks) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string key = Key(spec.id);
    ++starts_[spec.id.execution_id + "/" + spec.id.node_path];
    ++running_;
    max_running_ = std::max(max_running_, running_);
    if (callbacks.started) callbacks.started(spec.id, "fake-handle-" + key);
    running_attempts_[key] = {spec, callbacks};
    if (auto_) queue_.push_back(key);
    cv_.notify_all();
    return Status::Ok();
  }

  void Abort(const runtime::AttemptId& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_attempts_.erase(Key(id)) > 0) --running_;
    aborted_.insert(Key(id));
  }

  Result<bool> Reattach(runtime::AttemptSpec spec, const std::string& handle,
                        runtime::AttemptCallbacks callbacks) override {
    std::lock_guard<std::mutex> lock(mu_);
    reattached_.push_back(handle);
    if (!survives_) {
      // The attempt died with its engine: it can no longer be completed.
      if (running_attempts_.erase(Key(spec.id)) > 0) --running_;
      return false;
    }
    if (running_attempts_.count(Key(spec.id)) == 0) ++running_;
    running_attempts_[Key(spec.id)] = {spec, callbacks};
    cv_.notify_all();
    return true;
  }

  // Whether attempts outlive their engine (a Slurm job does; a process does not).
  void set_survives(bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    survives_ = v;
  }

  // Waits (real time, bounded) until node `path` of `exec` has an attempt running.
  bool WaitRunning(const std::string& exec, const std::string& path) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return Find(exec, path) != nullptr; });
  }

  // Ends the running attempt of node `path` of `exec`; false if there is none.
  bool Complete(const std::string& exec, const std::string& path, runtime::TaskOutcome outcome) {
    Started s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const Started* found = Find(exec, path);
      if (found == nullptr) return false;
      s = *found;
      running_attempts_.erase(Key(s.spec.id));
      --running_;
    }
    s.callbacks.done(s.spec.id, std::move(outcome));
    return true;
  }

  // The running attempt's spec (copy), if any.
  std::optional<runtime::AttemptSpec> RunningSpec(const std::string& exec,
                                                  const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    const Started* s = Find(exec, path);
    if (s == nullptr) return std::nullopt;
    return s->spec;
  }

  int Starts(const std::string& exec, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = starts_.find(exec + "/" + path);
    return it == starts_.end() ? 0 : it->second;
  }
  int max_running() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_running_;
  }
  int total_starts() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [k, v] : starts_) n += v;
    return n;
  }
  std::vector<std::string> reattached() {
    std::lock_guard<std::mutex> lock(mu_);
    return reattached_;
  }

 private:
  static std::string Key(const runtime::AttemptId& id) {
    return id.execution_id + "/" + id.node_path + "/" + std::to_string(id.attempt);
  }
  // The latest running attempt of the node.
  const Started* Find(const std::string& exec, const std::string& path) const {
    const Started* found = nullptr;
    for (const auto& [k, s] : running_attempts_) {
      if (s.spec.id.execution_id == exec && s.spec.id.node_path == path &&
          (found == nullptr || s.spec.id.attempt > found->spec.id.attempt)) {
        found = &s;
      }
    }
    return found;
  }
  void Work() {
    for (;;) {
      Started s;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        const std::string key = queue_.front();
        queue_.pop_front();
        auto it = running_attempts_.find(key);
        if (it == running_attempts_.end()) continue;  // aborted
        s = it->second;
        running_attempts_.erase(it);
        --running_;
      }
      s.callbacks.done(s.spec.id, auto_(s.spec));
    }
  }

  const int slots_;
  const Outcome auto_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Started> running_attempts_;  // guarded by mu_
  std::map<std::string, int> starts_;                // guarded by mu_
  std::set<std::string> aborted_;                    // guarded by mu_
  std::vector<std::string> reattached_;              // guarded by mu_
  std::deque<std::string> queue_;                    // guarded by mu_
  int running_ = 0, max_running_ = 0;                // guarded by mu_
  bool survives_ = false;                            // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::atomic<bool> runs_arrays_ = false;
  std::thread worker_;
};

}  // namespace flytecpp::engine::testing
