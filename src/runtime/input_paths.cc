#include "input_paths.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace flytecpp::runtime::internal {

namespace core = flyteidl::core;

namespace {

void AddUri(const std::string& uri, bool blob, std::map<std::string, bool>* out) {
  std::string path;
  if (uri.rfind("file://", 0) == 0) {
    path = uri.substr(7);
  } else if (!uri.empty() && uri[0] == '/') {
    path = uri;
  } else {
    return;  // remote (s3://, gs://, …) or relative: nothing to show
  }
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

}  // namespace flytecpp::runtime::internal
