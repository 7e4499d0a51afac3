// The machine's GPUs as slots: a task that needs N holds N devices for its
// whole attempt, so two tasks never share one. Devices are /dev/nvidia<N>
// nodes (found at start, or given); a task gets only its own bound into its
// sandbox, with CUDA_VISIBLE_DEVICES naming them.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace flytecpp::runtime::internal {

struct GpuDevice {
  std::string path;  // e.g. /dev/nvidia0
  int index = 0;     // the N of nvidia<N>: CUDA's device number
};

// The /dev/nvidia<N> device nodes of this machine, by index.
std::vector<GpuDevice> DetectGpus();
// `paths` as devices (their indices from their names, else their positions).
std::vector<GpuDevice> GpusFrom(const std::vector<std::string>& paths);

// Device nodes a process using any GPU also needs (those that exist).
std::vector<std::string> GpuControlDevices();

class GpuSlots {
 public:
  explicit GpuSlots(std::vector<GpuDevice> devices) : devices_(std::move(devices)) {}

  size_t total() const { return devices_.size(); }

  // Holds `n` devices if that many are free; else nullopt, holding none.
  // REQUIRES: n <= total().
  std::optional<std::vector<GpuDevice>> TryAcquire(int n);
  void Release(const std::vector<GpuDevice>& held);

 private:
  const std::vector<GpuDevice> devices_;
  std::mutex mu_;
  std::vector<bool> busy_ = std::vector<bool>(devices_.size());  // guarded by mu_
};

}  // namespace flytecpp::runtime::internal
