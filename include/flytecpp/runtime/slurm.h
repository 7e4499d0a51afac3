// Tasks as Slurm jobs: the process runtime's attempt (the same sandboxed
// command, the same outputs and errors) submitted with `sbatch --parsable`
// and followed with `squeue --json` — one query for every job in flight —
// instead of run here. Slurm's end states become Flyte's (docs/runtime.md).
// The attempt directories must be on a file system the compute nodes share.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "flytecpp/runtime/process.h"

namespace flytecpp::runtime {

struct SlurmOptions {
  std::string partition, account, qos;  // empty: the cluster's defaults
  std::chrono::milliseconds poll_interval{500};
  // The commands, found on PATH; SLURM_CONF in the environment picks the cluster.
  std::string sbatch = "sbatch", squeue = "squeue", scancel = "scancel";
};

// Reads `slurm:` from a YAML config ($FLYTECPP_HOME/config.yaml); absent: defaults.
//   slurm:
//     partition: batch
//     account: physics
//     qos: normal
Result<SlurmOptions> LoadSlurmConfig(const std::filesystem::path& path);

std::shared_ptr<AttemptLauncher> MakeSlurmLauncher(SlurmOptions options);

// A process runtime named "slurm" whose attempts are Slurm jobs.
std::unique_ptr<ProcessRuntime> MakeSlurmRuntime(ProcessRuntimeOptions base, SlurmOptions slurm);

// Whether the cluster answers (`squeue` runs); the error says what failed.
Status CheckSlurm(const SlurmOptions& options);

}  // namespace flytecpp::runtime
