// What changed, for the console's live updates: every event the engine
// records becomes one short JSON notice ({"execution", "kind", "node",
// "phase", "attempt"}) handed to each open reader. The console re-reads what
// a notice concerns through the API; the notice itself carries no data.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "flytecpp/engine/engine.h"

namespace flytecpp::server {

class ChangeFeed {
 public:
  // One listener's notices, in the order they were recorded.
  class Reader {
   public:
    ~Reader();
    // The next notice, waiting at most `wait`: nullopt when none came (time
    // for a keep-alive) or the feed closed (closed() then says so). A reader
    // that falls more than kMaxQueued behind gets one {"resync":true} notice
    // in place of what it missed.
    std::optional<std::string> Next(std::chrono::milliseconds wait);
    bool closed() const;

   private:
    friend class ChangeFeed;
    explicit Reader(ChangeFeed* feed) : feed_(feed) {}
    ChangeFeed* feed_;
    std::deque<std::string> queue_;  // guarded by feed_->mu_
    bool overflowed_ = false;        // guarded by feed_->mu_
  };

  static constexpr size_t kMaxQueued = 10000;

  // Listens to `engine` (which must outlive the feed) until destroyed.
  explicit ChangeFeed(engine::Engine& engine);
  ~ChangeFeed();

  std::unique_ptr<Reader> Open();
  // Wakes every reader; Next returns nullopt at once from then on.
  void Close();

  static std::string Notice(const engine::Event& event);

 private:
  void Publish(std::string notice);

  engine::Engine& engine_;
  uint64_t subscription_ = 0;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::set<Reader*> readers_;  // guarded by mu_
  bool closed_ = false;        // guarded by mu_
};

}  // namespace flytecpp::server
