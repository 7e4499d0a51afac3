// Container tasks as local processes, sandboxed with bubblewrap so that a
// task sees what its container would: a read-only root (the image's, when
// one is configured), its own attempt directories writable, copilot-style
// `input_path` / `output_path` bound where the task declares them, a private
// /tmp, no network unless allowed, its own pid namespace, a clean
// environment. See docs/runtime.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/runtime/runtime.h"
#include "flytecpp/runtime/secrets.h"

namespace flytecpp::runtime {

// An image name (glob) mapped to a local root filesystem and working directory.
struct ImageMapping {
  std::string pattern;               // e.g. "ghcr.io/flyteorg/rawcontainers-*"
  std::filesystem::path root = "/";  // mounted read-only as the sandbox's /
  std::string workdir;               // cwd inside the sandbox ("" = per-attempt dir)
  std::vector<std::pair<std::filesystem::path, std::string>> mounts;  // host -> sandbox, read-only
};

struct ProcessRuntimeOptions {
  bool sandbox = true;  // false: run plainly on the host (flytecpp --no-sandbox)
  std::string bwrap = "bwrap";
  std::vector<ImageMapping> images;
  int jobs = 0;  // attempts running at once (flytecpp run -j); 0: one per core
  // Where tasks' secrets come from; without one, the environment only.
  std::optional<SecretStore> secrets;
  // The GPUs tasks may hold (device nodes); nullopt: this machine's
  // /dev/nvidia<N>.
  std::optional<std::vector<std::string>> gpus;
};

// Reads `images:` from a YAML config ($FLYTECPP_HOME/config.yaml); relative
// host paths (root, mount sources) are relative to the file's directory:
//   images:
//     - image: "ghcr.io/flyteorg/rawcontainers-*"
//       root: /srv/images/raw
//       workdir: /app
//       mounts: ["/host/dir:/in/sandbox"]
Result<std::vector<ImageMapping>> LoadImageConfig(const std::filesystem::path& path);

// Runs tasks that have a container. Attempts run on their own threads; an
// abort or timeout kills the attempt's whole process tree. Each attempt's
// handle (pid, its start time, its cgroups) is reported and also written to
// `<output_dir>/attempt.handle` before the task runs anything; processes do
// not outlive their engine, so Reattach kills whatever is left and reports
// the attempt gone.
class ProcessRuntime : public Runtime {
 public:
  explicit ProcessRuntime(ProcessRuntimeOptions options);
  ~ProcessRuntime() override;

  std::string_view name() const override { return "process"; }
  bool CanRun(const core::TaskTemplate& task) const override;
  int max_in_flight() const override;
  Status Start(AttemptSpec spec, AttemptCallbacks callbacks) override;
  void Abort(const AttemptId& id) override;
  Result<bool> Reattach(AttemptSpec spec, const std::string& handle,
                        AttemptCallbacks callbacks) override;

  // Whether the sandbox can run here (bubblewrap installed and working);
  // the error says how to fix it.
  Status CheckSandbox() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::runtime
