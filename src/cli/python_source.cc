#include "python_source.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "flytecpp/idl/io.h"
#include "flytecpp/util/find_program.h"
#include "flytecpp/util/text.h"

extern char** environ;

namespace flytecpp::cli {

namespace fs = std::filesystem;

namespace {

// The module's project root and dotted name: up from the file while the
// folder is a package (holds an __init__.py), as pyflyte finds them.
std::pair<fs::path, std::string> ModuleOf(const fs::path& file) {
  std::string module = file.stem().string();
  fs::path dir = file.parent_path();
  std::error_code ec;
  while (fs::exists(dir / "__init__.py", ec) && dir.has_parent_path() && dir != dir.parent_path()) {
    module = dir.filename().string() + "." + module;
    dir = dir.parent_path();
  }
  return {dir, module};
}

}  // namespace

bool IsPythonSource(const fs::path& input) { return input.extension() == ".py"; }

Status PackagePythonSource(const fs::path& file, const fs::path& out) {
  std::error_code ec;
  const fs::path source = fs::absolute(file, ec).lexically_normal();
  if (!fs::is_regular_file(source, ec)) return InvalidArgument(file.string() + ": no such file");
  const char* path = std::getenv("PATH");
  const std::string pyflyte = FindProgram("pyflyte", path != nullptr ? path : "");
  if (pyflyte.empty()) {
    return FailedPrecondition(file.string() +
                              ": pyflyte is not on PATH: activate the Python environment that "
                              "has flytekit (pip install flytekit)");
  }
  const auto [root, module] = ModuleOf(source);
  const fs::path log = out.string() + ".log";
  std::vector<std::string> args = {pyflyte,
                                   "--pkgs",
                                   module,
                                   "package",
                                   "--copy",
                                   "auto",
                                   "-d",
                                   ".",
                                   "-f",
                                   "-o",
                                   fs::absolute(out, ec).string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, root.c_str());
  pid_t pid = 0;
  // Rich wraps what pyflyte prints at 80 columns off a terminal: a wide
  // one keeps its error on one line.
  std::vector<std::string> env_strings = {"COLUMNS=1000"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "COLUMNS=", 8) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid, pyflyte.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Internal(pyflyte + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  auto output = idl::ReadFileBytes(log);
  fs::remove(log, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return InvalidArgument(file.string() + ": pyflyte could not package module " + module +
                           " (from " + root.string() +
                           "): " + (output.ok() ? LastMessageLine(*output) : "no output"));
  }
  return Status::Ok();
}

}  // namespace flytecpp::cli
