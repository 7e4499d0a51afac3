// The bubblewrap command line that makes a task see what its container
// would (docs/runtime.md): a read-only root (the image's, when one is
// configured), its own attempt directories writable, copilot paths bound
// where declared, a private /tmp, its own pid/IPC/UTS namespaces, no network
// unless allowed. The environment is not on the command line (where `ps`
// shows it, secrets included): bwrap passes on its own, which the caller sets.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "flytecpp/runtime/process.h"

namespace flytecpp::runtime::internal {

struct SandboxSpec {
  std::filesystem::path root = "/";
  std::string data_dir;  // read-only
  std::string out_dir;   // writable
  std::string workdir;   // the command's working directory inside
  bool network = false;
  // host -> inside, read-only / writable.
  std::vector<std::pair<std::string, std::string>> ro_binds, rw_binds;
  std::vector<std::pair<std::string, std::string>> dev_binds;  // devices (GPUs): host -> inside
};

// The bwrap arguments up to and including "--"; the command follows them.
std::vector<std::string> SandboxArgv(const std::string& bwrap, const SandboxSpec& spec);

// Whether every mount target (a path inside) already exists under `root`,
// so that the root can be bound whole and the targets mounted over it.
bool SandboxTargetsExist(const std::filesystem::path& root,
                         const std::vector<std::string>& targets);

}  // namespace flytecpp::runtime::internal
