// What the tests of a server's loops (the scheduler, the notifier) stand
// on: servers — an engine, a registry, executions, each on a store of its
// own — over one real database (SQLite, or the test command's PostgreSQL),
// on the fake clock.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/runtime/runtime.h"
#include "notifier.h"
#include "registry.h"
#include "scheduler.h"
#include "support/pg_schema.h"
#include "test_support.h"

namespace flytecpp::admin::testing {

namespace core = flyteidl::core;
using namespace flytecpp::idl;

constexpr int64_t kSecond = 1'000'000'000;
// 2026-01-01T00:00:00Z.
constexpr int64_t kNewYear = 1'767'225'600 * kSecond;

enum class Database { kSqlite, kPostgres };

// One server: its engine, registry, executions and scheduler, each on a
// store of its own over the test's database.
struct Server {
  std::unique_ptr<store::Store> engine_store;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Executions> executions;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Notifier> notifier;  // made by the test that needs one
  std::vector<std::string> log;        // what the scheduler and notifier said
};

class AdminLoopsTest : public ::testing::TestWithParam<Database> {
 protected:
  void SetUp() override {
    if (GetParam() == Database::kPostgres) {
      pg_ = std::make_unique<flytecpp::testing::PgSchema>();
      if (!pg_->available()) GTEST_SKIP() << flytecpp::testing::PgSchema::kSkip;
    }
    clock_.Set(kNewYear + 30 * kSecond);
    tasks_.Register("stamp", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
      core::LiteralMap out;
      const auto& t = in.literals().at("t").scalar().primitive().datetime();
      if (t.seconds() < 0) return runtime::TaskError{.message = "a time before 1970"};
      (*out.mutable_literals())["s"] = lit::Int(t.seconds());
      return out;
    });
  }

  void TearDown() override {
    for (auto& s : servers_) StopServer(*s);
  }

  Result<std::unique_ptr<store::Store>> OpenStore() {
    if (GetParam() == Database::kPostgres) {
      return store::OpenPostgresStore(pg_->conninfo_in_schema(), dir_.path() / "data");
    }
    return store::OpenSqliteStore(dir_.path() / "store", store::Durability::kOff);
  }
  std::unique_ptr<store::Store> Open() {
    auto s = OpenStore();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // A server named `owner` (its engine's and its scheduler's lease name).
  // `lease`: how long its leases last (renewed every third): what a Tick's
  // answer is bounded by.
  Server& StartServer(const std::string& owner, CatchUp catch_up = CatchUp::kAll,
                      std::chrono::milliseconds lease = std::chrono::seconds(30)) {
    auto s = std::make_unique<Server>();
    s->engine_store = Open();
    engine::EngineOptions options;
    options.store = s->engine_store.get();
    options.runtimes = {&tasks_};
    options.clock = &clock_;
    options.owner = owner;
    s->engine = std::make_unique<engine::Engine>(std::move(options));
    s->registry = std::make_unique<Registry>(Open(), &clock_);
    engine::Engine* engine = s->engine.get();
    s->executions = std::make_unique<Executions>(
        *s->registry, [engine]() -> Result<engine::Engine*> { return engine; }, Open());
    SchedulerOptions scheduling;
    scheduling.owner = owner;
    scheduling.clock = &clock_;
    scheduling.catch_up = catch_up;
    scheduling.lease_duration = lease;
    std::vector<std::string>* log = &s->log;
    scheduling.log = [log](const std::string& line) { log->push_back(line); };
    s->scheduler = std::make_unique<Scheduler>(*s->executions, Open(), std::move(scheduling));
    servers_.push_back(std::move(s));
    return *servers_.back();
  }

  // A server that dies: nothing of it is given up (its scheduler never
  // started its thread, so it releases nothing).
  void Crash(Server& s) {
    s.notifier.reset();
    s.scheduler.reset();
    s.executions.reset();
    s.registry.reset();
    s.engine.reset();
  }
  void StopServer(Server& s) { Crash(s); }

  core::Identifier Id(core::ResourceType type, const std::string& name,
                      const std::string& version = "v1") {
    core::Identifier id;
    id.set_resource_type(type);
    id.set_project("p");
    id.set_domain("development");
    id.set_name(name);
    id.set_version(version);
    return id;
  }

  // Registers task "stamp" (t: datetime -> s: int; a time before 1970
  // fails it), workflow "wf" (its input t) and launch plan `lp` with
  // `schedule`; returns the launch plan's id. Registration errors are
  // returned.
  Result<core::Identifier> Register(Registry& registry, const std::string& lp,
                                    const flyteidl::admin::Schedule& schedule,
                                    const std::string& version = "v1") {
    return Register(registry, lp, version, [&](flyteidl::admin::LaunchPlanSpec* spec) {
      *spec->mutable_entity_metadata()->mutable_schedule() = schedule;
    });
  }
  // The same, with the launch plan's spec as `edit` makes it.
  Result<core::Identifier> Register(
      Registry& registry, const std::string& lp, const std::string& version,
      const std::function<void(flyteidl::admin::LaunchPlanSpec*)>& edit) {
    TaskBuilder task("stamp");
    task.Input("t", types::Datetime()).Output("s", types::Int());
    task.Container(ContainerBuilder("img").Command({"run"}));
    core::TaskTemplate t = task.Build();
    *t.mutable_id() = Id(core::TASK, "stamp");
    flyteidl::admin::TaskCreateRequest create_task;
    *create_task.mutable_id() = t.id();
    *create_task.mutable_spec()->mutable_template_() = t;
    Status made = registry.CreateTask(create_task);
    if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;

    WorkflowBuilder wf("wf");
    wf.Project("p", "development").Version("v1");
    wf.Input("t", types::Datetime());
    auto node = TaskNode("n0", t);
    node.Bind("t", WorkflowInput("t"));
    wf.Add(node);
    wf.Output("s", types::Int(), Promise("n0", "s"));
    flyteidl::admin::WorkflowCreateRequest create_wf;
    core::WorkflowTemplate w = wf.Build();
    *create_wf.mutable_id() = w.id();
    *create_wf.mutable_spec()->mutable_template_() = w;
    made = registry.CreateWorkflow(create_wf);
    if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;

    flyteidl::admin::LaunchPlanCreateRequest create_lp;
    *create_lp.mutable_id() = Id(core::LAUNCH_PLAN, lp, version);
    *create_lp.mutable_spec()->mutable_workflow_id() = w.id();
    edit(create_lp.mutable_spec());
    FLYTECPP_RETURN_IF_ERROR(registry.CreateLaunchPlan(create_lp));
    return create_lp.id();
  }

  flytecpp::testing::TempDir dir_;
  std::unique_ptr<flytecpp::testing::PgSchema> pg_;
  FakeClock clock_;
  runtime::InProcessRuntime tasks_;
  std::vector<std::unique_ptr<Server>> servers_;
};

// The scheduler's tests' helpers: schedules, activation, what fired.
class SchedulerTest : public AdminLoopsTest {
 protected:
  static flyteidl::admin::Schedule Cron(const std::string& cron, const std::string& offset = "",
                                        const std::string& kickoff = "t") {
    flyteidl::admin::Schedule s;
    s.mutable_cron_schedule()->set_schedule(cron);
    s.mutable_cron_schedule()->set_offset(offset);
    s.set_kickoff_time_input_arg(kickoff);
    return s;
  }
  static flyteidl::admin::Schedule Rate(uint32_t value, flyteidl::admin::FixedRateUnit unit) {
    flyteidl::admin::Schedule s;
    s.mutable_rate()->set_value(value);
    s.mutable_rate()->set_unit(unit);
    s.set_kickoff_time_input_arg("t");
    return s;
  }

  static Status SetState(Registry& registry, const core::Identifier& lp,
                         flyteidl::admin::LaunchPlanState state) {
    flyteidl::admin::LaunchPlanUpdateRequest update;
    *update.mutable_id() = lp;
    update.set_state(state);
    return registry.UpdateLaunchPlan(update);
  }

  // The scheduled executions in the store: slot time (ns) -> name, from
  // each execution's spec; every one must be of `lp`, SCHEDULED, named for
  // its slot, with the slot's time as its kickoff input.
  std::map<int64_t, std::string> Fired(const core::Identifier& lp,
                                       const std::string& kickoff = "t") {
    std::map<int64_t, std::string> out;
    auto s = Open();
    auto all = s->ListExecutions();
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    if (!all.ok()) return out;
    for (const auto& listed : *all) {
      auto e = s->GetExecution(listed.id);
      EXPECT_TRUE(e.ok());
      flyteidl::admin::ExecutionSpec spec;
      EXPECT_TRUE(spec.ParseFromString(e->spec));
      if (spec.launch_plan().name() != lp.name() || spec.launch_plan().version() != lp.version()) {
        continue;
      }
      EXPECT_EQ(spec.metadata().mode(), flyteidl::admin::ExecutionMetadata::SCHEDULED);
      EXPECT_TRUE(spec.metadata().has_scheduled_at()) << e->id;
      const int64_t slot =
          google::protobuf::util::TimeUtil::TimestampToNanoseconds(spec.metadata().scheduled_at());
      EXPECT_EQ(e->id, ScheduledExecutionName(lp, slot / kSecond));
      if (!kickoff.empty()) {
        EXPECT_TRUE(e->inputs != nullptr && e->inputs->literals().count(kickoff)) << e->id;
        if (e->inputs != nullptr && e->inputs->literals().count(kickoff)) {
          EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                        e->inputs->literals().at(kickoff).scalar().primitive().datetime()),
                    slot)
              << e->id;
        }
      }
      EXPECT_FALSE(out.count(slot)) << "slot fired twice: " << slot;
      out[slot] = e->id;
    }
    return out;
  }

  static std::set<int64_t> Slots(int64_t first, int64_t step, int n) {
    std::set<int64_t> out;
    for (int i = 0; i < n; ++i) out.insert(first + i * step);
    return out;
  }
  static std::set<int64_t> Keys(const std::map<int64_t, std::string>& m) {
    std::set<int64_t> out;
    for (const auto& [k, v] : m) out.insert(k);
    return out;
  }
};

inline std::string DatabaseName(const ::testing::TestParamInfo<Database>& info) {
  return info.param == Database::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace flytecpp::admin::testing
