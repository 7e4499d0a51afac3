// Dynamic task nodes (flyte-executor.md §3.3): a task that returns a
// DynamicJobSpec (futures.pb) is followed by the workflow it generated. The
// spec is stored in the attempt's directory first, compiled at once with our
// compiler (an error fails the node as USER DynamicWorkflowBuildFailed,
// naming the problem), and run as the node's child scope under the node's
// path; the child's outputs become the node's. A resume finds the stored
// spec and continues inside it.
#pragma once

#include "../executor.h"

namespace flytecpp::engine::internal::dynamic {

// Node `i`'s attempt returned `spec`: store it, compile it, start it.
void Start(Executor& x, Scope* s, int i, const core::DynamicJobSpec& spec);

// Resume: true if node `i`'s current attempt had generated a workflow (its
// spec is stored); the workflow is then rebuilt and its nodes restored.
bool Resume(Executor& x, Scope* s, int i);

}  // namespace flytecpp::engine::internal::dynamic
