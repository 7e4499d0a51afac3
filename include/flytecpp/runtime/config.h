// flytecpp's config.yaml (<store>/config.yaml, or --config), read once into
// one typed config for the runtimes:
//
//   images:                                 # process.h: ImageMapping
//     - image: "ghcr.io/flyteorg/rawcontainers-*"
//       root: /srv/images/raw               # host paths relative to this file
//       workdir: /app
//       mounts: ["/host/dir:/in/sandbox"]
//     - image: "cr.flyte.org/flyteorg/flytekit:*"
//       python: /srv/venvs/flytekit         # runs the image's flytekit tasks
//   slurm:                                  # slurm.h: SlurmOptions
//     partition: batch
//     account: physics
//     qos: normal
//     interruptible_partition: preempt      # or interruptible_qos
//     task_types: [mpi-task]                # these go to Slurm without --runtime slurm,
//     images: ["ghcr.io/acme/hpc-*"]        # and these (globs)
//     max_array_size: 1000                  # else the cluster's MaxArraySize
//   sql:                                    # sql.h: SqlConnection
//     connections:
//       warehouse: {postgres: "host=db dbname=x", password_secret: db/password}
//
// A missing file is the defaults. An unknown key or a value of the wrong
// kind is InvalidArgument naming the file and the field.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flytecpp/runtime/process.h"
#include "flytecpp/runtime/slurm.h"
#include "flytecpp/runtime/sql.h"
#include "flytecpp/util/status.h"

namespace flytecpp::runtime {

struct RuntimeConfig {
  std::vector<ImageMapping> images;
  std::optional<SlurmOptions> slurm;                     // set when the file has a slurm: section
  std::map<std::string, SqlConnection> sql_connections;  // by name
};

Result<RuntimeConfig> LoadRuntimeConfig(const std::filesystem::path& path);

}  // namespace flytecpp::runtime
