#include "pod.h"

#include <cmath>
#include <map>
#include <regex>
#include <set>

namespace flytecpp::runtime::internal {

namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Fields with no local meaning (where and as whom a pod is scheduled):
// accepted, ignored.
const std::set<std::string> kIgnoredPodFields = {"affinity",
                                                 "automountServiceAccountToken",
                                                 "dnsPolicy",
                                                 "enableServiceLinks",
                                                 "imagePullSecrets",
                                                 "nodeName",
                                                 "nodeSelector",
                                                 "preemptionPolicy",
                                                 "priority",
                                                 "priorityClassName",
                                                 "restartPolicy",
                                                 "schedulerName",
                                                 "serviceAccount",
                                                 "serviceAccountName",
                                                 "terminationGracePeriodSeconds",
                                                 "tolerations",
                                                 "topologySpreadConstraints",
                                                 "runtimeClassName",
                                                 "securityContext"};
const std::set<std::string> kIgnoredContainerFields = {"imagePullPolicy",
                                                       "ports",
                                                       "terminationMessagePath",
                                                       "terminationMessagePolicy",
                                                       "livenessProbe",
                                                       "readinessProbe",
                                                       "startupProbe"};

// "pod_spec.containers[1].env[0]"-style paths name what is refused.
std::string Child(const std::string& path, const std::string& field) { return path + "." + field; }
std::string Item(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

Status Unsupported(const std::string& path, const std::string& why) {
  return InvalidArgument(path + ": " + why);
}

// Kubernetes names containers and volumes with DNS-1123 labels; here they
// also name files of the attempt.
bool IsDnsLabel(const std::string& s) {
  static const std::regex kLabel("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return s.size() <= 63 && std::regex_match(s, kLabel);
}

Result<std::string> String(const Value& v, const std::string& path) {
  if (v.has_string_value()) return v.string_value();
  if (v.has_number_value()) {  // "cpu: 2" in YAML is a number
    const double d = v.number_value();
    return d == std::floor(d) ? std::to_string(static_cast<int64_t>(d)) : std::to_string(d);
  }
  return Unsupported(path, "expected a string");
}

Result<std::vector<std::string>> Strings(const Value& v, const std::string& path) {
  if (!v.has_list_value()) return Unsupported(path, "expected a list of strings");
  std::vector<std::string> out;
  for (int i = 0; i < v.list_value().values_size(); ++i) {
    FLYTECPP_ASSIGN_OR_RETURN(std::string s, String(v.list_value().values(i), Item(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

const Value* Field(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() || it->second.has_null_value() ? nullptr : &it->second;
}

Status ParseResources(const Struct& resources, const std::string& path, PodContainer* c) {
  // Limits win; a request alone is taken as the limit.
  for (const char* section : {"requests", "limits"}) {
    const Value* v = Field(resources, section);
    if (v == nullptr) continue;
    const std::string sp = Child(path, section);
    if (!v->has_struct_value()) return Unsupported(sp, "expected a map");
    for (const auto& [name, q] : v->struct_value().fields()) {
      FLYTECPP_ASSIGN_OR_RETURN(std::string value, String(q, Child(sp, name)));
      if (name == "memory") {
        c->memory = QuantityBytes(value);
        if (!c->memory) return Unsupported(Child(sp, name), "\"" + value + "\" is not a quantity");
      } else if (name == "cpu") {
        c->cpu = QuantityCores(value);
        if (!c->cpu) return Unsupported(Child(sp, name), "\"" + value + "\" is not a quantity");
      } else if (name == "nvidia.com/gpu" || name == "gpu") {
        c->gpus = static_cast<int64_t>(QuantityCores(value).value_or(0));
      } else if (name != "ephemeral-storage") {
        return Unsupported(Child(sp, name), "resource not supported locally");
      }
    }
  }
  for (const auto& [name, v] : resources.fields()) {
    if (name != "requests" && name != "limits") {
      return Unsupported(Child(path, name), "not supported locally");
    }
  }
  return Status::Ok();
}

Result<PodContainer> ParseContainer(const Value& v, const std::string& path,
                                    const std::set<std::string>& volumes) {
  if (!v.has_struct_value()) return Unsupported(path, "expected a container");
  const Struct& s = v.struct_value();
  PodContainer c;
  for (const auto& [field, value] : s.fields()) {
    const std::string fp = Child(path, field);
    if (value.has_null_value() || kIgnoredContainerFields.count(field)) continue;
    if (field == "name") {
      FLYTECPP_ASSIGN_OR_RETURN(c.name, String(value, fp));
    } else if (field == "image") {
      FLYTECPP_ASSIGN_OR_RETURN(c.image, String(value, fp));
    } else if (field == "command" || field == "args") {
      continue;  // below, in order
    } else if (field == "workingDir") {
      FLYTECPP_ASSIGN_OR_RETURN(c.working_dir, String(value, fp));
    } else if (field == "env") {
      if (!value.has_list_value()) return Unsupported(fp, "expected a list");
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        const Value& e = value.list_value().values(i);
        const std::string ep = Item(fp, i);
        if (!e.has_struct_value() || !Field(e.struct_value(), "name")) {
          return Unsupported(ep, "expected {name, value}");
        }
        if (Field(e.struct_value(), "valueFrom")) {
          return Unsupported(Child(ep, "valueFrom"),
                             "not supported locally (declare secrets in the task's "
                             "security_context instead)");
        }
        FLYTECPP_ASSIGN_OR_RETURN(std::string name,
                                  String(*Field(e.struct_value(), "name"), Child(ep, "name")));
        std::string val;
        if (const Value* x = Field(e.struct_value(), "value")) {
          FLYTECPP_ASSIGN_OR_RETURN(val, String(*x, Child(ep, "value")));
        }
        c.env.emplace_back(std::move(name), std::move(val));
      }
    } else if (field == "resources") {
      if (!value.has_struct_value()) return Unsupported(fp, "expected a map");
      FLYTECPP_RETURN_IF_ERROR(ParseResources(value.struct_value(), fp, &c));
    } else if (field == "volumeMounts") {
      if (!value.has_list_value()) return Unsupported(fp, "expected a list");
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        const Value& m = value.list_value().values(i);
        const std::string mp = Item(fp, i);
        if (!m.has_struct_value()) return Unsupported(mp, "expected a volume mount");
        VolumeMount vm;
        for (const auto& [k, x] : m.struct_value().fields()) {
          if (k == "name") {
            FLYTECPP_ASSIGN_OR_RETURN(vm.volume, String(x, Child(mp, k)));
          } else if (k == "mountPath") {
            FLYTECPP_ASSIGN_OR_RETURN(vm.mount_path, String(x, Child(mp, k)));
          } else if (k == "readOnly") {
            vm.read_only = x.bool_value();
          } else {
            return Unsupported(Child(mp, k), "not supported locally");
          }
        }
        if (!volumes.count(vm.volume)) {
          return Unsupported(Child(mp, "name"), "no emptyDir volume \"" + vm.volume + "\"");
        }
        if (vm.mount_path.empty() || vm.mount_path[0] != '/') {
          return Unsupported(Child(mp, "mountPath"), "must be an absolute path");
        }
        c.mounts.push_back(std::move(vm));
      }
    } else {
      return Unsupported(fp, "not supported locally");
    }
  }
  if (!IsDnsLabel(c.name)) {
    return Unsupported(Child(path, "name"),
                       "\"" + c.name + "\" is not a container name (a DNS-1123 label)");
  }
  for (const char* field : {"command", "args"}) {
    if (const Value* x = Field(s, field)) {
      FLYTECPP_ASSIGN_OR_RETURN(auto parts, Strings(*x, Child(path, field)));
      c.command.insert(c.command.end(), parts.begin(), parts.end());
    }
  }
  if (c.command.empty()) {
    return Unsupported(Child(path, "command"),
                       "missing (locally an image has no entrypoint to fall back on)");
  }
  return c;
}

}  // namespace

std::optional<uint64_t> QuantityBytes(const std::string& q) {
  static const std::regex kQ("^([0-9]+(\\.[0-9]*)?)([KMGTPE]i?|[eE][0-9]+)?$");
  std::smatch m;
  if (!std::regex_match(q, m, kQ)) return std::nullopt;
  const double v = std::stod(m[1].str());
  const std::string s = m[3].str();
  static const std::map<std::string, double> kScale = {
      {"", 1},           {"K", 1e3},           {"M", 1e6},
      {"G", 1e9},        {"T", 1e12},          {"Ki", 1024.0},
      {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}};
  if (!s.empty() && (s[0] == 'e' || s[0] == 'E'))
    return static_cast<uint64_t>(v * std::pow(10, std::stoi(s.substr(1))));
  auto it = kScale.find(s);
  if (it == kScale.end()) return std::nullopt;
  return static_cast<uint64_t>(v * it->second);
}

std::optional<double> QuantityCores(const std::string& q) {
  try {
    size_t used = 0;
    if (!q.empty() && q.back() == 'm') {
      const double v = std::stod(q.substr(0, q.size() - 1), &used);
      if (used + 1 != q.size()) return std::nullopt;
      return v / 1000.0;
    }
    const double v = std::stod(q, &used);
    if (used != q.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

Result<PodPlan> ParsePodSpec(const Struct& spec, const std::string& primary_name) {
  const std::string root = "pod_spec";
  PodPlan plan;
  std::set<std::string> volumes;
  if (const Value* v = Field(spec, "volumes")) {
    const std::string vp = Child(root, "volumes");
    if (!v->has_list_value()) return Unsupported(vp, "expected a list");
    for (int i = 0; i < v->list_value().values_size(); ++i) {
      const Value& vol = v->list_value().values(i);
      const std::string ip = Item(vp, i);
      if (!vol.has_struct_value() || !Field(vol.struct_value(), "name")) {
        return Unsupported(ip, "expected a named volume");
      }
      for (const auto& [k, x] : vol.struct_value().fields()) {
        if (k != "name" && k != "emptyDir") {
          return Unsupported(Child(ip, k), "only emptyDir volumes are supported locally");
        }
      }
      if (!vol.struct_value().fields().contains("emptyDir")) {
        return Unsupported(ip, "only emptyDir volumes are supported locally");
      }
      FLYTECPP_ASSIGN_OR_RETURN(std::string name,
                                String(*Field(vol.struct_value(), "name"), Child(ip, "name")));
      if (!IsDnsLabel(name)) {
        return Unsupported(Child(ip, "name"),
                           "\"" + name + "\" is not a volume name (a DNS-1123 label)");
      }
      volumes.insert(name);
      plan.empty_dirs.push_back(name);
    }
  }
  for (const auto& [field, value] : spec.fields()) {
    if (value.has_null_value() || kIgnoredPodFields.count(field) || field == "volumes") continue;
    const bool init = field == "initContainers";
    if (field != "containers" && !init) {
      return Unsupported(Child(root, field), "not supported locally");
    }
    const std::string fp = Child(root, field);
    if (!value.has_list_value()) return Unsupported(fp, "expected a list of containers");
    for (int i = 0; i < value.list_value().values_size(); ++i) {
      FLYTECPP_ASSIGN_OR_RETURN(PodContainer c,
                                ParseContainer(value.list_value().values(i), Item(fp, i), volumes));
      (init ? plan.init_containers : plan.containers).push_back(std::move(c));
    }
  }
  if (plan.containers.empty()) return Unsupported(Child(root, "containers"), "no container");
  std::set<std::string> names;
  for (const auto* list : {&plan.init_containers, &plan.containers}) {
    for (const auto& c : *list) {
      if (!names.insert(c.name).second) {
        return Unsupported(root, "two containers are named \"" + c.name + "\"");
      }
    }
  }
  if (primary_name.empty()) {
    if (plan.containers.size() > 1) {
      return Unsupported(root,
                         "several containers and no primary_container_name to say which is the "
                         "task's");
    }
    return plan;
  }
  for (size_t i = 0; i < plan.containers.size(); ++i) {
    if (plan.containers[i].name == primary_name) {
      plan.primary = i;
      return plan;
    }
  }
  return Unsupported(Child(root, "containers"),
                     "no container named \"" + primary_name + "\" (the primary_container_name)");
}

}  // namespace flytecpp::runtime::internal
