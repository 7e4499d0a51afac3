// Copilot-style data loading (flyte-executor.md §6.3, §6.4): inputs written
// as files under the task's `input_path`, outputs read from files under its
// `output_path`, instead of the task reading and writing protobuf itself.
#pragma once

#include <string>

#include "flytecpp/runtime/runtime.h"
#include "flyteidl/core/interface.pb.h"
#include "flyteidl/core/literals.pb.h"
#include "flyteidl/core/tasks.pb.h"

namespace flytecpp::runtime::internal {

// Writes `<host_dir>/<var>` for every input (primitives as text, blobs as
// copies of the file or directory, lists/maps as directories of entries),
// then the whole map as inputs.pb, plus inputs.json or inputs.yaml for
// those formats. Blob uris in the written map point at the copies, as the
// task sees them at `sandbox_dir`.
Status MaterializeInputs(const flyteidl::core::LiteralMap& inputs, const std::string& host_dir,
                         const std::string& sandbox_dir,
                         flyteidl::core::DataLoadingConfig::LiteralMapFormat format);

// Reads the outputs the task left in `host_dir`: an outputs.pb/json/yaml if
// present, else one file per declared output, parsed by its type (a file or
// directory for blobs, copied under `raw_dir`). A `_ERROR` file is the task's
// own error. Anything missing or unparsable is a USER error naming the output.
TaskOutcome CollectOutputs(const flyteidl::core::TypedInterface& iface, const std::string& host_dir,
                           const std::string& raw_dir);

}  // namespace flytecpp::runtime::internal
