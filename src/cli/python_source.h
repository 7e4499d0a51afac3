// `flytecpp run file.py WORKFLOW`: a Python module of Flyte tasks and
// workflows, serialized by the user's own flytekit into a pyflyte package
// whose code travels as a fast-registration bundle, as `pyflyte run
// --remote` ships it.
#pragma once

#include <filesystem>
#include <string>

#include "flytecpp/util/status.h"

namespace flytecpp::cli {

// Whether `input` names a Python module (a .py file).
bool IsPythonSource(const std::filesystem::path& input);

// Runs the `pyflyte` on PATH (`pyflyte --pkgs MODULE package --copy auto`)
// in the module's project root (the first folder up from the file without
// an __init__.py), writing the package to `out` (a .tgz). Errors name the
// file and quote pyflyte's last line.
Status PackagePythonSource(const std::filesystem::path& file, const std::filesystem::path& out);

}  // namespace flytecpp::cli
