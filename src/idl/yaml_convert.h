// YAML <-> proto3 JSON, so YAML uses exactly the JSON field mapping.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>

#include "flytecpp/util/status.h"

namespace flytecpp::idl::internal {

// Renders proto3 JSON (as produced by MessageToJsonString) as block YAML.
// Strings that a YAML reader would take for another type are quoted.
Result<std::string> JsonToYaml(std::string_view json);

// Converts YAML to proto3 JSON for a message of `type`. The descriptor decides
// how each scalar is written (a plain `123` for a string field stays a
// string), so hand-written YAML needs no quoting. Errors carry line:column.
Result<std::string> YamlToJson(std::string_view yaml, const google::protobuf::Descriptor* type);

}  // namespace flytecpp::idl::internal
