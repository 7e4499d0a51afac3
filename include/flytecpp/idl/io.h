// Reading and writing flyteidl messages as binary protobuf, proto3 JSON or
// YAML (the JSON field mapping, written as YAML), and detecting which message
// a file holds.
//
// Writes are atomic: a temporary file beside the target is renamed over it,
// so a failed write never leaves a half-written file.
#pragma once

#include <google/protobuf/message.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp::idl {

enum class Format { kBinary, kJson, kYaml };

std::string_view FormatName(Format format);
// `pb`/`binary`/`proto`, `json`, `yaml`/`yml`.
Result<Format> ParseFormatName(std::string_view name);
// By extension: .json -> JSON, .yaml/.yml -> YAML, anything else binary.
Format FormatFromPath(const std::filesystem::path& path);

// In-memory conversion. Errors name what failed but not the file; the file
// functions below add it.
Result<std::string> Serialize(const google::protobuf::Message& message, Format format);
Status Parse(std::string_view data, Format format, google::protobuf::Message* out);

std::string ToJson(const google::protobuf::Message& message);  // pretty, camelCase
std::string ToYaml(const google::protobuf::Message& message);

Result<std::string> ReadFileBytes(const std::filesystem::path& path);
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data);

// `format` defaults to FormatFromPath(path).
Status ReadMessage(const std::filesystem::path& path, google::protobuf::Message* out,
                   std::optional<Format> format = std::nullopt);
Status WriteMessage(const std::filesystem::path& path, const google::protobuf::Message& message,
                    std::optional<Format> format = std::nullopt);

// ---- Message types ----------------------------------------------------------

// Finds a generated message type by full name (`flyteidl.admin.TaskSpec`) or a
// short one (`TaskSpec`, `admin.TaskSpec`) looked up in core, admin, event.
Result<const google::protobuf::Descriptor*> FindMessageType(std::string_view name);
std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* type);

// The types detection considers, most specific use first.
const std::vector<const google::protobuf::Descriptor*>& DetectableMessageTypes();

// Which detectable type `data` holds: it must pass ParsesStrictlyAs. A pyflyte file name
// suffix (`_1.pb` TaskSpec, `_2.pb` WorkflowSpec, `_3.pb` LaunchPlan) settles
// ties. Fails, listing the candidates, when none or several remain.
Result<const google::protobuf::Descriptor*> DetectMessageType(std::string_view data, Format format,
                                                              std::string_view file_name = "");

// True when `data` parses as `out`'s type with no unknown fields (binary)
// and carries what such a message always has (a name, an id, a value).
bool ParsesStrictlyAs(std::string_view data, Format format, google::protobuf::Message* out);

struct LoadedMessage {
  std::unique_ptr<google::protobuf::Message> message;
  Format format = Format::kBinary;
};

// Reads a message of `type`, or of the detected type when `type` is null.
Result<LoadedMessage> LoadMessage(const std::filesystem::path& path,
                                  const google::protobuf::Descriptor* type = nullptr,
                                  std::optional<Format> format = std::nullopt);

}  // namespace flytecpp::idl
