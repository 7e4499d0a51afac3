// Human-readable summaries of flyteidl messages for `flytecpp inspect`.
#pragma once

#include <google/protobuf/message.h>

#include <ostream>

#include "flytecpp/idl/package.h"

namespace flytecpp::cli {

// Kind, ids, interface with type strings, node count and a short node tree.
void Describe(const google::protobuf::Message& message, std::ostream& out);
void DescribePackageEntity(const idl::PackageEntity& entity, std::ostream& out);

}  // namespace flytecpp::cli
