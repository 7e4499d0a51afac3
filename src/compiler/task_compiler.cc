// CompileTask: validates a task template (flytepropeller task_compiler.go).
#include <regex>

#include "diagnostics.h"
#include "flytecpp/compiler/compiler.h"

namespace flytecpp::compiler {

namespace core = flyteidl::core;
using google::protobuf::Value;
using internal::Diagnostics;
namespace msg = internal::msg;

namespace {

// Kubernetes resource quantities: `500m`, `1Gi`, `1.5`, `.5`, `2e3`.
bool IsQuantity(const std::string& s) {
  static const std::regex kQuantity(
      "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$");
  return std::regex_match(s, kQuantity);
}

// DNS-1123 label, as Kubernetes requires for container names.
bool IsDns1123Label(const std::string& s) {
  static const std::regex kLabel("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return s.size() <= 63 && std::regex_match(s, kLabel);
}

void ValidateContainer(const TaskTemplate& task, Diagnostics& diag) {
  const core::Container& c = task.container();
  if (task.has_interface() && (task.interface().inputs().variables_size() > 0 ||
                               task.interface().outputs().variables_size() > 0)) {
    if (c.command_size() == 0 && c.args_size() == 0) {
      diag.Add(ErrorCode::kValueRequired, "container", msg::ValueRequired("command"));
    }
  }
  if (c.image().empty())
    diag.Add(ErrorCode::kValueRequired, "container", msg::ValueRequired("image"));
  if (c.has_resources()) {
    for (const auto* list : {&c.resources().requests(), &c.resources().limits()}) {
      for (const auto& entry : *list) {
        if (!IsQuantity(entry.value())) {
          diag.Add(ErrorCode::kUnrecognizedValue,
                   "resources." + core::Resources::ResourceName_Name(entry.name()),
                   msg::UnrecognizedValue(entry.value()));
        }
      }
    }
  }
}

// Whether a JSON value decodes as a list of objects (Kubernetes would reject
// anything else for `containers`, `volumes`, ...).
bool IsListOfObjects(const Value& v) {
  if (!v.has_list_value()) return false;
  for (const auto& e : v.list_value().values()) {
    if (!e.has_struct_value()) return false;
  }
  return true;
}

// The parts of a PodSpec whose shape a JSON decode into the Kubernetes type
// checks and that tasks use: list fields hold objects, name/image are strings.
bool LooksLikePodSpec(const google::protobuf::Struct& spec) {
  for (const char* list : {"containers", "initContainers", "volumes", "tolerations",
                           "imagePullSecrets", "ephemeralContainers"}) {
    auto it = spec.fields().find(list);
    if (it != spec.fields().end() && !it->second.has_null_value() && !IsListOfObjects(it->second)) {
      return false;
    }
  }
  for (const char* str : {"serviceAccountName", "nodeName", "restartPolicy", "schedulerName",
                          "hostname", "subdomain", "priorityClassName", "dnsPolicy"}) {
    auto it = spec.fields().find(str);
    if (it != spec.fields().end() && !it->second.has_string_value() &&
        !it->second.has_null_value()) {
      return false;
    }
  }
  for (const char* containers : {"containers", "initContainers"}) {
    auto it = spec.fields().find(containers);
    if (it == spec.fields().end() || !it->second.has_list_value()) continue;
    for (const auto& c : it->second.list_value().values()) {
      for (const char* str : {"name", "image"}) {
        auto f = c.struct_value().fields().find(str);
        if (f != c.struct_value().fields().end() && !f->second.has_string_value()) return false;
      }
    }
  }
  return true;
}

void ValidateK8sPod(const TaskTemplate& task, Diagnostics& diag) {
  const core::K8sPod& pod = task.k8s_pod();
  if (!pod.has_pod_spec() || !LooksLikePodSpec(pod.pod_spec())) {
    diag.Add(ErrorCode::kInvalidValue, "root", msg::InvalidValue("k8s pod spec"));
    return;
  }
  auto it = pod.pod_spec().fields().find("containers");
  if (it == pod.pod_spec().fields().end() || !it->second.has_list_value()) return;
  for (const auto& c : it->second.list_value().values()) {
    auto name = c.struct_value().fields().find("name");
    std::string n = name == c.struct_value().fields().end() ? "" : name->second.string_value();
    if (!IsDns1123Label(n)) {
      diag.Add(ErrorCode::kInvalidValue, "root", msg::InvalidValue("k8s pod spec container name"));
    }
  }
}

}  // namespace

Result<CompiledTask> CompileTask(const TaskTemplate& task, std::vector<CompileError>* errors) {
  Diagnostics diag;
  if (!task.has_id()) diag.Add(ErrorCode::kValueRequired, "root", msg::ValueRequired("Id"));
  switch (task.target_case()) {
    case TaskTemplate::kContainer: ValidateContainer(task, diag); break;
    case TaskTemplate::kK8SPod: ValidateK8sPod(task, diag); break;
    default: break;  // sql or no target: nothing more to check
  }
  if (errors != nullptr) *errors = diag.Sorted();
  if (!diag.empty()) return diag.ToStatus("task " + task.id().name());
  CompiledTask out;
  *out.mutable_template_() = task;
  return out;
}

}  // namespace flytecpp::compiler
