#include "gpu.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

namespace flytecpp::runtime::internal {

namespace fs = std::filesystem;

namespace {

std::optional<int> IndexOf(const std::string& path) {
  static const std::regex kNode("nvidia([0-9]+)$");
  std::smatch m;
  const std::string name = fs::path(path).filename().string();
  if (!std::regex_match(name, m, kNode)) return std::nullopt;
  return std::stoi(m[1].str());
}

}  // namespace

std::vector<GpuDevice> GpusFrom(const std::vector<std::string>& paths) {
  std::vector<GpuDevice> out;
  for (size_t i = 0; i < paths.size(); ++i) {
    out.push_back({paths[i], IndexOf(paths[i]).value_or(static_cast<int>(i))});
  }
  return out;
}

std::vector<GpuDevice> DetectGpus() {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/dev", ec)) {
    if (IndexOf(e.path().string())) paths.push_back(e.path().string());
  }
  auto out = GpusFrom(paths);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.index < b.index; });
  return out;
}

std::vector<std::string> GpuControlDevices() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const char* d :
       {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"}) {
    if (fs::exists(d, ec)) out.push_back(d);
  }
  return out;
}

std::optional<std::vector<GpuDevice>> GpuSlots::TryAcquire(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> free;
  for (size_t i = 0; i < devices_.size() && free.size() < static_cast<size_t>(n); ++i) {
    if (!busy_[i]) free.push_back(i);
  }
  if (free.size() != static_cast<size_t>(n)) return std::nullopt;
  std::vector<GpuDevice> held;
  for (size_t i : free) {
    busy_[i] = true;
    held.push_back(devices_[i]);
  }
  return held;
}

void GpuSlots::Release(const std::vector<GpuDevice>& held) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& d : held) {
    for (size_t i = 0; i < devices_.size(); ++i) {
      if (devices_[i].path == d.path) busy_[i] = false;
    }
  }
}

}  // namespace flytecpp::runtime::internal
