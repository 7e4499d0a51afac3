// What every side-by-side benchmark shares: the shapes it runs, the
// statistics it prints (median, min, max of R runs) and how it reads the
// process's memory. Header-only; each benchmark is one small program.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "flytecpp/idl/builders.h"

namespace flytecpp::bench {

// The no-op tasks the in-process shapes and the compile benchmark use:
// one int in (or two), one int out.
inline idl::TaskTemplate UnaryTask() {
  return idl::TaskBuilder("bench.unary")
      .Input("x", idl::types::Int())
      .Output("o0", idl::types::Int())
      .Container(idl::ContainerBuilder("img").Command({"run"}))
      .Build();
}

inline idl::TaskTemplate BinaryTask() {
  return idl::TaskBuilder("bench.binary")
      .Input("a", idl::types::Int())
      .Input("b", idl::types::Int())
      .Output("o0", idl::types::Int())
      .Container(idl::ContainerBuilder("img").Command({"run"}))
      .Build();
}

// A DAG: per node, the nodes it runs after (all earlier in the order).
struct Shape {
  std::string name;
  std::vector<std::vector<int>> after;
};

inline Shape Chain(int n) {
  Shape s{"chain-" + std::to_string(n), std::vector<std::vector<int>>(n)};
  for (int i = 1; i < n; ++i) s.after[i] = {i - 1};
  return s;
}

inline Shape FanOut(int n) {
  return {"fan-out-" + std::to_string(n), std::vector<std::vector<int>>(n)};
}

// `layers` layers of `width`; each node after up to three random nodes of
// the layer before (seed 1: every run draws the same graph).
inline Shape Layered(int layers, int width) {
  Shape s{"layered-" + std::to_string(layers * width),
          std::vector<std::vector<int>>(layers * width)};
  std::mt19937 random(1);
  for (int l = 1; l < layers; ++l) {
    for (int k = 0; k < width; ++k) {
      std::vector<int>& after = s.after[l * width + k];
      const int count = 1 + static_cast<int>(random() % 3);
      for (int d = 0; d < count; ++d) after.push_back((l - 1) * width + random() % width);
      std::sort(after.begin(), after.end());
      after.erase(std::unique(after.begin(), after.end()), after.end());
    }
  }
  return s;
}

// A `side`×`side` lattice: node (l, k) after (l-1, k) and (l-1, k+1 mod side).
inline Shape Lattice(int side) {
  Shape s{"lattice-" + std::to_string(side) + "x" + std::to_string(side),
          std::vector<std::vector<int>>(side * side)};
  for (int l = 1; l < side; ++l) {
    for (int k = 0; k < side; ++k) {
      s.after[l * side + k] = {(l - 1) * side + k, (l - 1) * side + (k + 1) % side};
    }
  }
  return s;
}

// "chain-500", "fan-out-1000", "layered-1000" (50×20), "lattice-100x100".
inline bool ShapeNamed(const std::string& name, Shape* out) {
  auto number = [&](const std::string& prefix) { return std::atoi(name.c_str() + prefix.size()); };
  if (name.rfind("chain-", 0) == 0 && number("chain-") > 0) {
    *out = Chain(number("chain-"));
  } else if (name.rfind("fan-out-", 0) == 0 && number("fan-out-") > 0) {
    *out = FanOut(number("fan-out-"));
  } else if (name.rfind("layered-", 0) == 0 && number("layered-") >= 20) {
    *out = Layered(number("layered-") / 20, 20);
  } else if (name.rfind("lattice-", 0) == 0 && number("lattice-") > 1) {
    *out = Lattice(number("lattice-"));
  } else {
    return false;
  }
  return true;
}

struct Stats {
  double median = 0, min = 0, max = 0;
};

inline Stats Of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values.front(), values.back()};
}

// "1.23 s (1.20–1.31)"; `unit` follows each number's format.
inline std::string Text(const Stats& s, const char* format = "%.2f", const char* unit = " s") {
  const std::string f = std::string(format) + unit + " (" + format + "–" + format + ")";
  char buf[128];
  std::snprintf(buf, sizeof buf, f.c_str(), s.median, s.min, s.max);
  return buf;
}

// The first line of the table header: the machine it ran on.
inline std::string Machine() {
  std::string model = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(std::thread::hardware_concurrency()) + " cores, " + model;
}

// Kilobytes from /proc/self/status: "VmRSS" now, "VmHWM" at the peak.
inline long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  const std::string prefix = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
  }
  return 0;
}

// Resets VmHWM to the current RSS, so that a later peak is this phase's.
inline void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(1);
}

}  // namespace flytecpp::bench
