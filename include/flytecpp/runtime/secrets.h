// Secrets a task declares (`security_context.secrets`) and where their values
// come from: a local secret store — one file per secret under the store
// directory, owner-only — else the engine's environment, under the name
// flytekit looks for (`_FSEC_<GROUP>_<KEY>`). Values are never logged, never
// put in an error message, an event or a command line. See docs/runtime.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/core/security.pb.h"
#include "flyteidl/core/tasks.pb.h"

namespace flytecpp::runtime {

namespace core = flyteidl::core;

class SecretStore {
 public:
  // `dir` (e.g. <store>/secrets) need not exist; Set makes it, mode 0700.
  explicit SecretStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Writes `group/key` atomically, mode 0600. Group and key are path
  // components: non-empty, no '/', not "." or "..".
  Status Set(const std::string& group, const std::string& key, std::string_view value) const;
  // NotFound if the store does not hold it.
  Status Remove(const std::string& group, const std::string& key) const;
  // The (group, key) pairs the store holds, sorted. Never values.
  Result<std::vector<std::pair<std::string, std::string>>> List() const;
  // The value: the store's, else the environment variable EnvName(group,
  // key); nullopt if neither has it.
  Result<std::optional<std::string>> Get(const std::string& group, const std::string& key) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// The environment variable a secret is injected as, as Flyte's secret
// injector names it: upper-cased "_FSEC_" + group + "_" + key.
std::string SecretEnvName(const std::string& group, const std::string& key);

// A secret's value from `store` (which falls back to the environment), or
// from the environment alone when `store` is null; nullopt if neither has it.
Result<std::optional<std::string>> LookUpSecret(const SecretStore* store, const std::string& group,
                                                const std::string& key);

// "group/key" (or "key" without a group): how messages name a secret.
std::string SecretName(const core::Secret& secret);

// A task's secrets, resolved for one attempt: what goes into its
// environment and which files it finds under its secrets directory.
struct ResolvedSecrets {
  std::vector<std::pair<std::string, std::string>> env;    // name, value
  std::vector<std::pair<std::string, std::string>> files;  // "<group>/<key>" (lower case), value
  std::vector<std::string> values;  // the secrets' values, each once (what Redacted hides)
};

// Resolves `task`'s secrets. `mount_dir` is where the files will be seen
// (Flyte: /etc/flyte/secrets); it goes into FLYTE_SECRETS_DEFAULT_DIR and
// into `env_var`s that name files. A secret neither the store nor the
// environment has is NotFound naming it (never a value); `store` may be null
// (environment only).
Result<ResolvedSecrets> ResolveSecrets(const core::TaskTemplate& task, const SecretStore* store,
                                       const std::string& mount_dir);

// Writes `data` to `path` atomically, mode 0600: for files that hold secrets.
Status WritePrivateFile(const std::filesystem::path& path, std::string_view data);

// Writes `secrets.files` under `dir` (mode 0700, files 0600).
Status WriteSecretFiles(const ResolvedSecrets& secrets, const std::filesystem::path& dir);

// `text` with every occurrence of a secret's value replaced by "[secret]":
// error messages quote what a task printed.
std::string Redacted(std::string text, const ResolvedSecrets& secrets);

}  // namespace flytecpp::runtime
