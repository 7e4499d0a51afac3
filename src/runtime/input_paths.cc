#include "input_paths.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "flytecpp/idl/literals.h"

namespace flytecpp::runtime::internal {

namespace core = flyteidl::core;

namespace {

void AddUri(const std::string& uri, bool blob, std::map<std::string, bool>* out) {
  std::optional<std::string> local = idl::LocalPathOf(uri);
  if (!local) return;  // remote (s3://, gs://, …) or relative: nothing to show
  std::string path = std::move(*local);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::error_code ec;
  if (!path.empty() && path[0] == '/' && std::filesystem::exists(path, ec)) {
    (*out)[path] = (*out)[path] || blob;
  }
}

void Collect(const core::Literal& l, std::map<std::string, bool>* out) {
  switch (l.value_case()) {
    case core::Literal::kScalar: {
      const core::Scalar& s = l.scalar();
      if (s.has_blob()) AddUri(s.blob().uri(), true, out);
      if (s.has_schema()) AddUri(s.schema().uri(), false, out);
      if (s.has_structured_dataset()) AddUri(s.structured_dataset().uri(), false, out);
      if (s.has_union_() && s.union_().has_value()) Collect(s.union_().value(), out);
      return;
    }
    case core::Literal::kCollection:
      for (const auto& e : l.collection().literals()) Collect(e, out);
      return;
    case core::Literal::kMap:
      for (const auto& [k, e] : l.map().literals()) Collect(e, out);
      return;
    case core::Literal::kOffloadedMetadata:
      AddUri(l.offloaded_metadata().uri(), false, out);
      return;
    default: return;
  }
}

bool Under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

std::vector<InputPath> LocalInputPaths(const core::LiteralMap& inputs) {
  std::map<std::string, bool> all;
  for (const auto& [name, l] : inputs.literals()) Collect(l, &all);
  std::vector<InputPath> out;
  for (const auto& [p, blob] : all) {  // sorted: a directory comes before what is below it
    if (!out.empty() && Under(p, out.back().path)) {
      out.back().blob = out.back().blob || blob;
    } else {
      out.push_back({p, blob});
    }
  }
  return out;
}

Status ShowInputPaths(const core::LiteralMap& inputs, const std::string& data_root,
                      const std::string& copies_dir, SandboxSpec* sandbox) {
  namespace fs = std::filesystem;
  auto stored = [&](const std::string& p) {
    return !data_root.empty() && p.rfind(data_root + "/", 0) == 0;
  };
  std::vector<InputPath> blobs;
  std::set<std::string> folders;  // the folders that get a stand-in
  for (const InputPath& in : LocalInputPaths(inputs)) {
    if (!in.blob) {
      sandbox->ro_binds.emplace_back(in.path, in.path);
      continue;
    }
    blobs.push_back(in);
    folders.insert(stored(in.path) ? fs::path(in.path).parent_path().string() : in.path);
  }
  // A folder inside another's stand-in is part of it.
  std::map<std::string, std::string> stand_ins;  // outermost folder -> its stand-in
  auto holder = [&](const std::string& p) {
    return std::find_if(stand_ins.begin(), stand_ins.end(),
                        [&](const auto& kv) { return p == kv.first || Under(p, kv.first); });
  };
  for (const std::string& f : folders) {  // sorted: a folder before those inside it
    if (holder(f) == stand_ins.end()) {
      stand_ins.emplace(f, copies_dir + "/" + std::to_string(stand_ins.size()));
    }
  }
  for (const InputPath& in : blobs) {
    auto it = holder(in.path);  // every blob's folder is held
    const fs::path copy =
        in.path == it->first
            ? fs::path(it->second)
            : fs::path(it->second) / fs::path(in.path).lexically_relative(it->first);
    std::error_code ec;
    fs::create_directories(copy.parent_path(), ec);
    if (!ec) fs::copy(in.path, copy, fs::copy_options::recursive, ec);
    if (ec) return Internal(in.path + ": " + ec.message());
  }
  for (const auto& [folder, stand_in] : stand_ins) {
    std::error_code ec;
    if (!fs::exists(stand_in, ec)) {  // a folder whose inputs are all deeper
      fs::create_directories(stand_in, ec);
      if (ec) return Internal(stand_in + ": " + ec.message());
    }
    sandbox->rw_binds.emplace_back(stand_in, folder);
  }
  return Status::Ok();
}

}  // namespace flytecpp::runtime::internal
