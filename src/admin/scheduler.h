// The scheduler of `flytecpp serve`: fires the schedules of active launch
// plans (schedule.h), once per slot, durably.
//
// Every firing is an execution whose name the slot decides (Flyte's
// scheduler's: "f" + 16 hex digits of a hash of the launch plan and the
// slot's time + "000"), created with the schedule's cursor moved to that
// slot in the same transaction (engine ExecutionRequest::schedule_mark). A
// crash before that commit leaves the slot due (it fires after the
// restart); after it, the cursor says it fired. Two schedulers firing one
// slot create one execution: the store takes the first and the second's is
// AlreadyExists, which counts as fired.
//
// Servers sharing a database share the schedules by leases (one holder per
// schedule; another takes it over when its holder stops renewing, or at
// once when the holder was a process of this host that is gone).
//
// A schedule's state starts at its launch plan's activation: the first slot
// fires after it (never at once), a fixed rate's slots are counted from it,
// and a restart keeps both. After downtime, the slots missed are caught up
// by the policy given: every one, in order, or only the latest.
//
// Thread-safety: Tick is for one thread at a time (the scheduler's own
// after Start).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "executions.h"
#include "flytecpp/store/store.h"
#include "flytecpp/util/clock.h"
#include "schedule.h"

namespace flytecpp::admin {

enum class CatchUp {
  kAll,     // every slot missed fires, oldest first
  kLatest,  // only the latest slot missed fires; the others are passed over
};

// "all" or "latest".
Result<CatchUp> ParseCatchUp(const std::string& text);

struct SchedulerOptions {
  std::string owner;             // this scheduler's name in the leases (required)
  const Clock* clock = nullptr;  // default: the system clock
  std::chrono::milliseconds lease_duration{30000};  // renewed every third of it
  CatchUp catch_up = CatchUp::kAll;
  std::string cron_helper;  // default: Slots'
  // Where firings and failures are told (one line each); null: nowhere.
  std::function<void(const std::string&)> log;
};

// The execution name Flyte's scheduler gives the slot at `slot_s` (Unix
// seconds) of launch plan `lp`.
std::string ScheduledExecutionName(const flyteidl::core::Identifier& lp, int64_t slot_s);

class Scheduler {
 public:
  // `store`: the scheduler's own.
  Scheduler(Executions& executions, std::unique_ptr<store::Store> store, SchedulerOptions options);
  ~Scheduler();  // Stop()

  // One pass: takes or renews the leases of the active schedules, fires
  // every slot of those it holds that is due by the clock. Returns when the
  // next pass is due: the next slot's firing time, or the next renewal.
  Result<int64_t> Tick();

  // Passes on a thread of its own, each when the last said, until Stop.
  void Start();
  // Stops that thread and gives the leases up, for another server to take.
  void Stop();

 private:
  struct Due;
  // Creates the execution of `slot_ns` of the schedule `due` names.
  Status Fire(const Due& due, int64_t slot_ns);
  void Log(const std::string& line) const;

  Executions& executions_;
  std::unique_ptr<store::Store> store_;
  SchedulerOptions options_;
  Slots slots_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace flytecpp::admin
