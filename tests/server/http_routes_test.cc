// flyteadmin's HTTP routes, read from the generated descriptors.
#include "http_routes.h"

#include <gtest/gtest.h>

#include "flyteidl/admin/execution.pb.h"
#include "flyteidl/admin/node_execution.pb.h"
#include "flyteidl/service/admin.grpc.pb.h"
#include "flyteidl/service/signal.grpc.pb.h"
#include "google/api/annotations.pb.h"

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
  // Every HTTP rule of both services (and its additional bindings), with
  // each path variable filled, reaches its method: none is lost or shadowed.
  int rules = 0;
  for (const char* name : {"flyteidl.service.AdminService", "flyteidl.service.SignalService"}) {
    const pb::ServiceDescriptor* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> all = {&rule};
      for (const auto& more : rule.additional_bindings()) all.push_back(&more);
      for (const google::api::HttpRule* r : all) {
        std::string verb, path;
        switch (r->pattern_case()) {
          case google::api::HttpRule::kGet: verb = "GET", path = r->get(); break;
          case google::api::HttpRule::kPut: verb = "PUT", path = r->put(); break;
          case google::api::HttpRule::kPost: verb = "POST", path = r->post(); break;
          case google::api::HttpRule::kDelete: verb = "DELETE", path = r->delete_(); break;
          case google::api::HttpRule::kPatch: verb = "PATCH", path = r->patch(); break;
          default: continue;
        }
        // Each "{field.path}" filled with a value of its field's type that no
        // literal segment has: a number, an enum's last value, "s<n>".
        std::string concrete;
        int n = 0;
        for (size_t at = 0; at < path.size();) {
          if (path[at] != '{') {
            concrete += path[at++];
            continue;
          }
          const size_t close = path.find('}', at);
          const std::string field_path = path.substr(at + 1, close - at - 1);
          at = close + 1;
          const pb::Descriptor* type = method->input_type();
          const pb::FieldDescriptor* field = nullptr;
          for (size_t start = 0; type != nullptr;) {
            const size_t dot = field_path.find('.', start);
            field = type->FindFieldByName(field_path.substr(start, dot - start));
            ASSERT_NE(field, nullptr) << path;
            if (dot == std::string::npos) break;
            type = field->message_type();
            start = dot + 1;
          }
          ++n;
          if (field->enum_type() != nullptr) {
            concrete += field->enum_type()->value(field->enum_type()->value_count() - 1)->name();
          } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
            concrete += "s" + std::to_string(n);
          } else {
            concrete += std::to_string(n);
          }
        }
        ++rules;
        auto call = Routes().Match(verb, concrete, {});
        ASSERT_TRUE(call.ok()) << verb << " " << path << ": " << call.status().ToString();
        EXPECT_EQ(call->method->full_name(), method->full_name()) << verb << " " << path;
      }
    }
  }
  EXPECT_EQ(static_cast<size_t>(rules), Routes().size());
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
