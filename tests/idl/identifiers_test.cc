#include "flytecpp/idl/identifiers.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace flytecpp::idl {
namespace {

TEST(IdentifiersTest, StringFormRoundTrips) {
  Identifier id = MakeIdentifier(flyteidl::core::TASK, "core.mod.t1", "v1", "proj", "dev");
  EXPECT_EQ(IdentifierString(id), "TASK:proj:dev:core.mod.t1:v1");
  auto back = ParseIdentifier(IdentifierString(id));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*back, id));
}

TEST(IdentifiersTest, ParseWithoutTypeOrVersion) {
  auto id = ParseIdentifier("p:d:wf", flyteidl::core::WORKFLOW);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->resource_type(), flyteidl::core::WORKFLOW);
  EXPECT_EQ(id->name(), "wf");
  EXPECT_EQ(id->version(), "");
  auto with_org = ParseIdentifier("LAUNCH_PLAN:p:d:lp:v@acme");
  ASSERT_TRUE(with_org.ok());
  EXPECT_EQ(with_org->org(), "acme");
  EXPECT_EQ(IdentifierString(*with_org), "LAUNCH_PLAN:p:d:lp:v@acme");
}

TEST(IdentifiersTest, ParseRejectsMalformed) {
  EXPECT_FALSE(ParseIdentifier("just-a-name").ok());
  EXPECT_FALSE(ParseIdentifier("p:d:").ok());
  EXPECT_FALSE(ParseIdentifier("a:b:c:d:e:f").ok());
}

TEST(IdentifiersTest, ExecutionIds) {
  auto e = ParseExecutionId("p:d:abc123");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(ExecutionIdString(*e), "p:d:abc123");
  flyteidl::core::NodeExecutionIdentifier n;
  *n.mutable_execution_id() = *e;
  n.set_node_id("n0");
  EXPECT_EQ(NodeExecutionIdString(n), "p:d:abc123/n0");
  EXPECT_FALSE(ParseExecutionId("a:b").ok());
}

}  // namespace
}  // namespace flytecpp::idl
