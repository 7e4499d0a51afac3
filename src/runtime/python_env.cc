#include "python_env.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/package.h"
#include "flytecpp/util/find_program.h"
#include "flytecpp/util/text.h"

namespace flytecpp::runtime::internal {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEntrypoints[] = {"pyflyte-execute", "pyflyte-fast-execute",
                                        "pyflyte-map-execute"};

}  // namespace

bool IsFlytekitEntrypoint(const std::string& program) {
  const std::string base = fs::path(program).filename().string();
  return std::any_of(std::begin(kEntrypoints), std::end(kEntrypoints),
                     [&](const char* e) { return base == e; });
}

std::optional<fs::path> FindPythonEnvironment(const std::string& search_path) {
  const std::string found = FindProgram("pyflyte-execute", search_path);
  if (found.empty()) return std::nullopt;
  std::error_code ec;
  // bin/pyflyte-execute of a venv is a file of the venv (not a link into
  // the interpreter's prefix): its directory's parent is the environment.
  fs::path bin = fs::absolute(fs::path(found), ec).parent_path();
  return bin.parent_path();
}

std::string CheckPythonEnvironment(const fs::path& env, const std::string& program) {
  const fs::path entry = env / "bin" / fs::path(program).filename();
  if (::access(entry.c_str(), X_OK) != 0) {
    return entry.string() + " does not exist or is not executable (is flytekit installed there?)";
  }
  return "";
}

namespace {

// Unpacks the tar.gz `bundle` into the new folder `dir`: regular files and
// folders only, nothing outside it (no "..", no absolute paths, no links).
Status Unpack(const std::string& bundle, const std::string& dir) {
  struct Free {
    void operator()(archive* a) const { archive_read_free(a); }
  };
  std::unique_ptr<archive, Free> in(archive_read_new());
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open_filename(in.get(), bundle.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return InvalidArgument(bundle + ": " + archive_error_string(in.get()));
  }
  archive_entry* entry = nullptr;
  for (;;) {
    const int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) return Status::Ok();
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return InvalidArgument(bundle + ": " + archive_error_string(in.get()));
    }
    const char* name = archive_entry_pathname(entry);
    const fs::path rel = fs::path(name != nullptr ? name : "").lexically_normal();
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") {
      return InvalidArgument(bundle + ": entry \"" + rel.string() + "\" leaves the bundle");
    }
    const fs::path target = fs::path(dir) / rel;
    std::error_code ec;
    if (archive_entry_filetype(entry) == AE_IFDIR) {
      fs::create_directories(target, ec);
    } else if (archive_entry_filetype(entry) == AE_IFREG) {
      fs::create_directories(target.parent_path(), ec);
      std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(target.c_str(), "wb"), &std::fclose);
      if (!f) return Internal(target.string() + ": " + std::strerror(errno));
      char buf[64 * 1024];
      for (la_ssize_t n; (n = archive_read_data(in.get(), buf, sizeof buf)) != 0;) {
        if (n < 0) return InvalidArgument(bundle + ": " + archive_error_string(in.get()));
        if (std::fwrite(buf, 1, static_cast<size_t>(n), f.get()) != static_cast<size_t>(n)) {
          return Internal(target.string() + ": " + std::strerror(errno));
        }
      }
      if (archive_entry_perm(entry) & 0111) ::chmod(target.c_str(), 0755);
    }  // links and devices: not code
    if (ec) return Internal(target.string() + ": " + ec.message());
  }
}

}  // namespace

Result<std::optional<FastExecute>> PrepareFastExecute(const std::vector<std::string>& command) {
  if (command.empty() || fs::path(command[0]).filename() != "pyflyte-fast-execute") {
    return std::optional<FastExecute>();
  }
  const std::string bundle = FastExecuteDistribution(command);
  std::string distribution;  // as the command names it, passed on to the task
  size_t inner = command.size();
  for (size_t i = 1; i < command.size(); ++i) {
    if (command[i] == "--") {
      inner = i + 1;
      break;
    }
    if (command[i] == "--additional-distribution" && i + 1 < command.size()) {
      distribution = command[i + 1];
    }
  }
  if (bundle.empty() || inner >= command.size()) return std::optional<FastExecute>();
  std::error_code ec;
  if (!fs::is_regular_file(bundle, ec)) {
    return NotFound("the task's code bundle " + bundle + " does not exist");
  }
  FastExecute out;
  out.code_dir = bundle + ".d";
  if (!fs::is_directory(out.code_dir, ec)) {
    // Unpacked beside, then renamed into place: attempts that race agree.
    std::random_device random;
    const std::string tmp =
        out.code_dir + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(random());
    fs::create_directories(tmp, ec);
    if (ec) return Internal(tmp + ": " + ec.message());
    Status st = Unpack(bundle, tmp);
    if (st.ok()) {
      fs::rename(tmp, out.code_dir, ec);
      if (ec && !fs::is_directory(out.code_dir)) st = Internal(out.code_dir + ": " + ec.message());
    }
    fs::remove_all(tmp, ec);
    if (!st.ok()) return st;
  }
  for (size_t i = inner; i < command.size(); ++i) {
    if (command[i] == "--resolver") {
      out.command.insert(out.command.end(), {"--dynamic-addl-distro", distribution,
                                             "--dynamic-dest-dir", out.code_dir});
    }
    out.command.push_back(command[i]);
  }
  return std::optional<FastExecute>(std::move(out));
}

std::string FastExecuteDistribution(const std::vector<std::string>& command) {
  if (command.empty() || fs::path(command[0]).filename() != "pyflyte-fast-execute") return "";
  for (size_t i = 1; i + 1 < command.size(); ++i) {
    if (command[i] == "--") return "";
    if (command[i] != "--additional-distribution") continue;
    return idl::LocalPathOf(command[i + 1]).value_or("");
  }
  return "";
}

std::string FlytekitErrorSummary(const std::string& message) {
  constexpr std::string_view kSection = "\nMessage:\n";
  const size_t at = message.rfind(kSection);
  if (at == std::string::npos) return Collapsed(message);
  return Collapsed(std::string_view(message).substr(at + kSection.size()));
}

void RewriteFastExecuteDestDir(std::vector<std::string>* command, const std::string& dest) {
  if (command->empty() || fs::path((*command)[0]).filename() != "pyflyte-fast-execute") return;
  for (size_t i = 1; i + 1 < command->size(); ++i) {
    const std::string& flag = (*command)[i];
    if (flag == "--") return;  // the task's own command follows
    if (flag != "--dest-dir") continue;
    std::string& value = (*command)[i + 1];
    if (idl::IsRegistrationPlaceholder(value, "dest_dir") || (!value.empty() && value[0] == '/'))
      value = dest;
    return;
  }
}

}  // namespace flytecpp::runtime::internal
