// Where literal data lives for an execution, after Flyte's metadata layout:
//
//   <data>/<execution>/start-node/data/0/outputs.pb   workflow inputs
//   <data>/<execution>/<node>/data/inputs.pb          a node's resolved inputs
//   <data>/<execution>/<node>/data/<attempt>/outputs.pb|error.pb
//   <data>/<execution>/end-node/data/0/outputs.pb     workflow outputs
//
// Nested nodes (children of sub-workflow node n1) use their path: n1/n0/data/...
#pragma once

#include <filesystem>

#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"

namespace flytecpp::store {

class DataDir {
 public:
  DataDir(const std::filesystem::path& root, const std::string& execution_id)
      : exec_(root / execution_id) {}

  const std::filesystem::path& execution_dir() const { return exec_; }
  std::filesystem::path NodeDataDir(const std::string& node_path) const {
    return exec_ / node_path / "data";
  }
  std::filesystem::path InputsPath(const std::string& node_path) const {
    return NodeDataDir(node_path) / "inputs.pb";
  }
  std::filesystem::path OutputDir(const std::string& node_path, int attempt) const {
    return NodeDataDir(node_path) / std::to_string(attempt);
  }
  std::filesystem::path OutputsPath(const std::string& node_path, int attempt) const {
    return OutputDir(node_path, attempt) / "outputs.pb";
  }
  std::filesystem::path ErrorPath(const std::string& node_path, int attempt) const {
    return OutputDir(node_path, attempt) / "error.pb";
  }

 private:
  std::filesystem::path exec_;
};

// Writes a message atomically, creating parent directories.
Status WriteProto(const std::filesystem::path& path, const google::protobuf::Message& message);
// Reads a binary message; NotFound when the file does not exist.
Status ReadProto(const std::filesystem::path& path, google::protobuf::Message* message);

}  // namespace flytecpp::store
