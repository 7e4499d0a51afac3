// Opening the store the command line names.
#pragma once

#include <cstdlib>

#include "commands.h"
#include "flytecpp/store/store.h"

namespace flytecpp::cli {

// The local directory: --store, else $FLYTECPP_HOME, else ~/.flytecpp; with a
// PostgreSQL --store, --home or those defaults. Absolute (the store makes it
// so too, but messages should name what is used).
inline std::filesystem::path StoreDir(const CliEnv& env) {
  std::filesystem::path dir;
  if (!env.store_dir.empty() && !store::IsPostgresUrl(env.store_dir)) {
    dir = env.store_dir;
  } else if (!env.home.empty()) {
    dir = env.home;
  } else if (const char* home = std::getenv("FLYTECPP_HOME"); home != nullptr && *home != '\0') {
    dir = home;
  } else {
    const char* user_home = std::getenv("HOME");
    dir = std::filesystem::path(user_home != nullptr ? user_home : ".") / ".flytecpp";
  }
  std::error_code ec;
  auto absolute = std::filesystem::absolute(dir, ec);
  return ec ? dir : absolute.lexically_normal();
}

// The PostgreSQL database --store names; empty for a directory.
inline std::string StoreUrl(const CliEnv& env) {
  return store::IsPostgresUrl(env.store_dir) ? env.store_dir : std::string();
}

// The local secret store: <store>/secrets.
inline std::filesystem::path SecretsDir(const CliEnv& env) { return StoreDir(env) / "secrets"; }

inline Result<std::unique_ptr<store::Store>> OpenStore(const CliEnv& env) {
  const std::string url = StoreUrl(env);
  return store::OpenStore(url.empty() ? StoreDir(env).string() : url, StoreDir(env) / "data");
}

}  // namespace flytecpp::cli
