#include "flytecpp/idl/package.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "flytecpp/idl/builders.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/io.h"
#include "test_support.h"

namespace flytecpp::idl {
namespace {

// Writes a gzip tar with the given (name, bytes) regular-file entries.
std::filesystem::path WriteTgz(const std::filesystem::path& path,
                               const std::vector<std::pair<std::string, std::string>>& entries) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& [name, bytes] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, bytes.data(), bytes.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

std::string TaskSpecBytes(const std::string& name) {
  flyteidl::admin::TaskSpec spec;
  *spec.mutable_template_() = TaskBuilder(name).Output("o0", types::Int()).Build();
  return *Serialize(spec, Format::kBinary);
}

std::string WorkflowSpecBytes(const std::string& name) {
  flyteidl::admin::WorkflowSpec spec;
  *spec.mutable_template_() = WorkflowBuilder(name).Build();
  return *Serialize(spec, Format::kBinary);
}

std::string LaunchPlanBytes(const std::string& name) {
  flyteidl::admin::LaunchPlan lp;
  *lp.mutable_id() = MakeIdentifier(flyteidl::core::LAUNCH_PLAN, name);
  *lp.mutable_spec()->mutable_workflow_id() = MakeIdentifier(flyteidl::core::WORKFLOW, name);
  return *Serialize(lp, Format::kBinary);
}

TEST(PackageTest, ReadsEntitiesInEntryOrderAtAnyDepth) {
  testing::TempDir dir;
  auto pkg = ReadPackage(
      WriteTgz(dir.path() / "p.tgz", {
                                         {"pkg/2_app.wf_3.pb", LaunchPlanBytes("app.wf")},
                                         {"pkg/0_app.t_1.pb", TaskSpecBytes("app.t")},
                                         {"fastabc123.tar.gz", "not inspected"},
                                         {"pkg/1_app.wf_2.pb", WorkflowSpecBytes("app.wf")},
                                     }));
  ASSERT_TRUE(pkg.ok()) << pkg.status().ToString();
  ASSERT_EQ(pkg->entities.size(), 3u);
  EXPECT_EQ(pkg->entities[0].kind, EntityKind::kTask);
  EXPECT_EQ(pkg->entities[0].name(), "app.t");
  EXPECT_EQ(pkg->entities[1].kind, EntityKind::kWorkflow);
  EXPECT_EQ(pkg->entities[2].kind, EntityKind::kLaunchPlan);
  EXPECT_EQ(pkg->entities[2].entry, "pkg/2_app.wf_3.pb");
  ASSERT_EQ(pkg->bundles.size(), 1u);
  EXPECT_EQ(pkg->bundles[0].entry, "fastabc123.tar.gz");
  EXPECT_EQ(pkg->bundles[0].bytes, "not inspected");
}

TEST(PackageTest, FillFastRegistrationReplacesWholePlaceholderArguments) {
  flyteidl::core::TaskTemplate task;
  for (const char* a : {"pyflyte-fast-execute", "--additional-distribution",
                        "{{ .remote_package_path }}", "--dest-dir", "{{.dest_dir}}", "--",
                        "pyflyte-execute", "--inputs", "{{.input}}", "x{{ .dest_dir }}"}) {
    task.mutable_container()->add_args(a);
  }
  EXPECT_TRUE(FillFastRegistration(&task, "file:///d/fast1.tar.gz", "."));
  const auto& args = task.container().args();
  ASSERT_EQ(args.size(), 10);
  EXPECT_EQ(args[2], "file:///d/fast1.tar.gz");
  EXPECT_EQ(args[4], ".");
  EXPECT_EQ(args[8], "{{.input}}");        // propeller's, rendered per attempt
  EXPECT_EQ(args[9], "x{{ .dest_dir }}");  // only whole arguments, as flytectl
  flyteidl::core::TaskTemplate plain;
  plain.mutable_container()->add_args("pyflyte-execute");
  EXPECT_FALSE(FillFastRegistration(&plain, "file:///d/fast1.tar.gz", "."));
}

TEST(PackageTest, ForeignFileRejectsWholePackage) {
  testing::TempDir dir;
  auto pkg = ReadPackage(
      WriteTgz(dir.path() / "p.tgz", {{"0_t_1.pb", TaskSpecBytes("t")}, {"README.md", "hello"}}));
  ASSERT_FALSE(pkg.ok());
  EXPECT_NE(pkg.status().message().find("invalid entry \"README.md\""), std::string::npos)
      << pkg.status().message();
}

TEST(PackageTest, UndecodableEntityNamesTheEntry) {
  testing::TempDir dir;
  auto pkg = ReadPackage(WriteTgz(dir.path() / "p.tar.gz", {{"0_t_1.pb", "\x0a\xff\xff garbage"}}));
  ASSERT_FALSE(pkg.ok());
  EXPECT_NE(pkg.status().message().find("0_t_1.pb: not a TaskSpec"), std::string::npos)
      << pkg.status().message();
}

TEST(PackageTest, SuffixIsCheckedAndOtherKindsTried) {
  // A launch plan saved under a task suffix is still recognised, as flytectl does.
  auto e = DecodeEntity("5_x_1.pb", LaunchPlanBytes("x"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->kind, EntityKind::kLaunchPlan);
}

TEST(PackageTest, RejectsEmptyWrongExtensionAndNonArchives) {
  testing::TempDir dir;
  auto empty = ReadPackage(WriteTgz(dir.path() / "empty.tgz", {}));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no .pb entities"), std::string::npos);

  auto zip = ReadPackage(dir.path() / "x.zip");
  ASSERT_FALSE(zip.ok());
  EXPECT_NE(zip.status().message().find("expected a .tgz, .tar.gz or .tar"), std::string::npos);

  auto junk = ReadPackageData("this is not a tar archive at all", "junk.tgz");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("junk.tgz"), std::string::npos);

  auto missing = ReadPackage(dir.path() / "missing.tgz");
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace flytecpp::idl
