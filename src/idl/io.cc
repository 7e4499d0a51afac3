#include "flytecpp/idl/io.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/task.pb.h"
#include "flyteidl/admin/workflow.pb.h"
#include "flyteidl/core/compiler.pb.h"
#include "flyteidl/core/dynamic_job.pb.h"
#include "flyteidl/core/errors.pb.h"
#include "flyteidl/core/workflow_closure.pb.h"
#include "yaml_convert.h"

namespace flytecpp::idl {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kBinary: return "pb";
    case Format::kJson: return "json";
    case Format::kYaml: return "yaml";
  }
  return "pb";
}

Result<Format> ParseFormatName(std::string_view name) {
  if (name == "pb" || name == "binary" || name == "proto") return Format::kBinary;
  if (name == "json") return Format::kJson;
  if (name == "yaml" || name == "yml") return Format::kYaml;
  return InvalidArgument("unknown format \"" + std::string(name) + "\": expected pb, json or yaml");
}

Format FormatFromPath(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".json") return Format::kJson;
  if (ext == ".yaml" || ext == ".yml") return Format::kYaml;
  return Format::kBinary;
}

namespace {

// protobuf logs invalid UTF-8 and similar to stderr while parsing. Our
// Status already says what is wrong, and the CLI promises one line on
// stderr, so such diagnostics are dropped (process-wide, installed once, so
// concurrent parses cannot race on the handler). FATAL still aborts loudly.
void DropProtobufDiagnostics(google::protobuf::LogLevel level, const char* file, int line,
                             const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    std::fprintf(stderr, "[libprotobuf FATAL %s:%d] %s\n", file, line, message.c_str());
  }
}

void QuietProtobufOnce() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&DropProtobufDiagnostics); });
}

std::string JsonOf(const Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = false;
  std::string out;
  auto st = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!st.ok()) return "{}";  // only fails for Any with unknown types
  return out;
}

Status ParseJsonInto(std::string_view data, Message* out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  out->Clear();
  auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(data.data(), data.size()), out, options);
  if (!st.ok()) {
    // protobuf appends the offending text and a caret on further lines; the
    // first line says what is wrong, and errors here are one line.
    std::string why(st.message());
    why = why.substr(0, why.find('\n'));
    return InvalidArgument("invalid JSON for " + out->GetDescriptor()->full_name() + ": " + why);
  }
  return Status::Ok();
}

}  // namespace

std::string ToJson(const Message& message) { return JsonOf(message, true); }

std::string ToYaml(const Message& message) {
  auto yaml = internal::JsonToYaml(JsonOf(message, false));
  return yaml.ok() ? *yaml : std::string("{}\n");
}

Result<std::string> Serialize(const Message& message, Format format) {
  switch (format) {
    case Format::kBinary: {
      std::string out;
      if (!message.SerializeToString(&out)) {
        return Internal("cannot serialize " + message.GetDescriptor()->full_name());
      }
      return out;
    }
    case Format::kJson: return ToJson(message) + "\n";
    case Format::kYaml: return internal::JsonToYaml(JsonOf(message, false));
  }
  return Internal("unknown format");
}

Status Parse(std::string_view data, Format format, Message* out) {
  const std::string& type = out->GetDescriptor()->full_name();
  switch (format) {
    case Format::kBinary: {
      QuietProtobufOnce();  // the Status below says what went wrong
      out->Clear();
      if (!out->ParseFromArray(data.data(), static_cast<int>(data.size()))) {
        return InvalidArgument("not a valid binary " + type +
                               " (truncated, corrupt, or another message type)");
      }
      return Status::Ok();
    }
    case Format::kJson: return ParseJsonInto(data, out);
    case Format::kYaml: {
      auto json = internal::YamlToJson(data, out->GetDescriptor());
      if (!json.ok()) return json.status().WithContext("as " + type);
      return ParseJsonInto(*json, out);
    }
  }
  return Internal("unknown format");
}

Result<std::string> ReadFileBytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument(path.string() + ": is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return IoError(path.string() + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError(path.string() + ": read failed");
  return std::move(ss).str();
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return IoError(path.string() + ": cannot write: " + std::strerror(errno));
    }
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return IoError(path.string() + ": write failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return IoError(path.string() + ": cannot rename into place: " + ec.message());
  }
  return Status::Ok();
}

Status ReadMessage(const std::filesystem::path& path, Message* out, std::optional<Format> format) {
  FLYTECPP_ASSIGN_OR_RETURN(std::string data, ReadFileBytes(path));
  return Parse(data, format.value_or(FormatFromPath(path)), out).WithContext(path.string());
}

Status WriteMessage(const std::filesystem::path& path, const Message& message,
                    std::optional<Format> format) {
  FLYTECPP_ASSIGN_OR_RETURN(std::string data,
                            Serialize(message, format.value_or(FormatFromPath(path))));
  return WriteFileAtomic(path, data);
}

// ---- Message types ------------------------------------------------------------

Result<const Descriptor*> FindMessageType(std::string_view name) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::string n(name);
  for (const std::string& prefix :
       {std::string(""), std::string("flyteidl."), std::string("flyteidl.core."),
        std::string("flyteidl.admin."), std::string("flyteidl.event.")}) {
    if (const Descriptor* d = pool->FindMessageTypeByName(prefix + n)) return d;
  }
  return InvalidArgument("unknown message type \"" + n +
                         "\" (e.g. TaskSpec, WorkflowSpec, LaunchPlan, "
                         "CompiledWorkflowClosure, LiteralMap)");
}

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<Message>(prototype->New());
}

namespace {

// A name-like string: non-empty, no control characters. Random bytes that
// happen to parse as a message rarely pass this.
bool IsNameLike(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Free text: like a name, but newlines and tabs are fine.
bool IsTextLike(const std::string& s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
  }
  return true;
}

bool AllLiteralsSet(const flyteidl::core::LiteralMap& m) {
  for (const auto& [k, v] : m.literals()) {
    if (!IsNameLike(k) || v.value_case() == flyteidl::core::Literal::VALUE_NOT_SET) return false;
  }
  return true;
}

struct Detectable {
  const Descriptor* type;
  // What a real message of this type always has; keeps empty or foreign data
  // that happens to parse from counting as this type.
  bool (*plausible)(const Message&);
  int pyflyte_suffix;  // 1/2/3 for pyflyte package files, 0 otherwise
};

template <typename T>
const T& As(const Message& m) {
  return static_cast<const T&>(m);
}

const std::vector<Detectable>& DetectableTable() {
  namespace core = flyteidl::core;
  namespace admin = flyteidl::admin;
  static const std::vector<Detectable> table = {
      {admin::TaskSpec::descriptor(),
       [](const Message& m) { return IsNameLike(As<admin::TaskSpec>(m).template_().id().name()); },
       1},
      {admin::WorkflowSpec::descriptor(),
       [](const Message& m) {
         return IsNameLike(As<admin::WorkflowSpec>(m).template_().id().name());
       },
       2},
      {admin::LaunchPlan::descriptor(),
       [](const Message& m) {
         const auto& lp = As<admin::LaunchPlan>(m);
         return IsNameLike(lp.id().name()) && lp.has_spec();
       },
       3},
      {core::CompiledWorkflowClosure::descriptor(),
       [](const Message& m) {
         return IsNameLike(As<core::CompiledWorkflowClosure>(m).primary().template_().id().name());
       },
       0},
      {core::WorkflowClosure::descriptor(),
       [](const Message& m) {
         return IsNameLike(As<core::WorkflowClosure>(m).workflow().id().name());
       },
       0},
      {core::TaskTemplate::descriptor(),
       [](const Message& m) {
         const auto& t = As<core::TaskTemplate>(m);
         return IsNameLike(t.id().name()) && IsNameLike(t.type());
       },
       0},
      {core::WorkflowTemplate::descriptor(),
       [](const Message& m) {
         const auto& w = As<core::WorkflowTemplate>(m);
         if (!IsNameLike(w.id().name())) return false;
         for (const auto& n : w.nodes()) {
           if (!IsNameLike(n.id())) return false;
         }
         return true;
       },
       0},
      {core::CompiledTask::descriptor(),
       [](const Message& m) {
         return IsNameLike(As<core::CompiledTask>(m).template_().id().name());
       },
       0},
      {core::DynamicJobSpec::descriptor(),
       [](const Message& m) {
         const auto& d = As<core::DynamicJobSpec>(m);
         if (d.nodes_size() == 0) return false;
         for (const auto& n : d.nodes()) {
           if (!IsNameLike(n.id()) || n.target_case() == core::Node::TARGET_NOT_SET) return false;
         }
         return true;
       },
       0},
      {core::LiteralMap::descriptor(),
       [](const Message& m) {
         const auto& l = As<core::LiteralMap>(m);
         return l.literals_size() > 0 && AllLiteralsSet(l);
       },
       0},
      {core::Literal::descriptor(),
       [](const Message& m) {
         const auto& l = As<core::Literal>(m);
         switch (l.value_case()) {
           case core::Literal::kScalar:
             return l.scalar().value_case() != core::Scalar::VALUE_NOT_SET;
           case core::Literal::kMap: return AllLiteralsSet(l.map());
           case core::Literal::kCollection: return true;
           default: return false;
         }
       },
       0},
      {core::ErrorDocument::descriptor(),
       [](const Message& m) {
         const auto& e = As<core::ErrorDocument>(m).error();
         return IsTextLike(e.message()) &&
                (IsNameLike(e.code()) || (e.code().empty() && !e.message().empty()));
       },
       0},
  };
  return table;
}

const Detectable* FindDetectable(const Descriptor* type) {
  for (const Detectable& d : DetectableTable()) {
    if (d.type == type) return &d;
  }
  return nullptr;
}

bool HasUnknownFields(const Message& m) {
  const Reflection* r = m.GetReflection();
  if (!r->GetUnknownFields(m).empty()) return true;
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (HasUnknownFields(r->GetRepeatedMessage(m, f, i))) return true;
      }
    } else if (HasUnknownFields(r->GetMessage(m, f))) {
      return true;
    }
  }
  return false;
}

int PyflyteSuffix(std::string_view file_name) {
  std::string name(std::filesystem::path(file_name).filename().string());
  for (int k = 1; k <= 3; ++k) {
    std::string suffix = "_" + std::to_string(k) + ".pb";
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return k;
    }
  }
  return 0;
}

}  // namespace

bool ParsesStrictlyAs(std::string_view data, Format format, Message* out) {
  if (!Parse(data, format, out).ok()) return false;
  if (format == Format::kBinary && HasUnknownFields(*out)) return false;
  const Detectable* d = FindDetectable(out->GetDescriptor());
  return d == nullptr || d->plausible(*out);
}

const std::vector<const Descriptor*>& DetectableMessageTypes() {
  static const std::vector<const Descriptor*> types = [] {
    std::vector<const Descriptor*> out;
    for (const auto& d : DetectableTable()) out.push_back(d.type);
    return out;
  }();
  return types;
}

Result<const Descriptor*> DetectMessageType(std::string_view data, Format format,
                                            std::string_view file_name) {
  if (data.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("the file is empty; pass --type to say what it holds");
  }
  std::vector<const Detectable*> matches;
  for (const Detectable& d : DetectableTable()) {
    auto m = NewMessage(d.type);
    if (ParsesStrictlyAs(data, format, m.get())) matches.push_back(&d);
  }
  if (matches.size() > 1) {
    int suffix = PyflyteSuffix(file_name);
    for (const Detectable* d : matches) {
      if (suffix != 0 && d->pyflyte_suffix == suffix) return d->type;
    }
  }
  if (matches.size() == 1) return matches[0]->type;
  if (matches.empty()) {
    return InvalidArgument("not a recognised flyteidl message (" + std::string(FormatName(format)) +
                           "); pass --type to name the message type");
  }
  std::string names;
  for (const Detectable* d : matches) {
    if (!names.empty()) names += ", ";
    names += d->type->name();
  }
  return InvalidArgument("ambiguous message type: the content parses as any of " + names +
                         "; pass --type to choose");
}

Result<LoadedMessage> LoadMessage(const std::filesystem::path& path, const Descriptor* type,
                                  std::optional<Format> format) {
  FLYTECPP_ASSIGN_OR_RETURN(std::string data, ReadFileBytes(path));
  LoadedMessage out;
  out.format = format.value_or(FormatFromPath(path));
  if (type == nullptr) {
    auto detected = DetectMessageType(data, out.format, path.filename().string());
    if (!detected.ok()) return detected.status().WithContext(path.string());
    type = *detected;
  }
  out.message = NewMessage(type);
  FLYTECPP_RETURN_IF_ERROR(Parse(data, out.format, out.message.get()).WithContext(path.string()));
  // Binary protobuf parses almost anything as anything; fields the type does
  // not have mean the file holds something else.
  if (out.format == Format::kBinary && HasUnknownFields(*out.message)) {
    return InvalidArgument(path.string() + ": does not hold a " + type->full_name() +
                           " (it has fields that type lacks; wrong --type?)");
  }
  return out;
}

}  // namespace flytecpp::idl
