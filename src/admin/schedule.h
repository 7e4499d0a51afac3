// A launch plan's schedule (flyteidl.admin.Schedule), read once: when its
// slots are. What flytekit writes and Flyte's scheduler fires:
//   - a cron schedule: five fields or a descriptor (@hourly, "@every 90m"),
//     parsed by the parser Flyte's scheduler uses (robfig/cron, through the
//     flytecpp-cron helper: src/admin/cron/main.go), plus flytekit's
//     aliases (hourly, daily, ...), in UTC; with flytekit's ISO 8601 offset,
//     each slot fires that long after (or, negative, before) its time;
//   - a fixed rate (minutes, hours or days), whose slots are counted from
//     the launch plan's activation.
// The deprecated AWS cron_expression is refused, as flyteadmin does.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/admin/schedule.pb.h"
#include "flyteidl/core/interface.pb.h"

namespace flytecpp::admin {

struct ScheduleRule {
  std::string cron;           // the cron schedule as written; empty: a fixed rate
  int64_t offset_ns = 0;      // cron: when a slot fires, relative to its time
  int64_t interval_ns = 0;    // fixed rate
  std::string kickoff_input;  // the workflow input given the slot's time, if any

  // "cron */5 * * * *", "cron @daily offset PT1H", "every 10 minutes".
  std::string Describe() const;
};

// Reads `schedule`. InvalidArgument saying what is wrong (the cron
// expression is checked by Slots::Check, which runs the helper).
Result<ScheduleRule> ReadSchedule(const flyteidl::admin::Schedule& schedule);

// The ISO 8601 duration `text` ("PT1H", "-P1DT30M", "P2W"), in
// nanoseconds. Years and months have no fixed length: refused.
Result<int64_t> ParseIsoDuration(const std::string& text);

// When the slots of schedules are. Cron times come from the helper, asked
// for many at once and remembered. Not thread-safe.
class Slots {
 public:
  // `helper`: the flytecpp-cron program; empty: $FLYTECPP_CRON_HELPER, else
  // the one built with flytecpp.
  explicit Slots(std::string helper = "");

  // Whether the helper reads `cron` and it fires at all; InvalidArgument
  // with the helper's reason otherwise.
  Status Check(const std::string& cron);

  // The first slot of `rule` after `after_ns`. A fixed rate's slots are
  // anchor + k·interval (k ≥ 1).
  Result<int64_t> Next(const ScheduleRule& rule, int64_t anchor_ns, int64_t after_ns);

 private:
  struct Run {
    int64_t from_s = 0;          // the times are the first ones after this second
    std::vector<int64_t> times;  // Unix seconds, ascending
  };
  Result<std::vector<int64_t>> Ask(const std::string& cron, int64_t after_s, int count);

  std::string helper_;
  std::map<std::string, Run> runs_;  // by cron schedule
};

// flyteadmin's checks of a launch plan's schedule against the inputs a
// caller gives (its closure's expected_inputs): every required input but
// the kickoff one has a value, and the kickoff input is a free datetime.
Status CheckSchedule(const flyteidl::admin::Schedule& schedule,
                     const flyteidl::core::ParameterMap& expected_inputs, Slots& slots);

}  // namespace flytecpp::admin
