// flytecpp secrets set GROUP/KEY | ls | rm GROUP/KEY: the local secret store
// tasks' declared secrets come from. A value is read from stdin, never taken
// from the command line, where `ps` and shell history would show it.
#include <iostream>
#include <iterator>

#include "commands.h"
#include "flytecpp/runtime/secrets.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace {

runtime::SecretStore StoreOf(const CliEnv& env) { return runtime::SecretStore(SecretsDir(env)); }

Result<std::pair<std::string, std::string>> GroupKey(const std::string& name) {
  const size_t slash = name.find('/');
  if (slash == std::string::npos || name.find('/', slash + 1) != std::string::npos) {
    return InvalidArgument("secret \"" + name + "\": expected GROUP/KEY");
  }
  return std::make_pair(name.substr(0, slash), name.substr(slash + 1));
}

int RunSet(const CliEnv& env, const std::string& name) {
  auto gk = GroupKey(name);
  if (!gk.ok()) return Fail(gk.status(), kExitBadInput);
  std::string value((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  // `echo value | flytecpp secrets set ...` means the value, not its newline.
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) {
    return Fail(InvalidArgument("secret " + name + ": empty value on stdin (nothing was set)"),
                kExitBadInput);
  }
  Status st = StoreOf(env).Set(gk->first, gk->second, value);
  if (!st.ok()) {
    return Fail(st, st.code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailed);
  }
  std::cout << "set " << name << "\n";
  return kExitOk;
}

int RunList(const CliEnv& env) {
  auto list = StoreOf(env).List();
  if (!list.ok()) return Fail(list.status(), kExitFailed);
  for (const auto& [group, key] : *list) std::cout << group << "/" << key << "\n";
  return kExitOk;
}

int RunRemove(const CliEnv& env, const std::string& name) {
  auto gk = GroupKey(name);
  if (!gk.ok()) return Fail(gk.status(), kExitBadInput);
  Status st = StoreOf(env).Remove(gk->first, gk->second);
  if (!st.ok()) return Fail(st, st.code() == StatusCode::kIoError ? kExitFailed : kExitBadInput);
  std::cout << "removed " << name << "\n";
  return kExitOk;
}

}  // namespace

void RegisterSecrets(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* secrets =
      app.add_subcommand("secrets", "Secrets tasks declare: set (value from stdin), list, remove");
  secrets->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto* set = secrets->add_subcommand("set", "Set GROUP/KEY to the value read from stdin");
  set->add_option("GROUP/KEY", *name, "The secret, as the task names it")->required();
  set->callback([env, name, exit_code] { *exit_code = RunSet(*env, *name); });
  auto* ls = secrets->add_subcommand("ls", "List the secrets the store holds (names only)");
  ls->callback([env, exit_code] { *exit_code = RunList(*env); });
  auto* rm = secrets->add_subcommand("rm", "Remove GROUP/KEY");
  rm->add_option("GROUP/KEY", *name, "The secret")->required();
  rm->callback([env, name, exit_code] { *exit_code = RunRemove(*env, *name); });
}

}  // namespace flytecpp::cli
