// Where literal data lives for an execution, after Flyte's metadata layout:
//
//   <data>/<execution>/start-node/data/0/outputs.pb   workflow inputs
//   <data>/<execution>/<node>/data/inputs.pb          a node's resolved inputs
//   <data>/<execution>/<node>/data/<attempt>/outputs.pb|error.pb
//   <data>/<execution>/<node>/data/<attempt>/dynamic_job_spec.pb|dynamic_workflow.pb
//   <data>/<execution>/end-node/data/0/outputs.pb     workflow outputs
//
// Nested nodes (children of sub-workflow node n1) use their path: n1/n0/data/...
#pragma once

#include <filesystem>

#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"

namespace flytecpp::store {

class Store;

// Keys name data within an execution ("n1/data/inputs.pb"); paths are where
// the file of a key is (large data) or would be. Plain strings: they are
// built several times per node on the engine's hot path, where
// std::filesystem::path parsing shows up.
class DataDir {
 public:
  DataDir(const std::filesystem::path& root, const std::string& execution_id)
      : id_(execution_id), exec_((root / execution_id).string()) {}

  const std::string& execution_id() const { return id_; }
  const std::string& execution_dir() const { return exec_; }
  std::string Path(const std::string& key) const { return exec_ + "/" + key; }

  static std::string InputsKey(const std::string& node_path) {
    return node_path + "/data/inputs.pb";
  }
  static std::string OutputsKey(const std::string& node_path, int attempt) {
    return node_path + "/data/" + std::to_string(attempt) + "/outputs.pb";
  }

  std::string NodeDataDir(const std::string& node_path) const {
    return exec_ + "/" + node_path + "/data";
  }
  std::string InputsPath(const std::string& node_path) const { return Path(InputsKey(node_path)); }
  std::string OutputDir(const std::string& node_path, int attempt) const {
    return NodeDataDir(node_path) + "/" + std::to_string(attempt);
  }
  std::string OutputsPath(const std::string& node_path, int attempt) const {
    return Path(OutputsKey(node_path, attempt));
  }
  std::string ErrorPath(const std::string& node_path, int attempt) const {
    return OutputDir(node_path, attempt) + "/error.pb";
  }
  // A dynamic task's attempt: the DynamicJobSpec it returned (the engine's
  // copy) and the workflow compiled from it (CompiledWorkflowClosure).
  std::string DynamicJobSpecPath(const std::string& node_path, int attempt) const {
    return OutputDir(node_path, attempt) + "/dynamic_job_spec.pb";
  }
  std::string DynamicWorkflowPath(const std::string& node_path, int attempt) const {
    return OutputDir(node_path, attempt) + "/dynamic_workflow.pb";
  }

 private:
  std::string id_;
  std::string exec_;
};

// Reads the data the engine wrote under `key`: from the store's database
// when it was small (store.h, kInlineDataMaxBytes), else from its file.
// NotFound when neither has it.
Status ReadData(Store& store, const DataDir& data, const std::string& key,
                google::protobuf::Message* message);

// Writes a binary message, creating parent directories. Not atomic: see
// data_dir.cc for why the engine does not need it.
Status WriteProto(const std::string& path, const google::protobuf::Message& message);
// The same through a temporary file and a rename: `path` is either absent or
// whole, for files whose presence itself means something after a crash.
Status WriteProtoAtomically(const std::string& path, const google::protobuf::Message& message);
// Reads a binary message; NotFound when the file does not exist.
Status ReadProto(const std::string& path, google::protobuf::Message* message);

}  // namespace flytecpp::store
