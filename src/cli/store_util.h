// Opening the store the command line names.
#pragma once

#include "commands.h"
#include "flytecpp/store/store.h"

namespace flytecpp::cli {

inline std::filesystem::path StoreDir(const CliEnv& env) {
  return env.store_dir.empty() ? store::DefaultStoreDir() : std::filesystem::path(env.store_dir);
}

inline Result<std::unique_ptr<store::Store>> OpenStore(const CliEnv& env) {
  return store::OpenSqliteStore(StoreDir(env));
}

}  // namespace flytecpp::cli
