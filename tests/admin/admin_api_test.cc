// The admin layer's two implementations answer alike: each test runs against
// the in-process one (OpenLocalAdmin) and against the same over gRPC
// (ConnectAdmin to a flytecpp server), both over a real store and engine.
#include "flytecpp/admin/admin_api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/runtime/runtime.h"
#include "flytecpp/server/server.h"
#include "flytecpp/store/store.h"
#include "test_support.h"

namespace flytecpp::admin {
namespace {

namespace core = flyteidl::core;
using namespace flytecpp::idl;

core::Identifier Id(core::ResourceType type, const std::string& name) {
  core::Identifier id;
  id.set_resource_type(type);
  id.set_project("p");
  id.set_domain("development");
  id.set_name(name);
  id.set_version("v1");
  return id;
}

core::WorkflowExecutionIdentifier ExecId(const std::string& name) {
  core::WorkflowExecutionIdentifier id;
  id.set_project("p");
  id.set_domain("development");
  id.set_name(name);
  return id;
}

class AdminApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string store_dir = (dir_.path() / "store").string();
    auto opened = store::OpenStore(store_dir, dir_.path() / "store" / "data");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_store_ = std::move(opened).value();
    tasks_.Register("double", [](const core::LiteralMap& in) -> runtime::TaskOutcome {
      core::LiteralMap out;
      (*out.mutable_literals())["y"] =
          lit::Int(2 * in.literals().at("x").scalar().primitive().integer());
      return out;
    });
    engine::EngineOptions options;
    options.store = engine_store_.get();
    options.runtimes = {&tasks_};
    options.control_poll_interval = std::chrono::milliseconds(20);
    engine_ = std::make_unique<engine::Engine>(std::move(options));
    if (GetParam() == "local") {
      LocalAdminOptions local;
      local.store = store_dir;
      local.data_dir = (dir_.path() / "store" / "data").string();
      engine::Engine* engine = engine_.get();
      local.engine = [engine]() -> Result<engine::Engine*> { return engine; };
      auto api = OpenLocalAdmin(local);
      ASSERT_TRUE(api.ok()) << api.status().ToString();
      api_ = std::move(api).value();
    } else {
      server::ServerOptions options;
      options.store_dir = store_dir;
      options.grpc_address = "127.0.0.1:0";
      options.engine = engine_.get();
      options.adopt_interval = std::chrono::milliseconds(0);
      auto server = server::Server::Start(options);
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      server_ = std::move(server).value();
      api_ = ConnectAdmin({"127.0.0.1:" + std::to_string(server_->grpc_port()), "", ""});
    }
  }

  void TearDown() override {
    api_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
    engine_.reset();
  }

  // Registers task "double", workflow "wf" (x -> double -> y) and its launch
  // plan; with `gate`, the workflow first waits for signal "go" (a bool).
  void RegisterDoubling(bool gate = false) {
    TaskBuilder task("double");
    task.Input("x", types::Int()).Output("y", types::Int());
    task.Container(ContainerBuilder("img").Command({"run"}));
    core::TaskTemplate t = task.Build();
    *t.mutable_id() = Id(core::TASK, "double");
    flyteidl::admin::TaskCreateRequest create_task;
    *create_task.mutable_id() = t.id();
    *create_task.mutable_spec()->mutable_template_() = t;
    auto made_task = api_->CreateTask(create_task);  // the same task for both workflows
    ASSERT_TRUE(made_task.ok() || made_task.status().code() == StatusCode::kAlreadyExists)
        << made_task.status().ToString();

    WorkflowBuilder wf(gate ? "gated" : "wf");
    wf.Project("p", "development").Version("v1");
    wf.Input("x", types::Int());
    auto node = TaskNode("n0", t);
    node.Bind("x", WorkflowInput("x"));
    if (gate) {
      wf.Add(SignalGate("g", "go", types::Bool(), "o0"));
      node.After("g");
    }
    wf.Add(node);
    wf.Output("y", types::Int(), Promise("n0", "y"));
    flyteidl::admin::WorkflowCreateRequest create_wf;
    core::WorkflowTemplate w = wf.Build();
    *create_wf.mutable_id() = w.id();
    *create_wf.mutable_spec()->mutable_template_() = w;
    auto made = api_->CreateWorkflow(create_wf);
    ASSERT_TRUE(made.ok()) << made.status().ToString();

    flyteidl::admin::LaunchPlanCreateRequest create_lp;
    *create_lp.mutable_id() = Id(core::LAUNCH_PLAN, w.id().name());
    *create_lp.mutable_spec()->mutable_workflow_id() = w.id();
    auto lp = api_->CreateLaunchPlan(create_lp);
    ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  }

  Result<flyteidl::admin::ExecutionCreateResponse> Launch(const std::string& lp,
                                                          const std::string& name, int64_t x) {
    flyteidl::admin::ExecutionCreateRequest request;
    request.set_project("p");
    request.set_domain("development");
    request.set_name(name);
    *request.mutable_spec()->mutable_launch_plan() = Id(core::LAUNCH_PLAN, lp);
    (*request.mutable_inputs()->mutable_literals())["x"] = lit::Int(x);
    return api_->CreateExecution(request);
  }

  // The execution once it reached `want` (or ended); its last answer.
  flyteidl::admin::Execution WaitFor(const std::string& name, core::WorkflowExecution::Phase want) {
    flyteidl::admin::WorkflowExecutionGetRequest get;
    *get.mutable_id() = ExecId(name);
    flyteidl::admin::Execution last;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      auto e = api_->GetExecution(get);
      if (e.ok()) {
        last = *e;
        if (e->closure().phase() == want || IsTerminal(e->closure().phase())) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return last;
  }

  flytecpp::testing::TempDir dir_;
  std::unique_ptr<store::Store> engine_store_;
  runtime::InProcessRuntime tasks_{1};
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<AdminApi> api_;
};

TEST_P(AdminApiTest, RegistersRunsAndReadsBackAnExecution) {
  RegisterDoubling();
  // The same spec again is AlreadyExists (clients take it as success).
  flyteidl::admin::ObjectGetRequest get_task;
  *get_task.mutable_id() = Id(core::TASK, "double");
  auto task = api_->GetTask(get_task);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(task->id().name(), "double");
  flyteidl::admin::TaskCreateRequest again;
  *again.mutable_id() = task->id();
  *again.mutable_spec()->mutable_template_() = task->closure().compiled_task().template_();
  auto registered_again = api_->CreateTask(again);
  ASSERT_FALSE(registered_again.ok());
  EXPECT_EQ(registered_again.status().code(), StatusCode::kAlreadyExists)
      << registered_again.status().ToString();

  auto created = Launch("wf", "e1", 21);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id().name(), "e1");
  EXPECT_EQ(WaitFor("e1", core::WorkflowExecution::SUCCEEDED).closure().phase(),
            core::WorkflowExecution::SUCCEEDED);

  flyteidl::admin::WorkflowExecutionGetDataRequest data_request;
  *data_request.mutable_id() = ExecId("e1");
  auto data = api_->GetExecutionData(data_request);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_TRUE(data->full_outputs().literals().contains("y"));
  EXPECT_EQ(data->full_outputs().literals().at("y").scalar().primitive().integer(), 42);

  flyteidl::admin::NodeExecutionListRequest nodes_request;
  *nodes_request.mutable_workflow_execution_id() = ExecId("e1");
  nodes_request.set_limit(100);
  auto nodes = api_->ListNodeExecutions(nodes_request);
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  bool saw_n0 = false;
  for (const auto& n : nodes->node_executions()) {
    if (n.id().node_id() != "n0") continue;
    saw_n0 = true;
    EXPECT_EQ(n.closure().phase(), core::NodeExecution::SUCCEEDED);
  }
  EXPECT_TRUE(saw_n0);

  flyteidl::admin::TaskExecutionListRequest attempts_request;
  *attempts_request.mutable_node_execution_id()->mutable_execution_id() = ExecId("e1");
  attempts_request.mutable_node_execution_id()->set_node_id("n0");
  attempts_request.set_limit(10);
  auto attempts = api_->ListTaskExecutions(attempts_request);
  ASSERT_TRUE(attempts.ok()) << attempts.status().ToString();
  ASSERT_EQ(attempts->task_executions_size(), 1);
  EXPECT_EQ(attempts->task_executions(0).closure().phase(), core::TaskExecution::SUCCEEDED);
}

TEST_P(AdminApiTest, ErrorsKeepTheirCodeAndNameWhatIsMissing) {
  RegisterDoubling();
  flyteidl::admin::WorkflowExecutionGetRequest get;
  *get.mutable_id() = ExecId("nope");
  auto missing = api_->GetExecution(get);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos)
      << missing.status().message();

  auto first = Launch("wf", "twice", 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = Launch("wf", "twice", 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status().ToString();

  auto bad_name = Launch("wf", "../escape", 1);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);

  flyteidl::admin::ResourceListRequest no_limit;
  no_limit.mutable_id()->set_project("p");
  no_limit.mutable_id()->set_domain("development");
  auto list = api_->ListExecutions(no_limit);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(list.status().message(), "limit must be greater than 0");
}

TEST_P(AdminApiTest, ListsPageWithTheTokenTheyGiveOut) {
  RegisterDoubling();
  for (const char* name : {"a1", "a2", "a3"}) ASSERT_TRUE(Launch("wf", name, 1).ok());
  flyteidl::admin::ResourceListRequest request;
  request.mutable_id()->set_project("p");
  request.mutable_id()->set_domain("development");
  request.set_limit(2);
  auto first = api_->ListExecutions(request);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->executions_size(), 2);
  ASSERT_FALSE(first->token().empty());
  request.set_token(first->token());
  auto second = api_->ListExecutions(request);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->executions_size(), 1);
  EXPECT_TRUE(second->token().empty());
  std::set<std::string> names;
  for (const auto& e : first->executions()) names.insert(e.id().name());
  names.insert(second->executions(0).id().name());
  EXPECT_EQ(names, (std::set<std::string>{"a1", "a2", "a3"}));
}

TEST_P(AdminApiTest, TheSameWorkflowWithItsUpstreamIdsReorderedIsTheSameSpec) {
  WorkflowBuilder wf("two_gates");
  wf.Project("p", "development").Version("v1");
  wf.Add(SignalGate("g", "go", types::Bool(), "o0"));
  wf.Add(SignalGate("h", "also", types::Bool(), "o0"));
  auto node = SignalGate("n0", "last", types::Bool(), "o0");
  node.After("g");
  node.After("h");
  wf.Add(node);
  flyteidl::admin::WorkflowCreateRequest create;
  core::WorkflowTemplate w = wf.Build();
  *create.mutable_id() = w.id();
  *create.mutable_spec()->mutable_template_() = w;
  auto made = api_->CreateWorkflow(create);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto* last = create.mutable_spec()->mutable_template_()->mutable_nodes(2);
  ASSERT_EQ(last->upstream_node_ids_size(), 2);
  last->mutable_upstream_node_ids()->SwapElements(0, 1);  // as flytekit may list them
  EXPECT_EQ(api_->CreateWorkflow(create).status().code(), StatusCode::kAlreadyExists);
  last->add_upstream_node_ids("start-node");
  EXPECT_EQ(api_->CreateWorkflow(create).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(AdminApiTest, NamedEntitiesAreNamesNotVersions) {
  RegisterDoubling();
  RegisterDoubling(/*gate=*/true);
  flyteidl::admin::NamedEntityListRequest request;
  request.set_resource_type(core::WORKFLOW);
  request.set_project("p");
  request.set_domain("development");
  request.set_limit(1);
  auto first = api_->ListNamedEntities(request);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->entities_size(), 1);
  EXPECT_EQ(first->entities(0).id().name(), "gated");  // by name
  EXPECT_EQ(first->entities(0).resource_type(), core::WORKFLOW);
  request.set_token(first->token());
  auto second = api_->ListNamedEntities(request);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->entities_size(), 1);
  EXPECT_EQ(second->entities(0).id().name(), "wf");
  EXPECT_TRUE(second->token().empty());

  flyteidl::admin::NamedEntityGetRequest get;
  get.set_resource_type(core::LAUNCH_PLAN);
  get.mutable_id()->set_project("p");
  get.mutable_id()->set_domain("development");
  get.mutable_id()->set_name("wf");
  EXPECT_TRUE(api_->GetNamedEntity(get).ok());
  get.mutable_id()->set_name("nosuch");
  EXPECT_EQ(api_->GetNamedEntity(get).status().code(), StatusCode::kNotFound);
}

TEST_P(AdminApiTest, ASignalReleasesItsGateAndTerminateAbortsAWaitingOne) {
  RegisterDoubling(/*gate=*/true);
  ASSERT_TRUE(Launch("gated", "g1", 5).ok());
  ASSERT_TRUE(Launch("gated", "g2", 5).ok());
  flyteidl::admin::SignalListRequest list;
  *list.mutable_workflow_execution_id() = ExecId("g1");
  list.set_limit(10);
  auto signals = api_->ListSignals(list);
  ASSERT_TRUE(signals.ok()) << signals.status().ToString();
  ASSERT_EQ(signals->signals_size(), 1);
  EXPECT_EQ(signals->signals(0).id().signal_id(), "go");
  EXPECT_EQ(signals->signals(0).type().simple(), core::BOOLEAN);

  flyteidl::admin::SignalSetRequest set;
  *set.mutable_id()->mutable_execution_id() = ExecId("g1");
  set.mutable_id()->set_signal_id("go");
  *set.mutable_value() = lit::Bool(true);
  auto released = api_->SetSignal(set, {"admin_api_test", ""});
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(WaitFor("g1", core::WorkflowExecution::SUCCEEDED).closure().phase(),
            core::WorkflowExecution::SUCCEEDED);

  flyteidl::admin::ExecutionTerminateRequest terminate;
  *terminate.mutable_id() = ExecId("g2");
  terminate.set_cause("no longer wanted");
  auto terminated = api_->TerminateExecution(terminate);
  ASSERT_TRUE(terminated.ok()) << terminated.status().ToString();
  const auto ended = WaitFor("g2", core::WorkflowExecution::ABORTED);
  EXPECT_EQ(ended.closure().phase(), core::WorkflowExecution::ABORTED);
  EXPECT_EQ(ended.closure().abort_metadata().cause(), "no longer wanted");
}

TEST(AdminApiGrpcTest, AReasonForASignalCannotBeSentAndAnUnreachableServerIsNamed) {
  auto api = ConnectAdmin({"127.0.0.1:1", "", ""});
  flyteidl::admin::SignalSetRequest set;
  *set.mutable_id()->mutable_execution_id() = ExecId("g");
  set.mutable_id()->set_signal_id("go");
  auto with_reason = api->SetSignal(set, {"me", "because"});
  ASSERT_FALSE(with_reason.ok());
  EXPECT_EQ(with_reason.status().code(), StatusCode::kInvalidArgument);

  flyteidl::admin::WorkflowExecutionGetRequest get;
  *get.mutable_id() = ExecId("g");
  auto unreachable = api->GetExecution(get);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unreachable.status().message().find("server 127.0.0.1:1"), std::string::npos)
      << unreachable.status().message();
}

INSTANTIATE_TEST_SUITE_P(BothWays, AdminApiTest, ::testing::Values("local", "grpc"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace flytecpp::admin
