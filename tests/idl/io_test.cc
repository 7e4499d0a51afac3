#include "flytecpp/idl/io.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>

#include "flytecpp/idl/builders.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/workflow_closure.pb.h"
#include "test_support.h"

namespace flytecpp::idl {
namespace {

using google::protobuf::util::MessageDifferencer;
using namespace std::chrono_literals;

TaskTemplate SampleTask() {
  return TaskBuilder("io.sample")
      .Version("v1")
      .Input("x", types::Int())
      .Input("when", types::Datetime())
      .Output("y", types::Map(types::List(types::Float())))
      .Timeout(90s)
      .Retries(2)
      .Tag("123", "456")  // keys/values that look like numbers stay strings
      .Container(ContainerBuilder("img:1").Command({"run", "true", "3"}).CpuRequest("1"))
      .Build();
}

TEST(IoTest, JsonRoundTripIsLossless) {
  TaskTemplate t = SampleTask();
  auto json = Serialize(t, Format::kJson);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"retries\""), std::string::npos);
  TaskTemplate back;
  ASSERT_TRUE(Parse(*json, Format::kJson, &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(t, back));
}

TEST(IoTest, YamlRoundTripIsLossless) {
  TaskTemplate t = SampleTask();
  auto yaml = Serialize(t, Format::kYaml);
  ASSERT_TRUE(yaml.ok());
  EXPECT_NE(yaml->find("image: img:1"), std::string::npos) << *yaml;
  EXPECT_NE(yaml->find("\"123\": \"456\""), std::string::npos) << *yaml;
  TaskTemplate back;
  Status st = Parse(*yaml, Format::kYaml, &back);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(t, back));
}

TEST(IoTest, HandWrittenYamlNeedsNoQuoting) {
  const char* yaml = R"(
id:
  resourceType: TASK
  name: hand.written
  version: 2            # a plain number for a string field
type: python-task
metadata:
  retries: {retries: 3}
  timeout: 30s
  interruptible: yes
  tags: {a: 1}
container:
  image: python:3.9-slim
  args: [--n, 10, true]
custom:
  n: 5
  s: "5"
  b: true
)";
  TaskTemplate t;
  Status st = Parse(yaml, Format::kYaml, &t);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(t.id().version(), "2");
  EXPECT_EQ(t.metadata().retries().retries(), 3u);
  EXPECT_EQ(t.metadata().timeout().seconds(), 30);
  EXPECT_TRUE(t.metadata().interruptible());
  EXPECT_EQ(t.metadata().tags().at("a"), "1");
  ASSERT_EQ(t.container().args_size(), 3);
  EXPECT_EQ(t.container().args(1), "10");
  EXPECT_EQ(t.container().args(2), "true");
  EXPECT_EQ(t.custom().fields().at("n").number_value(), 5);
  EXPECT_EQ(t.custom().fields().at("s").string_value(), "5");
  EXPECT_TRUE(t.custom().fields().at("b").bool_value());
}

TEST(IoTest, YamlErrorsCarryLineAndColumn) {
  TaskTemplate t;
  Status st = Parse("id:\n  name: x\n  bogus: 1\n", Format::kYaml, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("3:3: unknown field \"bogus\" in flyteidl.core.Identifier"),
            std::string::npos)
      << st.message();
  st = Parse("id: [unclosed\n", Format::kYaml, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("invalid YAML at"), std::string::npos) << st.message();
  st = Parse("metadata:\n  interruptible: perhaps\n", Format::kYaml, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("2:18"), std::string::npos) << st.message();
}

TEST(IoTest, InvalidJsonIsAnError) {
  TaskTemplate t;
  Status st = Parse("{\"id\": ", Format::kJson, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("invalid JSON for flyteidl.core.TaskTemplate"), std::string::npos);
  st = Parse("{\"nosuchfield\": 1}", Format::kJson, &t);
  EXPECT_FALSE(st.ok());
}

TEST(IoTest, TruncatedBinaryIsAnError) {
  auto bytes = Serialize(SampleTask(), Format::kBinary);
  ASSERT_TRUE(bytes.ok());
  TaskTemplate t;
  EXPECT_TRUE(Parse(*bytes, Format::kBinary, &t).ok());
  Status st = Parse(bytes->substr(0, bytes->size() - 3), Format::kBinary, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("truncated, corrupt"), std::string::npos);
}

TEST(IoTest, FormatFromPathAndName) {
  EXPECT_EQ(FormatFromPath("a/b.json"), Format::kJson);
  EXPECT_EQ(FormatFromPath("b.yml"), Format::kYaml);
  EXPECT_EQ(FormatFromPath("b.yaml"), Format::kYaml);
  EXPECT_EQ(FormatFromPath("b.pb"), Format::kBinary);
  EXPECT_EQ(*ParseFormatName("yaml"), Format::kYaml);
  EXPECT_FALSE(ParseFormatName("xml").ok());
}

TEST(IoTest, WriteIsAtomicAndReadBack) {
  testing::TempDir dir;
  auto path = dir.path() / "t.yaml";
  ASSERT_TRUE(WriteMessage(path, SampleTask()).ok());
  TaskTemplate back;
  ASSERT_TRUE(ReadMessage(path, &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(back, SampleTask()));
  // No temporary files are left beside the target.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  // A write into a missing directory fails and creates nothing.
  Status st = WriteMessage(dir.path() / "missing" / "t.pb", SampleTask());
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

TEST(IoTest, ReadErrorsNameTheFile) {
  testing::TempDir dir;
  TaskTemplate t;
  Status st = ReadMessage(dir.path() / "absent.pb", &t);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("absent.pb"), std::string::npos);
  auto path = dir.path() / "bad.json";
  std::ofstream(path) << "{not json";
  st = ReadMessage(path, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind(path.string(), 0), 0u) << st.message();
}

TEST(IoTest, FindMessageTypeByShortOrFullName) {
  EXPECT_EQ(*FindMessageType("TaskSpec"), flyteidl::admin::TaskSpec::descriptor());
  EXPECT_EQ(*FindMessageType("flyteidl.admin.TaskSpec"), flyteidl::admin::TaskSpec::descriptor());
  EXPECT_EQ(*FindMessageType("core.LiteralMap"), flyteidl::core::LiteralMap::descriptor());
  EXPECT_TRUE(FindMessageType("plugins.SparkJob").ok());
  EXPECT_FALSE(FindMessageType("NoSuchThing").ok());
}

TEST(IoTest, DetectsDistinctTypes) {
  flyteidl::core::CompiledWorkflowClosure closure;
  *closure.mutable_primary()->mutable_template_() = WorkflowBuilder("wf").Build();
  closure.mutable_primary()->mutable_template_()->add_nodes()->set_id("n0");
  for (Format f : {Format::kBinary, Format::kJson, Format::kYaml}) {
    auto data = Serialize(closure, f);
    ASSERT_TRUE(data.ok());
    auto type = DetectMessageType(*data, f);
    ASSERT_TRUE(type.ok()) << FormatName(f) << ": " << type.status().ToString();
    EXPECT_EQ(*type, flyteidl::core::CompiledWorkflowClosure::descriptor()) << FormatName(f);
  }
  auto inputs = Serialize(lit::Inputs({{"a", lit::Int(1)}}), Format::kBinary);
  EXPECT_EQ(*DetectMessageType(*inputs, Format::kBinary), flyteidl::core::LiteralMap::descriptor());
}

TEST(IoTest, DetectionSaysWhenAmbiguousAndUsesPyflyteSuffix) {
  // A TaskSpec without description has exactly CompiledTask's bytes.
  flyteidl::admin::TaskSpec spec;
  *spec.mutable_template_() = SampleTask();
  auto bytes = Serialize(spec, Format::kBinary);
  auto type = DetectMessageType(*bytes, Format::kBinary, "task.pb");
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("ambiguous"), std::string::npos);
  EXPECT_NE(type.status().message().find("TaskSpec"), std::string::npos);
  EXPECT_NE(type.status().message().find("CompiledTask"), std::string::npos);
  EXPECT_EQ(*DetectMessageType(*bytes, Format::kBinary, "001_my.task_1.pb"),
            flyteidl::admin::TaskSpec::descriptor());
}

TEST(IoTest, DetectionRejectsGarbageAndEmpty) {
  EXPECT_FALSE(DetectMessageType("", Format::kBinary).ok());
  EXPECT_FALSE(DetectMessageType("\xff\xff\xff\xff garbage", Format::kBinary).ok());
  EXPECT_FALSE(DetectMessageType("{\"hello\": 1}", Format::kJson).ok());
  EXPECT_FALSE(DetectMessageType("hello: 1\n", Format::kYaml).ok());
}

}  // namespace
}  // namespace flytecpp::idl
