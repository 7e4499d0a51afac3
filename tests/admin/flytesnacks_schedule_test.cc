// flytesnacks' productionizing/lp_schedules.py — packaged by the real
// pyflyte and registered with `flytecpp register` through a server
// (lp_schedules_store.sh, this test's fixture) — on the scheduler for an
// hour of the fake clock: its every-minute cron launch plan fires 60
// times, each run given its minute as kickoff_time, and its 10-minute
// fixed-rate one 6 times with its fixed input. (The same example fires in
// real time on a real server: tests/python/schedules_test.sh.)
#include <filesystem>

#include "admin_loops_fixture.h"

namespace flytecpp::admin {
namespace {

using namespace flytecpp::admin::testing;
namespace fs = std::filesystem;
using std::chrono::minutes;

class FlytesnacksScheduleTest : public SchedulerTest {};

INSTANTIATE_TEST_SUITE_P(, FlytesnacksScheduleTest, ::testing::Values(Database::kSqlite),
                         DatabaseName);

core::Identifier LaunchPlan(const std::string& name) {
  core::Identifier id;
  id.set_resource_type(core::LAUNCH_PLAN);
  id.set_project("flytesnacks");
  id.set_domain("development");
  id.set_name(name);
  id.set_version("v1");
  return id;
}

TEST_P(FlytesnacksScheduleTest, LpSchedulesFiresItsLaunchPlansOnTheFakeClock) {
  const fs::path prepared = FLYTECPP_LP_SCHEDULES_STORE;
  if (!fs::exists(prepared / "flytecpp.db")) {
    GTEST_SKIP() << "NO LP_SCHEDULES STORE: " << prepared
                 << " is missing (its fixture needs flytekit and the flytesnacks examples)";
  }
  fs::copy(prepared, dir_.path() / "store", fs::copy_options::recursive);
  // The example's tasks, in process (their Python is run by the real-time test).
  tasks_.Register("lp_schedules.format_date",
                  [](const core::LiteralMap& in) -> runtime::TaskOutcome {
                    core::LiteralMap out;
                    const auto& t = in.literals().at("run_date").scalar().primitive().datetime();
                    (*out.mutable_literals())["o0"] = lit::String(std::to_string(t.seconds()));
                    return out;
                  });
  tasks_.Register(
      "lp_schedules.be_positive", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
        core::LiteralMap out;
        (*out.mutable_literals())["o0"] = lit::String(
            "You're awesome, " + in.literals().at("name").scalar().primitive().string_value());
        return out;
      });
  Server& s = StartServer("a", CatchUp::kAll, std::chrono::hours(6));
  const core::Identifier cron = LaunchPlan("my_cron_scheduled_lp");
  const core::Identifier rate = LaunchPlan("my_fixed_rate_lp");
  ASSERT_TRUE(SetState(*s.registry, cron, flyteidl::admin::ACTIVE).ok());
  ASSERT_TRUE(SetState(*s.registry, rate, flyteidl::admin::ACTIVE).ok());
  const int64_t activated = clock_.Now();  // 00:00:30
  for (int i = 0; i < 60; ++i) {
    clock_.Advance(minutes(1));
    ASSERT_TRUE(s.scheduler->Tick().ok());
  }
  auto fired_cron = Fired(cron, "kickoff_time");
  EXPECT_EQ(Keys(fired_cron), Slots(kNewYear + 60 * kSecond, 60 * kSecond, 60));
  auto fired_rate = Fired(rate, "");
  EXPECT_EQ(Keys(fired_rate), Slots(activated + 600 * kSecond, 600 * kSecond, 6));
  // They ran: the cron runs formatted their kickoff time, the fixed-rate
  // ones got their fixed input.
  auto first = s.engine->Wait(fired_cron.begin()->second);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->phase, core::WorkflowExecution::SUCCEEDED);
  auto nodes = Open()->GetExecution(fired_rate.begin()->second);
  ASSERT_TRUE(nodes.ok());
  ASSERT_TRUE(nodes->inputs != nullptr);
  EXPECT_EQ(nodes->inputs->literals().at("name").scalar().primitive().string_value(), "you");
  auto positive = s.engine->Wait(fired_rate.begin()->second);
  ASSERT_TRUE(positive.ok()) << positive.status().ToString();
  EXPECT_EQ(positive->phase, core::WorkflowExecution::SUCCEEDED);
}

}  // namespace
}  // namespace flytecpp::admin
