#include "flytecpp/runtime/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "flytecpp/idl/io.h"

namespace flytecpp::runtime {

namespace fs = std::filesystem;

namespace {

Status CheckPart(const std::string& what, const std::string& part) {
  if (part.empty() || part == "." || part == ".." || part.find('/') != std::string::npos ||
      part.find('\0') != std::string::npos) {
    return InvalidArgument("secret " + what + " \"" + part +
                           "\": must be a non-empty name without '/'");
  }
  return Status::Ok();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// Never through a file another user could have opened first.
Status WritePrivateFile(const fs::path& path, std::string_view data) {
  const std::string tmp = path.string() + ".tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return IoError(tmp + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return IoError(path.string() + ": " + err);
  }
  return Status::Ok();
}

namespace {

Status MakePrivateDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError(dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return IoError(dir.string() + ": " + std::strerror(errno));
  return Status::Ok();
}

std::optional<std::string> FromEnvironment(const std::string& group, const std::string& key) {
  const char* v = std::getenv(SecretEnvName(group, key).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

std::string SecretEnvName(const std::string& group, const std::string& key) {
  std::string name = "_FSEC_" + group + "_" + key;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

Result<std::optional<std::string>> LookUpSecret(const SecretStore* store, const std::string& group,
                                                const std::string& key) {
  if (store != nullptr) return store->Get(group, key);
  return FromEnvironment(group, key);
}

std::string SecretName(const core::Secret& secret) {
  return secret.group().empty() ? secret.key() : secret.group() + "/" + secret.key();
}

Status SecretStore::Set(const std::string& group, const std::string& key,
                        std::string_view value) const {
  FLYTECPP_RETURN_IF_ERROR(CheckPart("group", group));
  FLYTECPP_RETURN_IF_ERROR(CheckPart("key", key));
  FLYTECPP_RETURN_IF_ERROR(MakePrivateDir(dir_));
  FLYTECPP_RETURN_IF_ERROR(MakePrivateDir(dir_ / group));
  return WritePrivateFile(dir_ / group / key, value);
}

Status SecretStore::Remove(const std::string& group, const std::string& key) const {
  FLYTECPP_RETURN_IF_ERROR(CheckPart("group", group));
  FLYTECPP_RETURN_IF_ERROR(CheckPart("key", key));
  std::error_code ec;
  if (!fs::remove(dir_ / group / key, ec)) {
    if (ec) return IoError((dir_ / group / key).string() + ": " + ec.message());
    return NotFound("no secret " + group + "/" + key + " in " + dir_.string());
  }
  if (fs::is_empty(dir_ / group, ec)) fs::remove(dir_ / group, ec);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> SecretStore::List() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  for (const auto& g : fs::directory_iterator(dir_, ec)) {
    if (!g.is_directory()) continue;
    for (const auto& k : fs::directory_iterator(g.path(), ec)) {
      const std::string key = k.path().filename().string();
      if (k.is_regular_file() && key.find(".tmp") == std::string::npos) {
        out.emplace_back(g.path().filename().string(), key);
      }
    }
  }
  if (ec) return IoError(dir_.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::optional<std::string>> SecretStore::Get(const std::string& group,
                                                    const std::string& key) const {
  FLYTECPP_RETURN_IF_ERROR(CheckPart("group", group));
  FLYTECPP_RETURN_IF_ERROR(CheckPart("key", key));
  const fs::path file = dir_ / group / key;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    auto value = idl::ReadFileBytes(file);
    if (!value.ok()) return value.status();
    return std::optional<std::string>(std::move(value).value());
  }
  return FromEnvironment(group, key);
}

Result<ResolvedSecrets> ResolveSecrets(const core::TaskTemplate& task, const SecretStore* store,
                                       const std::string& mount_dir) {
  ResolvedSecrets out;
  const auto& secrets = task.security_context().secrets();
  if (secrets.empty()) return out;
  for (const core::Secret& s : secrets) {
    // A secret without a group is one Flyte mounts from the whole-namespace
    // store; locally a group is what names the directory.
    if (s.group().empty()) {
      return InvalidArgument("secret \"" + s.key() +
                             "\": has no group (locally a secret is GROUP/KEY)");
    }
    FLYTECPP_ASSIGN_OR_RETURN(std::optional<std::string> value,
                              LookUpSecret(store, s.group(), s.key()));
    if (!value) {
      return NotFound("secret " + SecretName(s) + " not found: set it with `flytecpp secrets set " +
                      SecretName(s) + "` (reads the value from stdin) or export " +
                      SecretEnvName(s.group(), s.key()));
    }
    out.values.push_back(*value);
    const std::string file = Lower(s.group()) + "/" + Lower(s.key());
    const bool as_env = s.mount_requirement() == core::Secret::ENV_VAR ||
                        s.mount_requirement() == core::Secret::ANY;
    const bool as_file =
        s.mount_requirement() == core::Secret::FILE || s.mount_requirement() == core::Secret::ANY;
    if (as_env) {
      out.env.emplace_back(SecretEnvName(s.group(), s.key()), *value);
      if (!s.env_var().empty()) out.env.emplace_back(s.env_var(), *value);
    }
    if (as_file) {
      out.files.emplace_back(file, *value);
      // For a file, env_var names where it is.
      if (!s.env_var().empty() && !as_env)
        out.env.emplace_back(s.env_var(), mount_dir + "/" + file);
    }
  }
  // flytekit's SecretsManager finds them with these.
  out.env.emplace_back("FLYTE_SECRETS_ENV_PREFIX", "_FSEC_");
  out.env.emplace_back("FLYTE_SECRETS_DEFAULT_DIR", mount_dir);
  out.env.emplace_back("FLYTE_SECRETS_FILE_PREFIX", "");
  return out;
}

Status WriteSecretFiles(const ResolvedSecrets& secrets, const fs::path& dir) {
  for (const auto& [file, value] : secrets.files) {
    const fs::path path = dir / file;
    FLYTECPP_RETURN_IF_ERROR(MakePrivateDir(dir));
    FLYTECPP_RETURN_IF_ERROR(MakePrivateDir(path.parent_path()));
    FLYTECPP_RETURN_IF_ERROR(WritePrivateFile(path, value));
  }
  return Status::Ok();
}

std::string Redacted(std::string text, const ResolvedSecrets& secrets) {
  auto redact = [&](const std::string& value) {
    if (value.empty()) return;
    for (size_t pos = text.find(value); pos != std::string::npos; pos = text.find(value, pos)) {
      text.replace(pos, value.size(), "[secret]");
      pos += 8;
    }
  };
  for (const auto& value : secrets.values) redact(value);
  return text;
}

}  // namespace flytecpp::runtime
