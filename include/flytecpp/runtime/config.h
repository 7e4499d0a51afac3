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
//   notifications:                          # flytecpp serve: NotificationSettings
//     smtp: {server: "mail:587", sender: flyte@example.com, username: flyte,
//            password_secret: mail/password, tls: starttls}   # none, starttls, tls
//     subject: "..."                        # flyteadmin's emailer subject and body
//     body: "..."                           #   ({{ name }}, {{ phase }}, ...)
//     console_url: https://flyte.example.com  # links; default: the server's HTTP address
//     webhooks:
//       - name: ops
//         url: https://hooks.example.com/flyte
//         phases: [FAILED, TIMED_OUT]       # default: every terminal phase
//         projects: [flytesnacks]           # default: all
//         launch_plans: [nightly]           # default: all
//         secret: hooks/ops                 # signs the body (HMAC-SHA256); a secret
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

// How `flytecpp serve` tells of executions that end (admin/notifier.h).
// Secrets are named (GROUP/KEY of the secret store), never written here.
struct SmtpSettings {
  std::string server;  // host:port
  std::string sender;  // From:
  std::string username;
  std::string password_secret;  // GROUP/KEY; empty: no password
  std::string tls = "none";     // none, starttls (required), tls (from the start)
};
struct WebhookSettings {
  std::string name, url;
  std::vector<std::string> phases;  // WorkflowExecution phase names; empty: the terminal ones
  std::vector<std::string> projects, launch_plans;  // empty: any
  std::string secret;                               // GROUP/KEY; empty: unsigned
};
struct NotificationSettings {
  std::optional<SmtpSettings> smtp;  // none: each try of an email fails, saying so
  std::string subject, body;         // empty: flyteadmin's defaults
  std::string console_url;           // empty: the server's HTTP address
  std::vector<WebhookSettings> webhooks;
};

struct RuntimeConfig {
  std::vector<ImageMapping> images;
  std::optional<SlurmOptions> slurm;                     // set when the file has a slurm: section
  std::map<std::string, SqlConnection> sql_connections;  // by name
  NotificationSettings notifications;
};

Result<RuntimeConfig> LoadRuntimeConfig(const std::filesystem::path& path);

}  // namespace flytecpp::runtime
