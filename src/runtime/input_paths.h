// The local files and directories an attempt's inputs name: blobs
// (FlyteFile, FlyteDirectory), structured datasets, schemas and offloaded
// literals whose URI is a local path. The sandbox shows each at the same
// path, so a task reads what an upstream task wrote wherever the store lives
// (its directories are not otherwise visible inside): a blob as a private
// copy the task may change (in Flyte a task downloads its files and
// directories, and changes its copy), the rest read-only (flytekit reads
// them in place).
#pragma once

#include <string>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"
#include "sandbox.h"

namespace flytecpp::runtime::internal {

struct InputPath {
  std::string path;
  bool blob = false;  // a file or directory the task gets a copy of
};

// The local paths (`file://` URIs and absolute paths) in `inputs`, existing
// ones only, without those below another of them; sorted by path.
std::vector<InputPath> LocalInputPaths(const flyteidl::core::LiteralMap& inputs);

// Adds to `sandbox` what the attempt's inputs name. Structured datasets,
// schemas and offloaded literals: read-only at their paths. Files and
// directories: copies made under `copies_dir` (the attempt's, removed when
// it ends), writable at their paths; under `data_root` (the store's data
// directory) in a stand-in for the folder they are in, so that the task
// may write beside them as into its download folder (the folder's other
// entries, other tasks' data, are not shown); elsewhere (a user's file)
// only the copy itself. Errors name the input that could not be copied.
Status ShowInputPaths(const flyteidl::core::LiteralMap& inputs, const std::string& data_root,
                      const std::string& copies_dir, SandboxSpec* sandbox);

}  // namespace flytecpp::runtime::internal
