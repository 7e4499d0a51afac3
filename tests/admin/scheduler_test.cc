// The scheduler (src/admin/scheduler.h) over a real store, registry and
// engine, on the fake clock: days of slots pass in milliseconds. Each test
// runs on SQLite and on the test command's PostgreSQL.
#include "scheduler.h"

#include "admin_loops_fixture.h"

namespace flytecpp::admin {
namespace {

using namespace flytecpp::admin::testing;
using google::protobuf::util::TimeUtil;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

INSTANTIATE_TEST_SUITE_P(, SchedulerTest, ::testing::Values(Database::kSqlite, Database::kPostgres),
                         DatabaseName);

TEST(ScheduledExecutionNameTest, IsFlyteSchedulersName) {
  // Computed with Flyte's formula (flyteadmin/scheduler/identifier): Go's
  // hash/fnv New64 of "p:d:n:v:<unix seconds>", little-endian into a UUID,
  // "f" + its first 19 hex digits.
  core::Identifier lp;
  lp.set_project("flytesnacks");
  lp.set_domain("development");
  lp.set_name("my_cron_scheduled_lp");
  lp.set_version("v1");
  EXPECT_EQ(ScheduledExecutionName(lp, 1'767'225'600), "f704073c704e3737c000");
  EXPECT_NE(ScheduledExecutionName(lp, 1'767'225'660), "f704073c704e3737c000");
}

TEST(ScheduleRuleTest, ReadsOffsetsAndRefusesWhatFlyteRefuses) {
  EXPECT_EQ(*ParseIsoDuration("PT1H"), 3600 * kSecond);
  EXPECT_EQ(*ParseIsoDuration("-P1DT30M"), -(86400 + 1800) * kSecond);
  EXPECT_EQ(*ParseIsoDuration("P2W"), 14 * 86400 * kSecond);
  EXPECT_EQ(*ParseIsoDuration("PT1.5S"), 1500'000'000);
  EXPECT_EQ(ParseIsoDuration("P1M").status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ParseIsoDuration("P1M").status().message().find("months"), std::string::npos);
  EXPECT_EQ(ParseIsoDuration("1h").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIsoDuration("P").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseIsoDuration("PT").status().code(), StatusCode::kInvalidArgument);

  flyteidl::admin::Schedule aws;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  aws.set_cron_expression("0/15 * * * ? *");
#pragma GCC diagnostic pop
  auto read = ReadSchedule(aws);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("cron_expression"), std::string::npos);
  flyteidl::admin::Schedule zero;
  zero.mutable_rate()->set_value(0);
  EXPECT_FALSE(ReadSchedule(zero).ok());
}

TEST(SlotsTest, CronTimesComeFromFlytesParser) {
  Slots slots;
  ScheduleRule every5;
  every5.cron = "*/5 * * * *";
  EXPECT_EQ(*slots.Next(every5, 0, kNewYear), kNewYear + 300 * kSecond);
  EXPECT_EQ(*slots.Next(every5, 0, kNewYear + 1), kNewYear + 300 * kSecond);
  EXPECT_EQ(*slots.Next(every5, 0, kNewYear - 1), kNewYear);
  ScheduleRule hourly;
  hourly.cron = "hourly";  // flytekit's alias, which robfig/cron knows as @hourly
  EXPECT_EQ(*slots.Next(hourly, 0, kNewYear + 1), kNewYear + 3600 * kSecond);
  ScheduleRule every90;
  every90.cron = "@every 90m";
  EXPECT_TRUE(slots.Check(every90.cron).ok());
  // Far ahead of what the helper gave last: asked again.
  EXPECT_EQ(*slots.Next(every5, 0, kNewYear + 10LL * 86400 * kSecond),
            kNewYear + (10LL * 86400 + 300) * kSecond);
  ScheduleRule rate;
  rate.interval_ns = 3600 * kSecond;
  EXPECT_EQ(*slots.Next(rate, 17 * 60 * kSecond, 0), 17 * 60 * kSecond + 3600 * kSecond);
  EXPECT_EQ(*slots.Next(rate, 17 * 60 * kSecond, (17 + 60) * 60 * kSecond),
            (17 + 120) * 60 * kSecond);

  Status bad = slots.Check("61 * * * *");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("61 * * * *"), std::string::npos) << bad.message();
  EXPECT_EQ(slots.Check("0 0 30 2 *").code(), StatusCode::kInvalidArgument);  // never fires
  EXPECT_EQ(slots.Check("CRON_TZ=Europe/Paris 0 * * * *").code(), StatusCode::kInvalidArgument);
}

TEST_P(SchedulerTest, RegistrationChecksSchedulesAsFlyteadminDoes) {
  Server& s = StartServer("a");
  auto bad_cron = Register(*s.registry, "bad", Cron("every minute"));
  ASSERT_FALSE(bad_cron.ok());
  EXPECT_EQ(bad_cron.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_cron.status().message().find("launch plan"), std::string::npos);
  EXPECT_NE(bad_cron.status().message().find("every minute"), std::string::npos)
      << bad_cron.status().message();
  // The kickoff input must be the free datetime input; without it, t is a
  // required input with no value.
  auto unbound = Register(*s.registry, "unbound", Cron("@daily", "", ""));
  ASSERT_FALSE(unbound.ok());
  EXPECT_NE(unbound.status().message().find("\"t\""), std::string::npos)
      << unbound.status().message();
  auto missing = Register(*s.registry, "missing", Cron("@daily", "", "nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"t\""), std::string::npos);
  auto offset = Register(*s.registry, "offset", Cron("@daily", "P1Y"));
  ASSERT_FALSE(offset.ok());
  EXPECT_NE(offset.status().message().find("P1Y"), std::string::npos);
  EXPECT_TRUE(Register(*s.registry, "good", Cron("*/5 * * * *", "PT1M")).ok());
}

TEST_P(SchedulerTest, ACronScheduleFiresEverySlotOfADayOnce) {
  Server& s = StartServer("a", CatchUp::kAll, hours(6));
  auto lp = Register(*s.registry, "every5", Cron("*/5 * * * *"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  // Registered only: nothing fires.
  clock_.Advance(minutes(10));
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_TRUE(Fired(*lp).empty());
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::ACTIVE).ok());
  const int64_t activated = clock_.Now();  // 00:10:30
  // Activated between slots: the first is the next one, not one at once.
  auto next = s.scheduler->Tick();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next, kNewYear + 15 * 60 * kSecond);
  EXPECT_TRUE(Fired(*lp).empty());
  // A day in steps of five minutes, each ticked twice (the second fires
  // nothing more).
  for (int i = 0; i < 288; ++i) {
    clock_.Advance(minutes(5));
    ASSERT_TRUE(s.scheduler->Tick().ok());
    ASSERT_TRUE(s.scheduler->Tick().ok());
  }
  ASSERT_TRUE(s.engine->Settle().ok());
  auto fired = Fired(*lp);
  EXPECT_EQ(fired.size(), 288u);
  EXPECT_EQ(Keys(fired), Slots(kNewYear + 15 * 60 * kSecond, 300 * kSecond, 288));
  EXPECT_GT(fired.begin()->first, activated);
  // The cursor, moved with each execution, is at the last slot.
  auto states = Open()->ListSchedules();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(states->front().cursor_ns, fired.rbegin()->first);
  EXPECT_EQ(states->front().owner, "a");
}

TEST_P(SchedulerTest, AFixedRateKeepsItsPhaseAcrossACrashAndCatchesUpEverySlot) {
  clock_.Set(kNewYear + 17 * 60 * kSecond);  // activated at 00:17
  Server& a = StartServer("a");
  auto lp = Register(*a.registry, "hourly", Rate(1, flyteidl::admin::HOUR));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(SetState(*a.registry, *lp, flyteidl::admin::ACTIVE).ok());
  ASSERT_TRUE(a.scheduler->Tick().ok());
  clock_.Advance(minutes(90));  // 01:47
  ASSERT_TRUE(a.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)), Slots(kNewYear + 77 * 60 * kSecond, 3600 * kSecond, 1));
  Crash(a);
  // Down for two and a half hours: 02:17, 03:17 and 04:17 are missed.
  clock_.Advance(minutes(151));  // 04:18
  Server& b = StartServer("b");
  ASSERT_TRUE(b.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)), Slots(kNewYear + 77 * 60 * kSecond, 3600 * kSecond, 4));
  // The phase is kept: the next slot is 05:17.
  clock_.Advance(minutes(58));  // 05:16
  ASSERT_TRUE(b.scheduler->Tick().ok());
  EXPECT_EQ(Fired(*lp).size(), 4u);
  clock_.Advance(minutes(1));  // 05:17
  ASSERT_TRUE(b.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)), Slots(kNewYear + 77 * 60 * kSecond, 3600 * kSecond, 5));
}

TEST_P(SchedulerTest, CatchUpLatestFiresOnlyTheLastSlotMissed) {
  Server& a = StartServer("a", CatchUp::kLatest);
  auto lp = Register(*a.registry, "q", Cron("*/15 * * * *"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(SetState(*a.registry, *lp, flyteidl::admin::ACTIVE).ok());
  ASSERT_TRUE(a.scheduler->Tick().ok());
  clock_.Advance(minutes(15));  // 00:15:30
  ASSERT_TRUE(a.scheduler->Tick().ok());
  Crash(a);
  clock_.Advance(minutes(60));  // 01:15:30: 00:30, 00:45, 01:00 and 01:15 missed
  Server& b = StartServer("b", CatchUp::kLatest);
  ASSERT_TRUE(b.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)),
            (std::set<int64_t>{kNewYear + 15 * 60 * kSecond, kNewYear + 75 * 60 * kSecond}));
  int passed_over = 0;
  for (const auto& line : b.log) passed_over += line.find("passed over") != std::string::npos;
  EXPECT_EQ(passed_over, 3);
}

TEST_P(SchedulerTest, ActivatingAgainOrRegisteringAgainNeverFiresEarly) {
  Server& s = StartServer("a");
  auto lp = Register(*s.registry, "d", Cron("@hourly"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::ACTIVE).ok());
  ASSERT_TRUE(s.scheduler->Tick().ok());
  clock_.Advance(minutes(45));  // 00:45:30
  // Activating what is active changes nothing; registering the same again
  // is AlreadyExists.
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::ACTIVE).ok());
  EXPECT_EQ(Register(*s.registry, "d", Cron("@hourly")).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_TRUE(Fired(*lp).empty());
  clock_.Advance(minutes(15));  // 01:00:30
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_EQ(Fired(*lp).size(), 1u);
  // Paused over 02:00 and 03:00, activated again at 03:30:30: nothing of the
  // pause fires, and nothing at once.
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::INACTIVE).ok());
  clock_.Advance(minutes(60));
  ASSERT_TRUE(s.scheduler->Tick().ok());
  clock_.Advance(minutes(90));
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::ACTIVE).ok());
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_EQ(Fired(*lp).size(), 1u);
  clock_.Advance(minutes(30));  // 04:00:30
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)),
            (std::set<int64_t>{kNewYear + 3600 * kSecond, kNewYear + 4 * 3600 * kSecond}));
  // A new version activated replaces the old one's schedule; its first slot
  // is the next after its activation.
  auto v2 = Register(*s.registry, "d", Cron("@hourly"), "v2");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  clock_.Advance(minutes(10));
  ASSERT_TRUE(SetState(*s.registry, *v2, flyteidl::admin::ACTIVE).ok());
  clock_.Advance(minutes(50));  // 05:00:30
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_EQ(Fired(*lp).size(), 2u);
  EXPECT_EQ(Keys(Fired(*v2)), (std::set<int64_t>{kNewYear + 5 * 3600 * kSecond}));
}

TEST_P(SchedulerTest, AnOffsetShiftsWhenASlotFiresNotItsTime) {
  Server& s = StartServer("a", CatchUp::kAll, hours(6));
  auto lp = Register(*s.registry, "late", Cron("@daily", "PT1H"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::ACTIVE).ok());  // 00:00:30
  auto next = s.scheduler->Tick();
  ASSERT_TRUE(next.ok());
  // Today's slot (00:00) fires at 01:00, after the activation: it fires.
  EXPECT_EQ(*next, kNewYear + 3600 * kSecond);
  clock_.Advance(minutes(59));
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_TRUE(Fired(*lp).empty());
  clock_.Advance(minutes(1));
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)), (std::set<int64_t>{kNewYear}));  // its kickoff time is 00:00
}

TEST_P(SchedulerTest, ASlotWhoseExecutionExistsIsNotFiredAgain) {
  // A crash after the execution was recorded but before the scheduler
  // learnt it (here: made by hand, with the slot's name and no cursor move).
  Server& s = StartServer("a");
  auto lp = Register(*s.registry, "c", Cron("@hourly"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(SetState(*s.registry, *lp, flyteidl::admin::ACTIVE).ok());
  ASSERT_TRUE(s.scheduler->Tick().ok());
  flyteidl::admin::ExecutionCreateRequest by_hand;
  by_hand.set_project("p");
  by_hand.set_domain("development");
  by_hand.set_name(ScheduledExecutionName(*lp, (kNewYear + 3600 * kSecond) / kSecond));
  *by_hand.mutable_spec()->mutable_launch_plan() = *lp;
  by_hand.mutable_spec()->mutable_metadata()->set_mode(
      flyteidl::admin::ExecutionMetadata::SCHEDULED);
  *by_hand.mutable_spec()->mutable_metadata()->mutable_scheduled_at() =
      TimeUtil::NanosecondsToTimestamp(kNewYear + 3600 * kSecond);
  (*by_hand.mutable_inputs()->mutable_literals())["t"] =
      lit::Datetime(TimePoint(std::chrono::nanoseconds(kNewYear + 3600 * kSecond)));
  ASSERT_TRUE(s.executions->Create(by_hand).ok());
  clock_.Advance(hours(1));
  ASSERT_TRUE(s.scheduler->Tick().ok());
  EXPECT_EQ(Fired(*lp).size(), 1u);
  auto states = Open()->ListSchedules();
  ASSERT_TRUE(states.ok());
  EXPECT_EQ(states->front().cursor_ns, kNewYear + 3600 * kSecond);
}

TEST_P(SchedulerTest, TwoServersOnOneDatabaseFireEachSlotOnce) {
  Server& a = StartServer("a", CatchUp::kAll, minutes(10));
  Server& b = StartServer("b", CatchUp::kAll, minutes(10));
  auto lp = Register(*a.registry, "shared", Cron("*/5 * * * *"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  ASSERT_TRUE(SetState(*a.registry, *lp, flyteidl::admin::ACTIVE).ok());
  for (int i = 0; i < 12; ++i) {
    clock_.Advance(minutes(5));
    ASSERT_TRUE((i % 2 ? a : b).scheduler->Tick().ok());
    ASSERT_TRUE((i % 2 ? b : a).scheduler->Tick().ok());
  }
  EXPECT_EQ(Keys(Fired(*lp)), Slots(kNewYear + 5 * 60 * kSecond, 300 * kSecond, 12));
  // One held the schedule all along (its lease outlasts a step).
  Server& holder = a.log.empty() ? b : a;
  Server& other = a.log.empty() ? a : b;
  EXPECT_EQ(holder.log.size(), 12u);
  EXPECT_TRUE(other.log.empty());
  // The holder dies; the other takes the schedule over once the lease has
  // run out, and fires what is due then.
  Crash(holder);
  clock_.Advance(minutes(5));
  ASSERT_TRUE(other.scheduler->Tick().ok());
  EXPECT_TRUE(other.log.empty());  // the lease runs still
  clock_.Advance(minutes(6));
  ASSERT_TRUE(other.scheduler->Tick().ok());
  EXPECT_EQ(Keys(Fired(*lp)), Slots(kNewYear + 5 * 60 * kSecond, 300 * kSecond, 14));
}

TEST_P(SchedulerTest, TwoEnginesCreatingOneExecutionMakeOne) {
  // The race under the scheduler's leases: two engines submit the same new
  // id at once. One records it; the other's Submit is AlreadyExists and it
  // runs nothing of it.
  Server& a = StartServer("a");
  Server& b = StartServer("b");
  auto lp = Register(*a.registry, "race", Cron("@hourly"));
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  flyteidl::admin::ExecutionCreateRequest request;
  request.set_project("p");
  request.set_domain("development");
  request.set_name("f0123456789abcdef000");
  *request.mutable_spec()->mutable_launch_plan() = *lp;
  (*request.mutable_inputs()->mutable_literals())["t"] =
      lit::Datetime(TimePoint(std::chrono::nanoseconds(kNewYear)));
  for (int round = 0; round < 5; ++round) {
    request.set_name("f0123456789abcdef00" + std::to_string(round));
    Result<flyteidl::admin::ExecutionCreateResponse> ra = InvalidArgument("not run");
    Result<flyteidl::admin::ExecutionCreateResponse> rb = InvalidArgument("not run");
    std::thread ta([&] { ra = a.executions->Create(request); });
    std::thread tb([&] { rb = b.executions->Create(request); });
    ta.join();
    tb.join();
    EXPECT_NE(ra.ok(), rb.ok()) << ra.status().ToString() << " / " << rb.status().ToString();
    const Status& lost = ra.ok() ? rb.status() : ra.status();
    EXPECT_EQ(lost.code(), StatusCode::kAlreadyExists) << lost.ToString();
    Server& winner = ra.ok() ? a : b;
    auto result = winner.engine->Wait(request.name());
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->phase, core::WorkflowExecution::SUCCEEDED);
  }
}

}  // namespace
}  // namespace flytecpp::admin
