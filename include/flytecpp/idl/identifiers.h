// Identifier string forms, as flytekit prints them:
//   Identifier                   TASK:project:domain:name:version
//   WorkflowExecutionIdentifier  project:domain:name
//   NodeExecutionIdentifier      project:domain:exec/node
#pragma once

#include <string>
#include <string_view>

#include "flytecpp/util/status.h"
#include "flyteidl/core/identifier.pb.h"

namespace flytecpp::idl {

using flyteidl::core::Identifier;
using flyteidl::core::ResourceType;

// `TASK`, `WORKFLOW`, `LAUNCH_PLAN`, `DATASET`, `UNSPECIFIED`.
std::string_view ResourceTypeName(ResourceType type);

// `TASK:p:d:n:v`; the resource type prefix is left out when UNSPECIFIED.
// The org, if set, is appended as `@org`.
std::string IdentifierString(const Identifier& id);

// Parses `[TYPE:]project:domain:name[:version][@org]`. `default_type` is used
// when no type prefix is given.
Result<Identifier> ParseIdentifier(std::string_view text,
                                   ResourceType default_type = flyteidl::core::UNSPECIFIED);

// Makes an identifier; names that are not yet registered leave project,
// domain and version empty, as pyflyte packages do.
Identifier MakeIdentifier(ResourceType type, std::string name, std::string version = "",
                          std::string project = "", std::string domain = "");

std::string ExecutionIdString(const flyteidl::core::WorkflowExecutionIdentifier& id);
Result<flyteidl::core::WorkflowExecutionIdentifier> ParseExecutionId(std::string_view text);
std::string NodeExecutionIdString(const flyteidl::core::NodeExecutionIdentifier& id);

}  // namespace flytecpp::idl
