#include "sandbox.h"

namespace flytecpp::runtime::internal {

namespace fs = std::filesystem;

namespace {

// True if `path` is `dir` or lies below it.
bool Under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Whether every target at or below `dir` already exists under `root`: then
// `dir` is bound whole, read-only and recursively, and the targets are
// mounted over it. One bind instead of a tmpfs per level with each other
// entry bound back: bubblewrap re-reads the mount table for every mount, and
// the execution directory on the way to a node's data holds a directory per
// node, so per-entry binds made each task's setup grow with the workflow.
bool TargetsExist(const fs::path& root, const std::string& dir,
                  const std::vector<std::string>& targets) {
  std::error_code ec;
  for (const auto& t : targets) {
    if (t.empty() || t[0] != '/') return false;  // not a path inside: the careful way
    if ((dir.empty() || Under(t, dir)) && !fs::exists(root / t.substr(1), ec)) return false;
  }
  return true;
}

// Adds bwrap arguments that mirror `root`/`dir` read-only at `dir`, leaving
// room (tmpfs) for each of `targets`: directories on the way to a path the
// attempt needs are tmpfs (so mount points can be made) with their other
// entries bound back read-only. /dev, /proc, /tmp and /sys are not taken
// from the root.
void BuildRoot(const fs::path& root, const std::string& dir,
               const std::vector<std::string>& targets, std::vector<std::string>* argv) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / dir.substr(dir.empty() ? 0 : 1), ec)) {
    const std::string inside = dir + "/" + e.path().filename().string();
    if (dir.empty() &&
        (inside == "/dev" || inside == "/proc" || inside == "/tmp" || inside == "/sys")) {
      continue;
    }
    bool exact = false, below = false;
    for (const auto& t : targets) {
      if (t == inside)
        exact = true;
      else if (Under(t, inside))
        below = true;
    }
    if (exact) continue;  // mounted over later
    if (e.is_symlink(ec)) {
      argv->insert(argv->end(), {"--symlink", fs::read_symlink(e.path(), ec).string(), inside});
    } else if (below && e.is_directory(ec) && !TargetsExist(root, inside, targets)) {
      argv->insert(argv->end(), {"--tmpfs", inside});
      BuildRoot(root, inside, targets, argv);
    } else {
      argv->insert(argv->end(), {"--ro-bind", e.path().string(), inside});
    }
  }
}

}  // namespace

bool SandboxTargetsExist(const fs::path& root, const std::vector<std::string>& targets) {
  return TargetsExist(root, "", targets);
}

std::vector<std::string> SandboxArgv(const std::string& bwrap, const SandboxSpec& spec) {
  std::vector<std::string> argv = {bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc",
                                   "--unshare-uts"};
  if (!spec.network) argv.push_back("--unshare-net");
  std::vector<std::string> targets = {spec.data_dir, spec.out_dir, spec.workdir};
  for (const auto& [host, inside] : spec.ro_binds) targets.push_back(inside);
  for (const auto& [host, inside] : spec.rw_binds) targets.push_back(inside);
  if (TargetsExist(spec.root, "", targets)) {
    // The whole root in one recursive bind; what is not taken from it is
    // mounted over it (/sys hidden under an empty tmpfs).
    argv.insert(argv.end(), {"--ro-bind", spec.root.string(), "/", "--tmpfs", "/sys"});
  } else {
    BuildRoot(spec.root, "", targets, &argv);
  }
  argv.insert(argv.end(), {"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"});
  for (const auto& [host, inside] : spec.dev_binds)
    argv.insert(argv.end(), {"--dev-bind", host, inside});
  argv.insert(argv.end(),
              {"--ro-bind", spec.data_dir, spec.data_dir, "--bind", spec.out_dir, spec.out_dir});
  for (const auto& [host, inside] : spec.rw_binds)
    argv.insert(argv.end(), {"--bind", host, inside});
  for (const auto& [host, inside] : spec.ro_binds) {
    argv.insert(argv.end(), {"--ro-bind", host, inside});
  }
  argv.insert(argv.end(), {"--chdir", spec.workdir});
  argv.push_back("--");
  return argv;
}

}  // namespace flytecpp::runtime::internal
