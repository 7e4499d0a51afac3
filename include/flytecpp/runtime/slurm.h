// Tasks as Slurm jobs: the process runtime's attempt (the same sandboxed
// command, the same outputs and errors) submitted with `sbatch --parsable`
// — an array node's elements as one job array — and followed with one
// `squeue` for every job in flight per interval, instead of run here.
// Slurm's end states become Flyte's (docs/slurm.md). The attempt
// directories must be on a file system the compute nodes share.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "flytecpp/runtime/process.h"

namespace flytecpp::runtime {

struct SlurmOptions {
  std::string partition, account, qos;  // empty: the cluster's defaults
  // Interruptible tasks (Flyte's `interruptible`) go here instead, when set:
  // preemptible capacity.
  std::string interruptible_partition, interruptible_qos;
  // Which container tasks go to Slurm when not all do (--runtime slurm):
  // task types, image globs, or a task config `flytecpp.runtime: slurm`.
  std::vector<std::string> task_types, images;
  std::chrono::milliseconds poll_interval{500};
  // Array nodes become job arrays of at most this many tasks (and task ids
  // below it); 0: the cluster's MaxArraySize.
  int64_t max_array_size = 0;
  // The commands, found on PATH; SLURM_CONF in the environment picks the cluster.
  std::string sbatch = "sbatch", squeue = "squeue", scancel = "scancel", scontrol = "scontrol",
              sinfo = "sinfo", sacct = "sacct";  // sacct: who cancelled a job, where kept
};

// Whether `task` goes to Slurm by `options` (task types, images, or its
// config `flytecpp.runtime: slurm`).
bool SelectedForSlurm(const SlurmOptions& options, const core::TaskTemplate& task);

std::shared_ptr<AttemptLauncher> MakeSlurmLauncher(SlurmOptions options);

// A process runtime named "slurm" whose attempts are Slurm jobs: every
// container task (`all`), or those SelectedForSlurm.
std::unique_ptr<ProcessRuntime> MakeSlurmRuntime(ProcessRuntimeOptions base, SlurmOptions slurm,
                                                 bool all = true);

// Whether the cluster answers (`squeue` runs), and — given the directory
// that holds the attempts' data — whether its jobs can see it: a directory
// on this machine's own disks (ext4, xfs, tmpfs, ...) only serves a cluster
// whose nodes (`sinfo --json`) are all this machine. The error says what failed.
Status CheckSlurm(const SlurmOptions& options, const std::filesystem::path& shared_dir = {});

}  // namespace flytecpp::runtime
