// pyflyte packages (`pyflyte package` -> flyte-package.tgz), read as
// `flytectl register files --archive` reads them.
//
// An archive (.tgz, .tar.gz or .tar) holds `NNN_<name>_{1,2,3}.pb` entries at
// any depth: admin.TaskSpec, admin.WorkflowSpec, admin.LaunchPlan, and
// fast-registration source bundles (`fast*.tar.gz`: the code of the tasks,
// `pyflyte package --copy all|auto`); any other regular file makes the
// whole package invalid. Entities come back sorted by entry path, which
// pyflyte's zero-padded index makes the registration order.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"

namespace flytecpp::idl {

enum class EntityKind { kTask = 1, kWorkflow = 2, kLaunchPlan = 3 };
std::string_view EntityKindName(EntityKind kind);  // task, workflow, launch_plan

struct PackageEntity {
  std::string entry;  // path inside the archive
  EntityKind kind = EntityKind::kTask;
  flyteidl::admin::TaskSpec task;           // set when kind == kTask
  flyteidl::admin::WorkflowSpec workflow;   // set when kind == kWorkflow
  flyteidl::admin::LaunchPlan launch_plan;  // set when kind == kLaunchPlan

  // The entity's name: template id for tasks/workflows, id for launch plans.
  const std::string& name() const;
};

// A fast-registration source bundle: the tasks' code, which
// pyflyte-fast-execute fetches and extracts before it runs a task.
struct SourceBundle {
  std::string entry;  // path inside the archive: its base name holds the code's digest
  std::string bytes;
};

struct Package {
  std::vector<PackageEntity> entities;
  std::vector<SourceBundle> bundles;
};

// Whether `arg` is flytectl's placeholder `{{ .NAME }}` (the whole
// argument; spaces inside the braces optional).
bool IsRegistrationPlaceholder(std::string_view arg, std::string_view name);

// flytectl's hydration of a fast-registered task (`register files`): a
// container argument that is exactly `{{ .remote_package_path }}` becomes
// `package_uri` (where the bundle now is), and `{{ .dest_dir }}` becomes
// `dest_dir`. Spaces inside the braces are optional. Returns whether the
// task had either.
bool FillFastRegistration(flyteidl::core::TaskTemplate* task, const std::string& package_uri,
                          const std::string& dest_dir);

// True for names flytectl accepts as archives: .tgz, .tar.gz, .tar.
bool IsPackagePath(const std::filesystem::path& path);

// Reads a package archive. Errors name the archive and, where it applies, the
// entry: a wrong extension, not an archive, a foreign file, an undecodable .pb.
Result<Package> ReadPackage(const std::filesystem::path& path);

// The same, for archive bytes in memory; `name` stands for the file in errors.
Result<Package> ReadPackageData(std::string_view bytes, const std::string& name);

// Decodes one loose pyflyte file by its `_1/_2/_3` suffix (trying the other
// kinds if that fails, as flytectl does).
Result<PackageEntity> DecodeEntity(std::string entry, std::string_view bytes);

}  // namespace flytecpp::idl
