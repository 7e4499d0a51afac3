#include "copilot.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "template.h"

namespace flytecpp::runtime::internal {

namespace fs = std::filesystem;
namespace core = flyteidl::core;

namespace {

std::string LocalPath(const std::string& uri) {
  return uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return IoError(path.string() + ": cannot write");
  return Status::Ok();
}

// Writes `value` at `path`; returns the literal as the task will see it.
Result<core::Literal> Materialize(const core::Literal& value, const fs::path& path,
                                  const std::string& sandbox_path) {
  const core::Literal& l = idl::Unwrapped(value);
  std::error_code ec;
  switch (idl::KindOf(l)) {
    case idl::LiteralKind::kBlob: {
      fs::path src = LocalPath(l.scalar().blob().uri());
      if (fs::is_directory(src, ec)) {
        fs::copy(src, path, fs::copy_options::recursive, ec);
      } else {
        fs::copy_file(src, path, fs::copy_options::overwrite_existing, ec);
      }
      if (ec) return IoError("blob " + src.string() + ": cannot copy: " + ec.message());
      core::Literal seen = l;
      seen.mutable_scalar()->mutable_blob()->set_uri(sandbox_path);
      return seen;
    }
    case idl::LiteralKind::kCollection: {
      fs::create_directories(path, ec);
      core::Literal seen = l;
      for (int i = 0; i < l.collection().literals_size(); ++i) {
        FLYTECPP_ASSIGN_OR_RETURN(*seen.mutable_collection()->mutable_literals(i),
                                  Materialize(l.collection().literals(i), path / std::to_string(i),
                                              sandbox_path + "/" + std::to_string(i)));
      }
      return seen;
    }
    case idl::LiteralKind::kMap: {
      fs::create_directories(path, ec);
      core::Literal seen = l;
      for (const auto& [k, v] : l.map().literals()) {
        FLYTECPP_ASSIGN_OR_RETURN((*seen.mutable_map()->mutable_literals())[k],
                                  Materialize(v, path / k, sandbox_path + "/" + k));
      }
      return seen;
    }
    case idl::LiteralKind::kNone: FLYTECPP_RETURN_IF_ERROR(WriteText(path, "null")); return l;
    case idl::LiteralKind::kBinary:
      FLYTECPP_RETURN_IF_ERROR(WriteText(path, l.scalar().binary().value()));
      return l;
    case idl::LiteralKind::kError:
      FLYTECPP_RETURN_IF_ERROR(WriteText(path, l.scalar().error().message()));
      return l;
    case idl::LiteralKind::kGeneric: {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(l.scalar().generic(), &json);
      FLYTECPP_RETURN_IF_ERROR(WriteText(path, json));
      return l;
    }
    default: {
      FLYTECPP_ASSIGN_OR_RETURN(std::string text, RenderValue(l));
      FLYTECPP_RETURN_IF_ERROR(WriteText(path, text));
      return l;
    }
  }
}

std::string Trimmed(std::string s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && ws(s[i])) ++i;
  return s.substr(i);
}

runtime::TaskError OutputError(const std::string& msg) {
  return {core::ExecutionError::USER, "OutputUploadFailed", msg, false};
}

}  // namespace

Status MaterializeInputs(const core::LiteralMap& inputs, const std::string& host_dir,
                         const std::string& sandbox_dir,
                         core::DataLoadingConfig::LiteralMapFormat format) {
  std::error_code ec;
  fs::create_directories(host_dir, ec);
  if (ec) return IoError(host_dir + ": cannot create: " + ec.message());
  core::LiteralMap seen;
  for (const auto& [name, value] : inputs.literals()) {
    auto v = Materialize(value, fs::path(host_dir) / name, sandbox_dir + "/" + name);
    if (!v.ok()) return v.status().WithContext("input " + name);
    (*seen.mutable_literals())[name] = std::move(v).value();
  }
  FLYTECPP_RETURN_IF_ERROR(
      idl::WriteMessage(fs::path(host_dir) / "inputs.pb", seen, idl::Format::kBinary));
  if (format == core::DataLoadingConfig::JSON) {
    return idl::WriteMessage(fs::path(host_dir) / "inputs.json", seen, idl::Format::kJson);
  }
  if (format == core::DataLoadingConfig::YAML) {
    return idl::WriteMessage(fs::path(host_dir) / "inputs.yaml", seen, idl::Format::kYaml);
  }
  return Status::Ok();
}

TaskOutcome CollectOutputs(const core::TypedInterface& iface, const std::string& host_dir,
                           const std::string& raw_dir) {
  const fs::path dir(host_dir);
  std::error_code ec;
  if (fs::exists(dir / "_ERROR", ec)) {
    auto text = idl::ReadFileBytes(dir / "_ERROR");
    return runtime::TaskError{core::ExecutionError::USER, "UserError",
                              "User Error: " + Trimmed(text.ok() ? *text : ""), false};
  }
  for (const char* name : {"outputs.pb", "outputs.json", "outputs.yaml"}) {
    if (!fs::exists(dir / name, ec)) continue;
    core::LiteralMap m;
    Status st = idl::ReadMessage(dir / name, &m);
    if (!st.ok()) return OutputError(st.message());
    return m;
  }
  core::LiteralMap out;
  for (const auto& [name, var] : iface.outputs().variables()) {
    fs::path path = dir / name;
    if (!fs::exists(path, ec)) {
      // A single `<name>.<ext>` will do, as in Flyte.
      std::vector<fs::path> matches;
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().stem() == name) matches.push_back(e.path());
      }
      if (matches.size() != 1) return OutputError("output " + name + ": no file " + path.string());
      path = matches[0];
    }
    const core::LiteralType& type = var.type();
    if (type.has_blob()) {
      fs::path dest = fs::path(raw_dir) / name;
      fs::create_directories(raw_dir, ec);
      if (fs::is_directory(path, ec)) {
        fs::copy(path, dest, fs::copy_options::recursive | fs::copy_options::overwrite_existing,
                 ec);
      } else {
        fs::copy_file(path, dest, fs::copy_options::overwrite_existing, ec);
      }
      if (ec) return OutputError("output " + name + ": cannot keep " + path.string());
      (*out.mutable_literals())[name] = idl::lit::Blob(
          "file://" + dest.string(), type.blob().format(),
          fs::is_directory(dest, ec) ? core::BlobType::MULTIPART : core::BlobType::SINGLE);
      continue;
    }
    auto text = idl::ReadFileBytes(path);
    if (!text.ok()) return OutputError("output " + name + ": " + text.status().message());
    auto value = idl::ParseLiteral(Trimmed(*text), type);
    if (!value.ok()) return OutputError("output " + name + ": " + value.status().message());
    (*out.mutable_literals())[name] = std::move(value).value();
  }
  return out;
}

}  // namespace flytecpp::runtime::internal
