// Drawing a compiled workflow: Graphviz dot and Mermaid flowcharts. Node
// kinds have their own shapes; branch cases sit in a cluster with their
// branch; edges are the compiled connections.
#pragma once

#include <string>

#include "flyteidl/core/compiler.pb.h"

namespace flytecpp::cli {

std::string GraphDot(const flyteidl::core::CompiledWorkflowClosure& closure);
std::string GraphMermaid(const flyteidl::core::CompiledWorkflowClosure& closure);

}  // namespace flytecpp::cli
