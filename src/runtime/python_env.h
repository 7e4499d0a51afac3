// Flyte's Python tasks: whether a command starts one of flytekit's
// entrypoints, which Python environment runs it, and what flytecpp changes
// in its command line (flytekit-protocol.md §1). One place, used by every
// runtime that starts processes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp::runtime::internal {

// pyflyte-execute, pyflyte-fast-execute or pyflyte-map-execute (a bare name
// or a path ending in one).
bool IsFlytekitEntrypoint(const std::string& program);

// The environment (a venv or interpreter prefix: its bin/ holds flytekit's
// entrypoints) of the first pyflyte-execute on `search_path`; nullopt if
// there is none.
std::optional<std::filesystem::path> FindPythonEnvironment(const std::string& search_path);

// What is wrong with `env` as the environment that runs `program` (its
// bin/<program> must be executable); "" if nothing.
std::string CheckPythonEnvironment(const std::filesystem::path& env, const std::string& program);

// pyflyte-fast-execute's `--dest-dir D` is where the task's code bundle is
// extracted: in a container a directory of its own (pyflyte package's
// default is /root). Here each attempt has its own directory, `dest`: an
// absolute D, or the `{{ .dest_dir }}` placeholder no registration filled,
// becomes `dest`; a relative one stays relative to the attempt's working
// directory.
void RewriteFastExecuteDestDir(std::vector<std::string>* command, const std::string& dest);

// The local file pyflyte-fast-execute's `--additional-distribution` names
// (a `file://` URI or an absolute path), for the sandbox to show; "" if
// none or remote.
std::string FastExecuteDistribution(const std::vector<std::string>& command);

// What pyflyte-fast-execute would do, done here: its code bundle (a local
// .tar.gz) unpacked once into "<bundle>.d" beside it, shared read-only by
// every attempt that runs that code, and the command it would then start:
// the task's own, with `--dynamic-addl-distro D --dynamic-dest-dir R`
// before `--resolver` and R on PYTHONPATH. One Python start per attempt
// instead of two, and no unpacking per attempt.
struct FastExecute {
  std::vector<std::string> command;
  std::string code_dir;  // R: the unpacked code
};
// nullopt: `command` is not a pyflyte-fast-execute of a local bundle (it
// then runs as it is). An error names the bundle (missing, unreadable).
Result<std::optional<FastExecute>> PrepareFastExecute(const std::vector<std::string>& command);

// One line for an error flytekit reported: its error document's message
// is a traceback followed by "Message:" and the exception; the exception,
// whitespace collapsed. A message without that section is collapsed whole.
std::string FlytekitErrorSummary(const std::string& message);

}  // namespace flytecpp::runtime::internal
