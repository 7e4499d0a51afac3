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

#include "flyteidl/core/literals.pb.h"

namespace flytecpp::runtime::internal {

struct InputPath {
  std::string path;
  bool blob = false;  // a file or directory the task gets a copy of
};

// The local paths (`file://` URIs and absolute paths) in `inputs`, existing
// ones only, without those below another of them; sorted by path.
std::vector<InputPath> LocalInputPaths(const flyteidl::core::LiteralMap& inputs);

}  // namespace flytecpp::runtime::internal
