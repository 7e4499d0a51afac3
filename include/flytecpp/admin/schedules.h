// The schedules of active launch plans, as `flytecpp schedules ls` and the
// console show them: read through an AdminApi, so the same from a local
// store and from a server. When each fires is docs/server.md's
// "Schedules".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flytecpp/admin/admin_api.h"

namespace flytecpp::admin {

struct ScheduleView {
  flyteidl::core::Identifier launch_plan;
  std::string schedule;       // "cron */5 * * * *", "cron @daily offset 1 hour", "every 10 minutes"
  std::string kickoff_input;  // the input given the slot's time; empty: none
  int64_t active_since_ns = 0;  // the launch plan's activation
  int64_t next_ns = 0;          // when it fires next, after now (0 with `error`)
  std::string error;            // a schedule that cannot be read
};

// The active launch plans with a schedule in `project` and `domain` (every
// project, every domain, when empty), by project, domain and name, with
// their next firing time after `now_ns` (Unix nanoseconds).
Result<std::vector<ScheduleView>> ListSchedules(AdminApi& api, const std::string& project,
                                                const std::string& domain, int64_t now_ns);

}  // namespace flytecpp::admin
