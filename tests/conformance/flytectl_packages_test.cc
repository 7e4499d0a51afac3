// flytectl's registration test archives: valid ones list the right entities
// in order; invalid ones are rejected with a clear error.
#include <gtest/gtest.h>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/package.h"
#include "test_support.h"

namespace flytecpp::idl {
namespace {

std::vector<std::string> Listing(const Package& pkg) {
  std::vector<std::string> out;
  for (const auto& e : pkg.entities) {
    out.push_back(std::string(EntityKindName(e.kind)) + " " + e.name());
  }
  return out;
}

const std::vector<std::string> kBasicWorkflow = {
    "task recipes.core.basic.basic_workflow.t1",
    "task recipes.core.basic.basic_workflow.t2",
    "workflow recipes.core.basic.basic_workflow.my_wf",
    "launch_plan recipes.core.basic.basic_workflow.my_wf",
};

TEST(FlytectlPackagesTest, ValidArchivesListEntitiesInOrder) {
  FLYTECPP_REQUIRE_CONFORMANCE(dir);
  auto pkgs = dir / "flytectl-packages";
  for (const char* name : {"valid-register.tgz", "valid-register.tar",
                           "valid-unordered-register.tar", "valid-parent-folder-register.tar"}) {
    SCOPED_TRACE(name);
    auto pkg = ReadPackage(pkgs / name);
    ASSERT_TRUE(pkg.ok()) << pkg.status().ToString();
    EXPECT_EQ(Listing(*pkg), kBasicWorkflow);
    EXPECT_TRUE(pkg->bundles.empty());
  }
}

TEST(FlytectlPackagesTest, FastRegisterPackageKeepsSourceBundle) {
  FLYTECPP_REQUIRE_CONFORMANCE(dir);
  auto pkg = ReadPackage(dir / "flytectl-packages" / "flyte-package.tgz");
  ASSERT_TRUE(pkg.ok()) << pkg.status().ToString();
  EXPECT_EQ(Listing(*pkg), (std::vector<std::string>{
                               "task myapp.workflows.example.say_hello",
                               "workflow myapp.workflows.example.my_wf",
                               "launch_plan myapp.workflows.example.my_wf",
                           }));
  ASSERT_EQ(pkg->bundles.size(), 1u);
  EXPECT_EQ(pkg->bundles[0].entry, "fastf5f188e159f61e00271e16ed59786c44.tar.gz");
  EXPECT_FALSE(pkg->bundles[0].bytes.empty());
  // 2021 pyflyte left registration placeholders in the ids.
  EXPECT_EQ(pkg->entities[0].task.template_().id().project(), "{{ registration.project }}");
}

TEST(FlytectlPackagesTest, InvalidArchivesAreRejectedClearly) {
  FLYTECPP_REQUIRE_CONFORMANCE(dir);
  auto pkgs = dir / "flytectl-packages";
  struct Case {
    const char* file;
    const char* expect;
  };
  for (const Case& c :
       {Case{"invalid.tgz", "not a tar archive"}, Case{"invalid.tar", "not a tar archive"},
        Case{"invalid-extension-register.zip", "expected a .tgz, .tar.gz or .tar"}}) {
    SCOPED_TRACE(c.file);
    auto pkg = ReadPackage(pkgs / c.file);
    ASSERT_FALSE(pkg.ok());
    EXPECT_EQ(pkg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(pkg.status().message().find(c.file), std::string::npos) << pkg.status().message();
    EXPECT_NE(pkg.status().message().find(c.expect), std::string::npos) << pkg.status().message();
  }
}

TEST(FlytectlPackagesTest, LoosePbFilesDecodeBySuffix) {
  FLYTECPP_REQUIRE_CONFORMANCE(dir);
  auto pkgs = dir / "flytectl-packages";
  for (auto [file, kind] : {std::pair{"69_core.flyte_basics.lp.greet_1.pb", EntityKind::kTask},
                            std::pair{"152_my_cron_scheduled_lp_3.pb", EntityKind::kLaunchPlan}}) {
    auto bytes = ReadFileBytes(pkgs / file);
    ASSERT_TRUE(bytes.ok());
    auto e = DecodeEntity(file, *bytes);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->kind, kind) << file;
  }
}

}  // namespace
}  // namespace flytecpp::idl
