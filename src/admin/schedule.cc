#include "schedule.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <tuple>

#include "flytecpp/admin/schedules.h"
#include "flytecpp/util/process.h"

namespace flytecpp::admin {

namespace flyteadmin = flyteidl::admin;
namespace core = flyteidl::core;
using google::protobuf::util::TimeUtil;

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
// Cron times asked of the helper at once: a day of a five-minute schedule.
constexpr int kCronBatch = 288;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string DurationText(int64_t ns) {
  std::string sign = ns < 0 ? "-" : "";
  ns = std::llabs(ns);
  for (auto [unit, name] : {std::pair{kDay, "day"}, {kHour, "hour"}, {kMinute, "minute"}}) {
    if (ns % unit == 0) {
      const int64_t n = ns / unit;
      return sign + std::to_string(n) + " " + name + (n == 1 ? "" : "s");
    }
  }
  return sign + std::to_string(ns / kSecond) + " s";
}

}  // namespace

std::string ScheduleRule::Describe() const {
  if (cron.empty()) return "every " + DurationText(interval_ns);
  return "cron " + cron + (offset_ns != 0 ? " offset " + DurationText(offset_ns) : "");
}

Result<int64_t> ParseIsoDuration(const std::string& text) {
  // flytekit's own check of an offset is a pattern too
  // (CronSchedule._OFFSET_PATTERN); this one takes what has a fixed length.
  static const std::regex kDuration(
      R"(([-+]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?)");
  std::smatch m;
  if (!std::regex_match(text, m, kDuration) || text.back() == 'P' || text.back() == 'T') {
    if (std::regex_search(text, std::regex(R"(^[-+]?P[^T]*[YM])"))) {
      return InvalidArgument("offset \"" + text +
                             "\": years and months have no fixed length; use days or weeks");
    }
    return InvalidArgument("offset \"" + text +
                           "\" is not an ISO 8601 duration such as PT1H, P1D or -PT30M");
  }
  auto part = [&](int i) { return m[i].matched ? std::stoll(m[i].str()) : 0LL; };
  int64_t ns = part(2) * 7 * kDay + part(3) * kDay + part(4) * kHour + part(5) * kMinute;
  if (m[6].matched) {
    std::string seconds = m[6].str();
    std::replace(seconds.begin(), seconds.end(), ',', '.');
    ns += static_cast<int64_t>(std::stod(seconds) * kSecond);
  }
  return m[1].str() == "-" ? -ns : ns;
}

Result<ScheduleRule> ReadSchedule(const flyteadmin::Schedule& schedule) {
  ScheduleRule rule;
  rule.kickoff_input = schedule.kickoff_time_input_arg();
  switch (schedule.ScheduleExpression_case()) {
    case flyteadmin::Schedule::kCronSchedule: {
      rule.cron = schedule.cron_schedule().schedule();
      if (rule.cron.empty()) return InvalidArgument("cron_schedule.schedule is empty");
      if (!schedule.cron_schedule().offset().empty()) {
        FLYTECPP_ASSIGN_OR_RETURN(rule.offset_ns,
                                  ParseIsoDuration(schedule.cron_schedule().offset()));
      }
      return rule;
    }
    case flyteadmin::Schedule::kRate: {
      const auto& rate = schedule.rate();
      if (rate.value() == 0) return InvalidArgument("a fixed rate needs a value above 0");
      const int64_t unit = rate.unit() == flyteadmin::MINUTE ? kMinute
                           : rate.unit() == flyteadmin::HOUR ? kHour
                           : rate.unit() == flyteadmin::DAY  ? kDay
                                                             : 0;
      if (unit == 0) return InvalidArgument("a fixed rate's unit must be MINUTE, HOUR or DAY");
      rule.interval_ns = static_cast<int64_t>(rate.value()) * unit;
      return rule;
    }
    case flyteadmin::Schedule::kCronExpression:
      return InvalidArgument(
          "cron_expression (AWS syntax) is deprecated and not supported: use "
          "cron_schedule (flytekit's CronSchedule(schedule=...))");
    default: return InvalidArgument("a schedule needs a cron_schedule or a rate");
  }
}

Slots::Slots(std::string helper) : helper_(std::move(helper)) {
  if (helper_.empty()) {
    const char* env = std::getenv("FLYTECPP_CRON_HELPER");
    helper_ = env != nullptr && *env != '\0' ? env : FLYTECPP_CRON_HELPER;
  }
}

Result<std::vector<int64_t>> Slots::Ask(const std::string& cron, int64_t after_s, int count) {
  auto out = RunProgram({helper_, cron, std::to_string(after_s), std::to_string(count)});
  if (!out.ok()) {
    // "<helper>: schedule "x": reason": the reason is what the user needs.
    std::string why = out.status().message();
    if (const size_t at = why.find(": schedule "); at != std::string::npos) {
      return InvalidArgument(why.substr(at + 2));
    }
    return out.status().WithContext("the cron helper (" + helper_ + ")");
  }
  std::vector<int64_t> times;
  const std::string& text = *out;
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find('\n', at);
    times.push_back(std::stoll(text.substr(at, end - at)));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  if (static_cast<int>(times.size()) != count) {
    return Internal("the cron helper gave " + std::to_string(times.size()) + " times of " +
                    std::to_string(count));
  }
  return times;
}

Status Slots::Check(const std::string& cron) { return Ask(cron, 0, 1).status(); }

Result<int64_t> Slots::Next(const ScheduleRule& rule, int64_t anchor_ns, int64_t after_ns) {
  if (rule.cron.empty()) {
    if (after_ns < anchor_ns) return anchor_ns + rule.interval_ns;
    return anchor_ns + (FloorDiv(after_ns - anchor_ns, rule.interval_ns) + 1) * rule.interval_ns;
  }
  // Cron slots fall on whole seconds: the first after `after_ns` is the
  // first after its second.
  const int64_t after_s = FloorDiv(after_ns, kSecond);
  Run& run = runs_[rule.cron];
  if (run.times.empty() || after_s < run.from_s || after_s >= run.times.back()) {
    FLYTECPP_ASSIGN_OR_RETURN(run.times, Ask(rule.cron, after_s, kCronBatch));
    run.from_s = after_s;
  }
  return *std::upper_bound(run.times.begin(), run.times.end(), after_s) * kSecond;
}

Status CheckSchedule(const flyteadmin::Schedule& schedule, const core::ParameterMap& expected,
                     Slots& slots) {
  FLYTECPP_ASSIGN_OR_RETURN(ScheduleRule rule, ReadSchedule(schedule));
  for (const auto& [name, param] : expected.parameters()) {
    if (param.required() && name != rule.kickoff_input) {
      return InvalidArgument("a scheduled launch plan needs a value for every required input: \"" +
                             name + "\" has none");
    }
  }
  if (!rule.kickoff_input.empty()) {
    auto it = expected.parameters().find(rule.kickoff_input);
    if (it == expected.parameters().end()) {
      return InvalidArgument("kickoff_time_input_arg \"" + rule.kickoff_input +
                             "\" is not an input a caller gives");
    }
    if (it->second.var().type().simple() != core::DATETIME) {
      return InvalidArgument("kickoff_time_input_arg \"" + rule.kickoff_input +
                             "\" must be a datetime input");
    }
  }
  if (!rule.cron.empty()) FLYTECPP_RETURN_IF_ERROR(slots.Check(rule.cron));
  return Status::Ok();
}

Result<std::vector<ScheduleView>> ListSchedules(AdminApi& api, const std::string& project,
                                                const std::string& domain, int64_t now_ns) {
  std::vector<std::string> projects = {project}, domains = {domain};
  if (project.empty()) {
    projects.clear();
    flyteadmin::ProjectListRequest request;
    do {
      FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::Projects page, api.ListProjects(request));
      for (const auto& p : page.projects()) projects.push_back(p.id());
      request.set_token(page.token());
    } while (!request.token().empty());
  }
  if (domain.empty()) {
    domains.clear();
    FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::GetDomainsResponse all,
                              api.GetDomains(flyteadmin::GetDomainRequest()));
    for (const auto& d : all.domains()) domains.push_back(d.id());
  }
  Slots slots;
  std::vector<ScheduleView> out;
  for (const auto& p : projects) {
    for (const auto& d : domains) {
      flyteadmin::ActiveLaunchPlanListRequest request;
      request.set_project(p);
      request.set_domain(d);
      request.set_limit(100);
      do {
        FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::LaunchPlanList page,
                                  api.ListActiveLaunchPlans(request));
        for (const auto& lp : page.launch_plans()) {
          if (!lp.spec().entity_metadata().has_schedule()) continue;
          ScheduleView view;
          view.launch_plan = lp.id();
          view.active_since_ns = TimeUtil::TimestampToNanoseconds(lp.closure().updated_at());
          auto rule = ReadSchedule(lp.spec().entity_metadata().schedule());
          if (!rule.ok()) {
            view.error = rule.status().message();
          } else {
            view.schedule = rule->Describe();
            view.kickoff_input = rule->kickoff_input;
            // As the scheduler counts: slots after the activation that fire
            // after now.
            const int64_t after = std::max(view.active_since_ns, now_ns) - rule->offset_ns;
            auto next = slots.Next(*rule, view.active_since_ns, after);
            if (next.ok()) {
              view.next_ns = *next + rule->offset_ns;
            } else {
              view.error = next.status().message();
            }
          }
          out.push_back(std::move(view));
        }
        request.set_token(page.token());
      } while (!request.token().empty());
    }
  }
  std::sort(out.begin(), out.end(), [](const ScheduleView& a, const ScheduleView& b) {
    return std::tie(a.launch_plan.project(), a.launch_plan.domain(), a.launch_plan.name()) <
           std::tie(b.launch_plan.project(), b.launch_plan.domain(), b.launch_plan.name());
  });
  return out;
}

}  // namespace flytecpp::admin
