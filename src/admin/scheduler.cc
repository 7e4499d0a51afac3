#include "scheduler.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/literals.h"

namespace flytecpp::admin {

using google::protobuf::util::TimeUtil;

namespace {

constexpr int64_t kSecond = 1'000'000'000;
// A slot whose execution could not be created for a passing reason (the
// store busy, the engine stopping) is tried again this much later.
constexpr int64_t kRetryNs = 5 * kSecond;

std::string TimeText(int64_t ns) {
  return TimeUtil::ToString(TimeUtil::NanosecondsToTimestamp(ns - ns % kSecond));
}

// Errors that the same request will meet again: the slot is passed over.
bool Lasting(const Status& st) {
  return st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kNotFound ||
         st.code() == StatusCode::kFailedPrecondition;
}

}  // namespace

Result<CatchUp> ParseCatchUp(const std::string& text) {
  if (text == "all") return CatchUp::kAll;
  if (text == "latest") return CatchUp::kLatest;
  return InvalidArgument("catch-up policy \"" + text + "\": all or latest");
}

std::string ScheduledExecutionName(const core::Identifier& lp, int64_t slot_s) {
  // FNV-1, 64 bits, of "project:domain:name:version:<unix seconds>"; its
  // bytes little-endian, as Flyte's scheduler makes a UUID of them and
  // keeps the first 19 hex digits (16 of the hash, then zeros).
  const std::string key = lp.project() + ":" + lp.domain() + ":" + lp.name() + ":" + lp.version() +
                          ":" + std::to_string(slot_s);
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : key) {
    hash *= 1099511628211ULL;
    hash ^= c;
  }
  std::string name = "f";
  char byte[3];
  for (int i = 0; i < 8; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", static_cast<unsigned>((hash >> (8 * i)) & 0xff));
    name += byte;
  }
  return name + "000";
}

// A schedule the scheduler holds, read.
struct Scheduler::Due {
  flyteadmin::LaunchPlan lp;
  ScheduleRule rule;
  store::ScheduleRecord state;
};

Scheduler::Scheduler(Executions& executions, std::unique_ptr<store::Store> store,
                     SchedulerOptions options)
    : executions_(executions),
      store_(std::move(store)),
      options_(std::move(options)),
      slots_(options_.cron_helper) {
  if (options_.clock == nullptr) options_.clock = SystemClock::Default();
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Result<int64_t> Scheduler::Tick() {
  const int64_t now = options_.clock->Now();
  const int64_t lease_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.lease_duration).count();
  // Leases of schedulers of this host that are gone are free at once.
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::ScheduleRecord> states, store_->ListSchedules());
  std::set<std::string> gone;
  for (const auto& s : states) {
    if (!s.owner.empty() && s.owner != options_.owner && s.lease_expires_ns >= now &&
        engine::Engine::OwnerIsGone(s.owner)) {
      gone.insert(s.owner);
    }
  }
  for (const auto& owner : gone) FLYTECPP_RETURN_IF_ERROR(store_->ReleaseSchedules(owner));

  // The active launch plans with a schedule; a state starts at activation
  // (the launch plan's update time), its cursor where no slot before the
  // activation fires.
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::RegisteredEntity> active,
                            store_->ActiveLaunchPlans());
  std::map<std::string, Due> dues;
  std::vector<store::ScheduleRecord> wanted;
  for (const auto& e : active) {
    Due due;
    due.lp.mutable_spec()->ParseFromString(e.spec);
    if (!due.lp.spec().entity_metadata().has_schedule()) continue;
    *due.lp.mutable_id() = e.id;
    auto rule = ReadSchedule(due.lp.spec().entity_metadata().schedule());
    // Registration refuses such a schedule: only a store an older flytecpp
    // wrote could hold one. Not fired.
    if (!rule.ok()) continue;
    due.rule = std::move(rule).value();
    store::ScheduleRecord w;
    w.launch_plan = idl::IdentifierString(e.id);
    w.activated_ns = e.updated_ns;
    w.cursor_ns = e.updated_ns - due.rule.offset_ns;
    wanted.push_back(w);
    dues.emplace(w.launch_plan, std::move(due));
  }
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::ScheduleRecord> held,
                            store_->LeaseSchedules(wanted, options_.owner, now, now + lease_ns));

  int64_t next = now + lease_ns / 3;
  for (auto& state : held) {
    Due& due = dues.at(state.launch_plan);
    due.state = state;
    const ScheduleRule& rule = due.rule;
    for (;;) {
      FLYTECPP_ASSIGN_OR_RETURN(int64_t slot,
                                slots_.Next(rule, due.state.activated_ns, due.state.cursor_ns));
      if (slot + rule.offset_ns > now) {
        next = std::min(next, slot + rule.offset_ns);
        break;
      }
      if (options_.catch_up == CatchUp::kLatest) {
        FLYTECPP_ASSIGN_OR_RETURN(int64_t later, slots_.Next(rule, due.state.activated_ns, slot));
        if (later + rule.offset_ns <= now) {  // a later slot is due too: this one is passed over
          FLYTECPP_RETURN_IF_ERROR(
              store_->AdvanceSchedule(state.launch_plan, options_.owner, slot));
          Log("schedule " + state.launch_plan + ": slot " + TimeText(slot) +
              " passed over (catch-up: latest)");
          due.state.cursor_ns = slot;
          continue;
        }
      }
      Status fired = Fire(due, slot);
      if (fired.ok() || Lasting(fired)) {
        if (!fired.ok()) {
          // The cursor moves on: the next slot is not held up by this one.
          FLYTECPP_RETURN_IF_ERROR(
              store_->AdvanceSchedule(state.launch_plan, options_.owner, slot));
          Log("schedule " + state.launch_plan + ": slot " + TimeText(slot) +
              " not fired: " + fired.ToString());
        }
        due.state.cursor_ns = slot;
        continue;
      }
      Log("schedule " + state.launch_plan + ": slot " + TimeText(slot) +
          " not fired yet: " + fired.ToString());
      next = std::min(next, now + kRetryNs);
      break;
    }
  }
  return next;
}

Status Scheduler::Fire(const Due& due, int64_t slot_ns) {
  const core::Identifier& id = due.lp.id();
  const int64_t slot_s = slot_ns / kSecond;
  flyteadmin::ExecutionCreateRequest request;
  request.set_project(id.project());
  request.set_domain(id.domain());
  request.set_name(ScheduledExecutionName(id, slot_s));
  *request.mutable_spec()->mutable_launch_plan() = id;
  auto* metadata = request.mutable_spec()->mutable_metadata();
  metadata->set_mode(flyteadmin::ExecutionMetadata::SCHEDULED);
  *metadata->mutable_scheduled_at() = TimeUtil::NanosecondsToTimestamp(slot_ns);
  if (!due.rule.kickoff_input.empty()) {
    (*request.mutable_inputs()->mutable_literals())[due.rule.kickoff_input] =
        idl::lit::Datetime(idl::TimePoint(std::chrono::nanoseconds(slot_ns)));
  }
  CreateOptions options;
  options.schedule_mark = store::ScheduleMark{due.state.launch_plan, slot_ns};
  auto created = executions_.Create(request, options);
  if (created.ok()) {
    Log("schedule " + due.state.launch_plan + ": slot " + TimeText(slot_ns) +
        " fired: " + request.name());
    return Status::Ok();
  }
  if (created.status().code() != StatusCode::kAlreadyExists) return created.status();
  // Fired already (by another server, or before a crash that lost the
  // cursor's move): the execution is the record.
  return store_->AdvanceSchedule(due.state.launch_plan, options_.owner, slot_ns);
}

void Scheduler::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      auto next = Tick();
      if (!next.ok()) Log("scheduler: " + next.status().ToString());
      const int64_t due = next.ok() ? *next : options_.clock->Now() + kRetryNs;
      lock.lock();
      while (!stopping_ && options_.clock->Now() < due) {
        options_.clock->WaitUntil(wake_, lock, due);
      }
    }
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    (void)store_->ReleaseSchedules(options_.owner);  // another server takes them at once
  }
}

}  // namespace flytecpp::admin
