// flyteadmin's HTTP routes, read from the generated descriptors.
#include "http_routes.h"

#include <gtest/gtest.h>

#include "flyteidl/admin/execution.pb.h"
#include "flyteidl/admin/node_execution.pb.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"

namespace flytecpp::server {
namespace {

namespace pb = google::protobuf;

const HttpRoutes& Routes() {
  static const HttpRoutes routes({
      pb::DescriptorPool::generated_pool()->FindServiceByName("flyteidl.service.AdminService"),
      pb::DescriptorPool::generated_pool()->FindServiceByName("flyteidl.service.SignalService"),
  });
  return routes;
}

TEST(HttpRoutesTest, PathVariablesAndQueryFillTheRequest) {
  auto call = Routes().Match("GET", "/api/v1/executions/p/d",
                             {{"limit", "5"},
                              {"sort_by.key", "name"},
                              {"sort_by.direction", "ASCENDING"},
                              {"filters", "eq(phase,SUCCEEDED)"}});
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->grpc_path(), "/flyteidl.service.AdminService/ListExecutions");
  EXPECT_FALSE(call->body_is_request);
  const auto& req = dynamic_cast<const flyteidl::admin::ResourceListRequest&>(*call->request);
  EXPECT_EQ(req.id().project(), "p");
  EXPECT_EQ(req.id().domain(), "d");
  EXPECT_EQ(req.limit(), 5u);
  EXPECT_EQ(req.sort_by().key(), "name");
  EXPECT_EQ(req.sort_by().direction(), flyteidl::admin::Sort::ASCENDING);
  EXPECT_EQ(req.filters(), "eq(phase,SUCCEEDED)");
}

TEST(HttpRoutesTest, AnEncodedSlashStaysInsideItsSegment) {
  auto call = Routes().Match("GET", "/api/v1/node_executions/p/d/e/n1%2Fn0", {});
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->grpc_path(), "/flyteidl.service.AdminService/GetNodeExecution");
  const auto& req = dynamic_cast<const flyteidl::admin::NodeExecutionGetRequest&>(*call->request);
  EXPECT_EQ(req.id().node_id(), "n1/n0");
  EXPECT_EQ(req.id().execution_id().name(), "e");
}

TEST(HttpRoutesTest, LiteralSegmentsWinOverVariables) {
  auto call = Routes().Match("GET", "/api/v1/node_executions/p/d/e/n0/dynamic_workflow", {});
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->method->name(), "GetDynamicNodeWorkflow");
  auto recover = Routes().Match("POST", "/api/v1/executions/recover", {});
  ASSERT_TRUE(recover.ok());
  EXPECT_EQ(recover->method->name(), "RecoverExecution");
  EXPECT_TRUE(recover->body_is_request);
}

TEST(HttpRoutesTest, EveryAnnotatedMethodHasARoute) {
  // Spot checks across both services, then the count of rules.
  for (auto [verb, path, method] : {std::tuple{"GET", "/api/v1/version", "GetVersion"},
                                    {"POST", "/api/v1/signals", "SetSignal"},
                                    {"DELETE", "/api/v1/executions/p/d/n", "TerminateExecution"},
                                    {"PUT", "/api/v1/launch_plans/p/d/n/v", "UpdateLaunchPlan"}}) {
    auto call = Routes().Match(verb, path, {});
    ASSERT_TRUE(call.ok()) << verb << " " << path << ": " << call.status().ToString();
    EXPECT_EQ(call->method->name(), method);
  }
  EXPECT_GT(Routes().size(), 50u);
}

TEST(HttpRoutesTest, BadParametersAreNamed) {
  auto unknown = Routes().Match("GET", "/api/v1/executions/p/d", {{"colour", "red"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("parameter 'colour'"), std::string::npos);
  auto enum_value = Routes().Match("GET", "/api/v1/executions/p/d", {{"sort_by.direction", "UP"}});
  ASSERT_FALSE(enum_value.ok());
  EXPECT_NE(enum_value.status().message().find("'UP' is not a value"), std::string::npos);
  auto none = Routes().Match("GET", "/api/v1/executions", {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace flytecpp::server
