#include "flytecpp/idl/identifiers.h"

#include <vector>

namespace flytecpp::idl {

namespace {
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}
}  // namespace

std::string_view ResourceTypeName(ResourceType type) {
  switch (type) {
    case flyteidl::core::TASK: return "TASK";
    case flyteidl::core::WORKFLOW: return "WORKFLOW";
    case flyteidl::core::LAUNCH_PLAN: return "LAUNCH_PLAN";
    case flyteidl::core::DATASET: return "DATASET";
    default: return "UNSPECIFIED";
  }
}

std::string IdentifierString(const Identifier& id) {
  std::string s;
  if (id.resource_type() != flyteidl::core::UNSPECIFIED) {
    s += ResourceTypeName(id.resource_type());
    s += ':';
  }
  s += id.project() + ":" + id.domain() + ":" + id.name() + ":" + id.version();
  if (!id.org().empty()) s += "@" + id.org();
  return s;
}

Result<Identifier> ParseIdentifier(std::string_view text, ResourceType default_type) {
  Identifier id;
  std::string_view body = text;
  if (auto at = body.rfind('@'); at != std::string_view::npos) {
    id.set_org(std::string(body.substr(at + 1)));
    body = body.substr(0, at);
  }
  auto parts = Split(body, ':');
  ResourceType type = default_type;
  if (!parts.empty()) {
    ResourceType parsed;
    if (flyteidl::core::ResourceType_Parse(std::string(parts[0]), &parsed) && parts.size() >= 4) {
      type = parsed;
      parts.erase(parts.begin());
    }
  }
  if (parts.size() != 3 && parts.size() != 4) {
    return InvalidArgument("identifier \"" + std::string(text) +
                           "\": expected [TYPE:]project:domain:name[:version]");
  }
  if (parts[2].empty()) {
    return InvalidArgument("identifier \"" + std::string(text) + "\": name is empty");
  }
  id.set_resource_type(type);
  id.set_project(std::string(parts[0]));
  id.set_domain(std::string(parts[1]));
  id.set_name(std::string(parts[2]));
  if (parts.size() == 4) id.set_version(std::string(parts[3]));
  return id;
}

Identifier MakeIdentifier(ResourceType type, std::string name, std::string version,
                          std::string project, std::string domain) {
  Identifier id;
  id.set_resource_type(type);
  id.set_project(std::move(project));
  id.set_domain(std::move(domain));
  id.set_name(std::move(name));
  id.set_version(std::move(version));
  return id;
}

std::string ExecutionIdString(const flyteidl::core::WorkflowExecutionIdentifier& id) {
  return id.project() + ":" + id.domain() + ":" + id.name();
}

Result<flyteidl::core::WorkflowExecutionIdentifier> ParseExecutionId(std::string_view text) {
  auto parts = Split(text, ':');
  flyteidl::core::WorkflowExecutionIdentifier id;
  if (parts.size() == 1 && !parts[0].empty()) {
    id.set_name(std::string(parts[0]));
    return id;
  }
  if (parts.size() != 3 || parts[2].empty()) {
    return InvalidArgument("execution id \"" + std::string(text) +
                           "\": expected name or project:domain:name");
  }
  id.set_project(std::string(parts[0]));
  id.set_domain(std::string(parts[1]));
  id.set_name(std::string(parts[2]));
  return id;
}

std::string NodeExecutionIdString(const flyteidl::core::NodeExecutionIdentifier& id) {
  return ExecutionIdString(id.execution_id()) + "/" + id.node_id();
}

}  // namespace flytecpp::idl
