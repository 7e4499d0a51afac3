// A K8sPod task's pod_spec (a Kubernetes PodSpec as a Struct) read into what
// runs locally: init containers (in order), the primary container and its
// sidecars, emptyDir volumes. Fields that mean something on a cluster but
// nothing here (scheduling, service accounts) are accepted and ignored;
// every other field is refused with its path, so nothing a task asks for is
// silently dropped. See docs/runtime.md.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flytecpp/util/status.h"

namespace flytecpp::runtime::internal {

struct VolumeMount {
  std::string volume;      // an emptyDir volume of the pod
  std::string mount_path;  // inside the container
  bool read_only = false;
};

struct PodContainer {
  std::string name, image;
  std::vector<std::string> command;  // command, then args; not yet templated
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<VolumeMount> mounts;
  std::string working_dir;
  // Limits (a request without a limit counts as the limit, as for containers).
  std::optional<uint64_t> memory;
  std::optional<double> cpu;
  int64_t gpus = 0;  // nvidia.com/gpu
};

struct PodPlan {
  std::vector<PodContainer> init_containers;  // run first, in order
  std::vector<PodContainer> containers;       // started together
  size_t primary = 0;                         // index into containers
  std::vector<std::string> empty_dirs;        // volume names
};

// `primary_name` is the task's primary container (K8sPod's, else the task
// config's primary_container_name); empty with one container means it.
Result<PodPlan> ParsePodSpec(const google::protobuf::Struct& pod_spec,
                             const std::string& primary_name);

// Kubernetes quantities: bytes ("512Mi", "1G", "1e9") and cores ("500m", "2").
std::optional<uint64_t> QuantityBytes(const std::string& q);
std::optional<double> QuantityCores(const std::string& q);

}  // namespace flytecpp::runtime::internal
