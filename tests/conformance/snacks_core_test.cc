// Every .pb of flytepropeller's snacks-core golden suite decodes as the type
// its suffix names; pb -> JSON -> pb and pb -> YAML -> pb are lossless.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/package.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "test_support.h"

namespace flytecpp::idl {
namespace {

using google::protobuf::util::MessageDifferencer;

std::filesystem::path SnacksCore(const std::filesystem::path& conformance) {
  return conformance / "flytepropeller-compiler" / "snacks-core";
}

const google::protobuf::Descriptor* TypeForSuffix(const std::string& name) {
  if (name.ends_with("_1.pb")) return flyteidl::admin::TaskSpec::descriptor();
  if (name.ends_with("_2.pb")) return flyteidl::admin::WorkflowSpec::descriptor();
  if (name.ends_with("_3.pb")) return flyteidl::admin::LaunchPlan::descriptor();
  return nullptr;
}

// `m` serialized with map entries in key order.
std::string DeterministicBytes(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }  // flushed into `out`
  return out;
}

TEST(SnacksCoreTest, EveryFileDecodesAsItsSuffixTypeAndRoundTrips) {
  FLYTECPP_REQUIRE_CONFORMANCE(dir);
  auto files = testing::FilesEndingWith(SnacksCore(dir), ".pb");
  ASSERT_EQ(files.size(), 183u) << "87 TaskSpec + 45 WorkflowSpec + 51 LaunchPlan";
  int by_kind[4] = {0, 0, 0, 0};
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const auto* type = TypeForSuffix(file.filename().string());
    ASSERT_NE(type, nullptr);
    auto bytes = ReadFileBytes(file);
    ASSERT_TRUE(bytes.ok());

    // Strict decode as the suffix type, and detection agrees.
    auto entity = DecodeEntity(file.filename().string(), *bytes);
    ASSERT_TRUE(entity.ok()) << entity.status().ToString();
    ++by_kind[static_cast<int>(entity->kind)];
    auto detected = DetectMessageType(*bytes, Format::kBinary, file.filename().string());
    ASSERT_TRUE(detected.ok()) << detected.status().ToString();
    EXPECT_EQ(*detected, type);

    auto original = NewMessage(type);
    ASSERT_TRUE(Parse(*bytes, Format::kBinary, original.get()).ok());
    for (Format f : {Format::kJson, Format::kYaml}) {
      auto text = Serialize(*original, f);
      ASSERT_TRUE(text.ok());
      auto back = NewMessage(type);
      Status st = Parse(*text, f, back.get());
      ASSERT_TRUE(st.ok()) << FormatName(f) << ": " << st.ToString();
      std::string diff;
      MessageDifferencer d;
      d.ReportDifferencesToString(&diff);
      EXPECT_TRUE(d.Compare(*original, *back)) << FormatName(f) << " round trip lost:\n" << diff;
      // And back to the same bytes (deterministic order: pyflyte's map order
      // is its own): nothing lost, added or re-encoded on the way.
      EXPECT_EQ(DeterministicBytes(*back), DeterministicBytes(*original)) << FormatName(f);
      EXPECT_EQ(DeterministicBytes(*back).size(), bytes->size()) << FormatName(f);
    }
  }
  EXPECT_EQ(by_kind[1], 87);
  EXPECT_EQ(by_kind[2], 45);
  EXPECT_EQ(by_kind[3], 51);
}

TEST(SnacksCoreTest, CompiledGoldensParseAsTheirTypes) {
  FLYTECPP_REQUIRE_CONFORMANCE(dir);
  auto compiled = SnacksCore(dir) / "compiled";
  auto tasks = testing::FilesEndingWith(compiled, "_task.json");
  auto workflows = testing::FilesEndingWith(compiled, "_wf.json");
  EXPECT_EQ(tasks.size(), 87u);
  EXPECT_EQ(workflows.size(), 43u);
  for (const auto& f : tasks) {
    flyteidl::core::CompiledTask t;
    Status st = ReadMessage(f, &t);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_FALSE(t.template_().id().name().empty()) << f;
  }
  for (const auto& f : workflows) {
    flyteidl::core::CompiledWorkflowClosure c;
    Status st = ReadMessage(f, &c);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_GT(c.primary().template_().nodes_size(), 0) << f;
  }
}

}  // namespace
}  // namespace flytecpp::idl
