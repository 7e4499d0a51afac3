#include "flytecpp/idl/package.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

#include "flytecpp/idl/io.h"

namespace flytecpp::idl {

std::string_view EntityKindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kTask: return "task";
    case EntityKind::kWorkflow: return "workflow";
    case EntityKind::kLaunchPlan: return "launch_plan";
  }
  return "unknown";
}

const std::string& PackageEntity::name() const {
  switch (kind) {
    case EntityKind::kTask: return task.template_().id().name();
    case EntityKind::kWorkflow: return workflow.template_().id().name();
    case EntityKind::kLaunchPlan: return launch_plan.id().name();
  }
  return task.template_().id().name();
}

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Basename(std::string_view entry) {
  return std::filesystem::path(std::string(entry)).filename().string();
}

bool IsFastBundle(std::string_view entry) {
  std::string base = Basename(entry);
  return base.rfind("fast", 0) == 0 && EndsWith(base, ".tar.gz");
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

}  // namespace

bool IsPackagePath(const std::filesystem::path& path) {
  std::string s = path.filename().string();
  return EndsWith(s, ".tgz") || EndsWith(s, ".tar.gz") || EndsWith(s, ".tar");
}

Result<PackageEntity> DecodeEntity(std::string entry, std::string_view bytes) {
  const EntityKind order[] = {EntityKind::kTask, EntityKind::kWorkflow, EntityKind::kLaunchPlan};
  std::vector<EntityKind> attempts;
  std::string base = Basename(entry);
  for (EntityKind k : order) {
    if (EndsWith(base, "_" + std::to_string(static_cast<int>(k)) + ".pb")) attempts.push_back(k);
  }
  for (EntityKind k : order) {
    if (std::find(attempts.begin(), attempts.end(), k) == attempts.end()) attempts.push_back(k);
  }
  PackageEntity out;
  out.entry = std::move(entry);
  for (EntityKind k : attempts) {
    google::protobuf::Message* m = nullptr;
    switch (k) {
      case EntityKind::kTask: m = &out.task; break;
      case EntityKind::kWorkflow: m = &out.workflow; break;
      case EntityKind::kLaunchPlan: m = &out.launch_plan; break;
    }
    if (!ParsesStrictlyAs(bytes, Format::kBinary, m)) continue;
    out.kind = k;
    return out;
  }
  return InvalidArgument(out.entry +
                         ": not a TaskSpec, WorkflowSpec or LaunchPlan (pyflyte entity files "
                         "are NNN_name_1.pb, _2.pb, _3.pb)");
}

namespace {

// Reads entries from an opened archive; `where` names it in errors.
Result<Package> ReadEntries(archive* a, const std::string& where) {
  struct RawEntry {
    std::string name;
    std::string bytes;
  };
  std::vector<RawEntry> raw;
  Package pkg;
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return InvalidArgument(where + ": not a valid tar archive: " + archive_error_string(a));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;  // directories, links
    const char* pathname = archive_entry_pathname(entry);
    std::string name = pathname ? pathname : "";
    while (name.rfind("./", 0) == 0) name.erase(0, 2);
    const bool bundle = IsFastBundle(name);
    if (!bundle && !EndsWith(name, ".pb")) {
      return InvalidArgument(where + ": invalid entry \"" + name +
                             "\": a package holds only NNN_name_{1,2,3}.pb files and "
                             "fast*.tar.gz source bundles");
    }
    std::string bytes;
    char buf[64 * 1024];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        return InvalidArgument(where + ": entry \"" + name + "\": " + archive_error_string(a));
      }
      bytes.append(buf, static_cast<size_t>(n));
    }
    if (bundle) {
      pkg.bundles.push_back({std::move(name), std::move(bytes)});
    } else {
      raw.push_back({std::move(name), std::move(bytes)});
    }
  }
  if (raw.empty()) {
    return InvalidArgument(where + ": the package holds no .pb entities");
  }
  std::sort(raw.begin(), raw.end(),
            [](const RawEntry& x, const RawEntry& y) { return x.name < y.name; });
  for (auto& e : raw) {
    auto entity = DecodeEntity(e.name, e.bytes);
    if (!entity.ok()) return entity.status().WithContext(where);
    pkg.entities.push_back(std::move(entity).value());
  }
  return pkg;
}

std::unique_ptr<archive, ArchiveCloser> NewTarReader() {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  return a;
}

}  // namespace

bool IsRegistrationPlaceholder(std::string_view arg, std::string_view name) {
  std::string compact;
  for (char c : arg) {
    if (c != ' ') compact += c;
  }
  return compact == "{{." + std::string(name) + "}}";
}

bool FillFastRegistration(flyteidl::core::TaskTemplate* task, const std::string& package_uri,
                          const std::string& dest_dir) {
  if (!task->has_container()) return false;
  bool filled = false;
  for (std::string& arg : *task->mutable_container()->mutable_args()) {
    if (arg.find("{{") == std::string::npos) continue;
    if (IsRegistrationPlaceholder(arg, "remote_package_path")) {
      arg = package_uri;
      filled = true;
    } else if (IsRegistrationPlaceholder(arg, "dest_dir")) {
      arg = dest_dir;
      filled = true;
    }
  }
  return filled;
}

Result<Package> ReadPackage(const std::filesystem::path& path) {
  const std::string where = path.string();
  if (!IsPackagePath(path)) {
    return InvalidArgument(where + ": not a package: expected a .tgz, .tar.gz or .tar archive");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgument(where + ": no such file");
  }
  auto a = NewTarReader();
  if (archive_read_open_filename(a.get(), where.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return InvalidArgument(where + ": not a tar archive: " + archive_error_string(a.get()));
  }
  return ReadEntries(a.get(), where);
}

Result<Package> ReadPackageData(std::string_view bytes, const std::string& name) {
  auto a = NewTarReader();
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return InvalidArgument(name + ": not a tar archive: " + archive_error_string(a.get()));
  }
  return ReadEntries(a.get(), name);
}

}  // namespace flytecpp::idl
